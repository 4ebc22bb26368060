package kiosk_test

import (
	"bytes"
	"context"
	"hash/fnv"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pitwall/display"
	"pitwall/display/preview"
	"pitwall/kiosk"
	"pitwall/mqtt"
)

// frameHashes is a sink (or OnFrame hook) recording a hash of every frame
// it is handed with damage, optionally slowly, and optionally holding the
// first one until gate is closed.
type frameHashes struct {
	delay  time.Duration
	gate   chan struct{}
	mu     sync.Mutex
	hashes []uint64
}

func hashPix(f *image.RGBA) uint64 {
	h := fnv.New64a()
	h.Write(f.Pix)
	return h.Sum64()
}

func (s *frameHashes) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	if len(damaged) == 0 {
		return nil
	}
	if s.gate != nil {
		<-s.gate
	}
	time.Sleep(s.delay)
	h := hashPix(frame)
	s.mu.Lock()
	s.hashes = append(s.hashes, h)
	s.mu.Unlock()
	return nil
}

func (s *frameHashes) last() (uint64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.hashes) == 0 {
		return 0, 0
	}
	return s.hashes[len(s.hashes)-1], len(s.hashes)
}

// TestDetachedOutputsGetTheLastFrame: two slow detached outputs share the
// kiosk's frame copy while the board changes quickly; when the kiosk
// stops, each has got exactly the last frame drawn, though they were busy
// when it was. The outputs are held busy (a gate) until the board has
// changed frame by frame, so the merging does not depend on how fast this
// machine draws.
func TestDetachedOutputsGetTheLastFrame(t *testing.T) {
	br := startEmbedded(t)
	pub := newPublisher(t, br.URL())

	var drawn frameHashes // every frame, hashed in the render loop
	busy := make(chan struct{})
	outA := &frameHashes{delay: 150 * time.Millisecond, gate: busy}
	outB := &frameHashes{delay: 70 * time.Millisecond, gate: busy}
	dir := t.TempDir()
	k, err := kiosk.New(kioskConfig(t, br.URL(), filepath.Join(dir, "cache.json"), filepath.Join(dir, "unused.png"), ""), kiosk.Options{
		Logger: quietLog(t),
		Outputs: []kiosk.Output{
			{Name: "a", Sink: outA, Detached: true},
			{Name: "b", Sink: outB, Detached: true},
		},
		OnFrame: func(_ display.Board, f *image.RGBA) { drawn.Show(f, []image.Rectangle{f.Rect}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runKiosk(t, k)
	for seq := uint64(1); seq <= 15; seq++ {
		_, before := drawn.last()
		pub.standings(&mqtt.Standings{Header: mqtt.Header{Track: "1", Seq: seq}, Ranking: "best-lap",
			Entries: []mqtt.StandingsEntry{{Rank: 1, RacerID: "a", Name: "Ada", ResultMS: int64(10_000 - seq), Laps: 1, BestMS: int64(10_000 - seq)}}})
		waitFor(t, 10*time.Second, "a frame of the new standings", func() bool { _, n := drawn.last(); return n > before })
	}
	waitFor(t, 10*time.Second, "the last standings", func() bool {
		r := k.Board().Rows
		return len(r) == 1 && r[0].Result == 9985*time.Millisecond
	})
	close(busy)
	waitFor(t, 10*time.Second, "both outputs to have frames", func() bool {
		_, a := outA.last()
		_, b := outB.last()
		return a > 0 && b > 0
	})
	stop()
	want, n := drawn.last()
	for name, out := range map[string]*frameHashes{"a": outA, "b": outB} {
		got, m := out.last()
		if got != want {
			t.Errorf("output %s's last frame (of %d) is not the last drawn (of %d)", name, m, n)
		}
		if m >= n {
			t.Errorf("output %s got %d frames of %d drawn: slow outputs should get merged frames", name, m, n)
		}
	}
}

// TestPreviews: an HTTP preview with its own frame copy, passed as an
// output (as the demo does), and one serving the kiosk's shared copy (as
// cmd/kiosk does), next to a detached output reading that copy too. Both
// serve the board at once, without waiting for the board to change.
func TestPreviews(t *testing.T) {
	br := startEmbedded(t)
	pub := newPublisher(t, br.URL())
	pub.standings(&mqtt.Standings{Header: mqtt.Header{Track: "1", Seq: 1}, Ranking: "best-lap",
		Entries: []mqtt.StandingsEntry{{Rank: 1, RacerID: "a", Name: "Ada", ResultMS: 9000, Laps: 1, BestMS: 9000}}})

	own := preview.New(0, quietLog(t))
	slow := &frameHashes{delay: 100 * time.Millisecond}
	dir := t.TempDir()
	k, err := kiosk.New(kioskConfig(t, br.URL(), filepath.Join(dir, "cache.json"), filepath.Join(dir, "unused.png"), ""), kiosk.Options{
		Logger:       quietLog(t),
		Outputs:      []kiosk.Output{{Name: "http", Sink: own}, {Name: "slow", Sink: slow, Detached: true, MinInterval: 50 * time.Millisecond}},
		HighlightFor: time.Millisecond, // the board goes still once drawn
	})
	if err != nil {
		t.Fatal(err)
	}
	shared := preview.NewShared(k.FrameCopy(), 0, quietLog(t))
	runKiosk(t, k)
	waitFor(t, 10*time.Second, "the standings", func() bool { return len(k.Board().Rows) == 1 })
	time.Sleep(300 * time.Millisecond) // past the last redraw

	for name, h := range map[string]http.Handler{"own copy": own, "shared copy": shared} {
		for i := range 3 {
			// Well under the preview's own 5 s wait for a fresh frame, so a
			// preview that waited for the board to change would fail, while
			// encoding a PNG on a loaded machine under -race does not.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", "/frame.png", nil))
			cancel()
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
				t.Fatalf("%s, request %d: %d, %d bytes after %v", name, i, rec.Code, rec.Body.Len(), time.Since(start))
			}
			img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if img.Bounds() != image.Rect(0, 0, 1280, 720) {
				t.Fatalf("%s: frame %v", name, img.Bounds())
			}
		}
	}
}
