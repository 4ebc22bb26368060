package kiosk_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/mosquittotest"
	"pitwall/kiosk"
	"pitwall/mqtt"
)

// TestOversizedPayloadRefused: a 10 MB standings payload is refused by its
// size (counted, logged), before it is queued or decoded: the board and the
// other counters do not move, and the connection goes on.
func TestOversizedPayloadRefused(t *testing.T) {
	b := mosquittotest.Start(t)
	pub := newPublisher(t, b.URL())
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(10, "e1", 0, "Ada"))
	dir := t.TempDir()
	cfg := kioskConfig(t, b.URL(), filepath.Join(dir, "c.json"), filepath.Join(dir, "b.png"), "")
	k, err := kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Outputs: []kiosk.Output{{Name: "png", Sink: &pngFile{path: filepath.Join(dir, "b.png")}}}})
	if err != nil {
		t.Fatal(err)
	}
	runKiosk(t, k)
	want := []string{"1 Ada 9.000 "}
	waitFor(t, 10*time.Second, "the board", func() bool { return slices.Equal(rowsOf(k.Board().Rows), want) })
	before := k.Stats()

	huge := make([]byte, 10<<20)
	for i := range huge {
		huge[i] = ' '
	}
	copy(huge, standingsJSON(11, "e1", 0, "Mallory"))
	pub.publish(mqtt.TrackStandings("1"), huge)
	waitFor(t, 10*time.Second, "the refusal", func() bool { return k.Stats().Oversized == 1 })
	after := k.Stats()
	if after.Received != before.Received || after.Bad != before.Bad || after.Dropped != before.Dropped {
		t.Fatalf("the oversized payload went further than the size check: before %+v, after %+v", before, after)
	}
	if got := rowsOf(k.Board().Rows); !slices.Equal(got, want) {
		t.Fatalf("rows after the oversized payload %q", got)
	}
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(12, "e1", 0, "Bo"))
	waitFor(t, 10*time.Second, "the next board", func() bool { return slices.Equal(rowsOf(k.Board().Rows), []string{"1 Bo 9.000 "}) })
}

// TestForgedTrackFlood: with no track list, 5,000 forged track ids take
// only the free places under max_tracks: the board's configured track and
// the tracks held before keep theirs, the cache stays within the limit,
// and a restart keeps the same tracks although the broker retains all
// 5,000.
func TestForgedTrackFlood(t *testing.T) {
	const forgedTracks, maxTracks = 5000, 4
	b := mosquittotest.Start(t)
	pub := newPublisher(t, b.URL())
	real := func(track string, seq uint64, name string, ms int) []byte {
		return fmt.Appendf(nil, `{"v":1,"track":%q,"seq":%d,"ranking":"best-lap","entries":[{"rank":1,"racer_id":%q,"name":%q,"result_ms":%d,"laps":3,"best_ms":%d}]}`,
			track, seq, name, name, ms, ms)
	}
	pub.publish(mqtt.TrackStandings("2"), real("2", 1, "Bo", 9500))
	dir := t.TempDir()
	cache := filepath.Join(dir, "c.json")
	cfg := kioskConfig(t, b.URL(), cache, filepath.Join(dir, "b.png"),
		fmt.Sprintf(`, "max_tracks": %d, "rotate": ["combined", "main"]`, maxTracks))
	start := func() (*kiosk.Kiosk, func()) {
		k, err := kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Outputs: []kiosk.Output{{Name: "png", Sink: &pngFile{path: filepath.Join(dir, "b.png")}}}})
		if err != nil {
			t.Fatal(err)
		}
		return k, runKiosk(t, k)
	}
	k, stop := start()
	waitFor(t, 10*time.Second, "track 2", func() bool { return len(k.Board().Rows) == 1 })

	// The flood, retained, every forged racer faster than the real ones.
	toks := make([]paho.Token, 0, forgedTracks)
	for i := range forgedTracks {
		id := fmt.Sprintf("f%04d", i)
		toks = append(toks, pub.c.Publish(mqtt.TrackStandings(id), 1, true, real(id, 1, "forged-"+id, 1000)))
	}
	for _, tok := range toks {
		wait(t, tok)
	}
	// Mosquitto queues at most 1,000 QoS 1 messages for a subscriber
	// (max_queued_messages) and drops the rest: not all 5,000 arrive.
	waitFor(t, 30*time.Second, "the flood refused", func() bool { return k.Stats().OverTrackLimit >= 900 })
	// The configured board's track comes last and still has its place.
	// Mosquitto drops what does not fit the subscriber's queue, which the
	// flood may still fill: publish again until it is through.
	var mainSeq uint64
	var lastPub time.Time
	waitFor(t, 20*time.Second, "track main on the board", func() bool {
		if time.Since(lastPub) > 500*time.Millisecond {
			mainSeq++
			pub.publish(mqtt.TrackStandings("main"), real("main", mainSeq, "Ada", 9000))
			lastPub = time.Now()
		}
		for _, r := range k.Board().Rows {
			if r.Name == "Ada" {
				return true
			}
		}
		return false
	})
	stop()
	f, err := kiosk.ReadCache(cache)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tr := range f.Tracks {
		ids = append(ids, tr.ID)
	}
	if len(ids) != maxTracks || !slices.Contains(ids, "main") || !slices.Contains(ids, "2") {
		t.Fatalf("cached tracks %v, want %d with main and 2", ids, maxTracks)
	}
	if fi, _ := os.Stat(cache); fi.Size() > 4<<10 {
		t.Fatalf("cache of %d bytes", fi.Size())
	}

	// Restart: the cache's tracks keep their places against the retained flood.
	k, stop = start()
	waitFor(t, 30*time.Second, "the retained flood refused", func() bool { return k.Stats().OverTrackLimit >= 900 })
	stop()
	g, err := kiosk.ReadCache(cache)
	if err != nil {
		t.Fatal(err)
	}
	var after []string
	for _, tr := range g.Tracks {
		after = append(after, tr.ID)
	}
	if !slices.Equal(after, ids) {
		t.Fatalf("tracks after a restart %v, before %v", after, ids)
	}
}

func wait(t *testing.T, tok paho.Token) {
	t.Helper()
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}
