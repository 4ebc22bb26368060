package kiosk_test

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/internal/mosquittotest"
	"pitwall/kiosk"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/sensor/sim"
	"pitwall/trackside/unit"
)

// TestSimulatedTracksideToKioskPNG runs the whole data path with the
// simulator as the timing input: simulated car (with chatter echoes and
// off-tracks) → trackside (engine, bbolt, outbox) → real Mosquitto →
// kiosk → PNG. The board's rows must be the published standings.
func TestSimulatedTracksideToKioskPNG(t *testing.T) {
	if testing.Short() {
		t.Skip("runs simulated races in real time: skipped with -short")
	}
	b := mosquittotest.Start(t)
	cfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
		"track": "sim", "data_dir": %q, "broker": {"url": %q},
		"rules": {"duration": "10m", "min_lap": "200ms"},
		"sources": [{"type": "sim", "name": "sim", "cars": 1}]
	}`, t.TempDir(), b.URL())))
	if err != nil {
		t.Fatal(err)
	}
	// Laps of about half a second of real time, so races take seconds; the
	// echoes (5–50 ms after a crossing) must end up as short laps only.
	src, err := sim.New("sim", sim.Config{
		Cars:    []sim.Car{{Transponder: "SIM001", Mean: 500 * time.Millisecond, Jitter: 30 * time.Millisecond}},
		Chatter: 0.3, OffTrack: 0.2, Seed: 7, Logger: quietLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := unit.New(cfg, unit.Options{Sources: []crossing.Source{src}, Logger: quietLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("trackside stopped with: %v", err)
		}
	}()
	tr := u.Track()
	for i, name := range []string{"Zoë Müller", "Mateo García", "Aiko Tanaka"} {
		id := fmt.Sprintf("r%d", i)
		if err := tr.PutRacer(ctx, "test", race.Racer{ID: id, Name: name}); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.LoadRacer(ctx, "test", id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 15*time.Second, name+"'s laps", func() bool {
			r := tr.Current()
			n := 0
			for _, l := range r.Laps {
				if l.Counts() {
					n++
				}
			}
			return n >= 3
		})
		if _, err := tr.End(ctx, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Submit(ctx, "test"); err != nil {
			t.Fatal(err)
		}
	}
	want := expectedRows(tr.Standings())
	for i := range want { // one track: the board shows no track column
		want[i] = strings.TrimSuffix(want[i], "sim")
	}
	if len(want) != 3 {
		t.Fatalf("published standings %v, want 3 racers", want)
	}
	if h := src.Health(); h.Crossings == 0 {
		t.Fatalf("simulator health %+v", h)
	}

	dir := t.TempDir()
	out := &pngFile{path: filepath.Join(dir, "board.png")}
	k, err := kiosk.New(kioskConfig(t, b.URL(), filepath.Join(dir, "cache.json"), out.path, ""), kiosk.Options{
		Logger:  quietLog(t),
		Outputs: []kiosk.Output{{Name: "png", Sink: out, Detached: true}},
		Synced:  func() bool { return true },
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runKiosk(t, k)
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Join(rowsOf(k.Board().Rows), "|") != strings.Join(want, "|") {
		if time.Now().After(deadline) {
			t.Fatalf("kiosk rows\n%s\nwant the published standings\n%s", strings.Join(rowsOf(k.Board().Rows), "\n"), strings.Join(want, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, 10*time.Second, "the PNG", func() bool { return out.writes() > 0 })
	f, err := os.Open(out.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(1280, 720) {
		t.Fatalf("PNG is %v, want 1280x720", got)
	}
}
