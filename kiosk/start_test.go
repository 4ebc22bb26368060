package kiosk_test

import (
	"bytes"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/kiosk"
	"pitwall/mqtt"
)

// TestStart: Start opens what the config asks for (the PNG file, the HTTP
// preview, the public web) on one model: a result published by a track
// reaches the PNG, the preview's frame and the web's board; when Run
// returns, the listeners are closed.
func TestStart(t *testing.T) {
	br := startEmbedded(t)
	pub := newPublisher(t, br.URL())
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "board.png")
	cfg := kioskConfig(t, br.URL(), filepath.Join(dir, "cache.json"), pngPath,
		`, "web": {"listen": "127.0.0.1:0", "public_url": "http://example.test/"}`)
	cfg.Outputs.HTTP = "localhost:0" // not web.listen's spelling: the config wants distinct ports
	k, err := kiosk.Start(cfg, kiosk.Options{Logger: quietLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	previewAddr, webAddr := k.PreviewAddr(), k.WebAddr()
	if previewAddr == "" || webAddr == "" {
		t.Fatalf("preview %q, web %q: want both listening", previewAddr, webAddr)
	}
	stop := runKiosk(t, k)

	s := &mqtt.Standings{Header: mqtt.Header{Track: "1", Boot: "b-1", Seq: 1}, Ranking: "best-lap",
		Entries: []mqtt.StandingsEntry{{Rank: 1, RacerID: "ada", Name: "Ada Lovelace", ResultMS: 9000, Laps: 3, BestMS: 9000}}}
	pub.standings(s)

	get := func(url string) []byte {
		resp, err := http.Get(url)
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return nil
		}
		return b
	}
	waitFor(t, 10*time.Second, "the web board lists the racer", func() bool {
		return strings.Contains(string(get("http://"+webAddr+"/api/board.json")), "Ada Lovelace")
	})
	waitFor(t, 10*time.Second, "the screen shows the racer", func() bool {
		b := k.Board()
		return len(b.Rows) == 1 && b.Rows[0].Name == "Ada Lovelace"
	})
	if img, err := png.Decode(bytes.NewReader(get("http://" + previewAddr + "/frame.png"))); err != nil || img.Bounds().Dx() != 1280 {
		t.Fatalf("preview frame: %v", err)
	}
	waitFor(t, 10*time.Second, "the PNG output written", func() bool {
		_, err := os.Stat(pngPath)
		return err == nil
	})
	stop()
	for _, addr := range []string{previewAddr, webAddr} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Run returned", addr)
		}
	}
}
