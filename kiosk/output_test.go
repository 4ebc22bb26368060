package kiosk

import (
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pitwall/display"
)

// slowSink records the frames it got and takes its time with each.
type slowSink struct {
	mu     sync.Mutex
	delay  time.Duration
	got    []color.RGBA // pixel (0,0) of each frame
	probe  []color.RGBA // pixel (5,5) of each frame
	damage []image.Rectangle
	at     []time.Time
	fail   error
	// gate, if set, holds every Show until it is closed: an output stuck
	// for as long as the test likes.
	gate chan struct{}
}

func (s *slowSink) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	if s.gate != nil {
		<-s.gate
	}
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, frame.RGBAAt(0, 0))
	if image.Pt(5, 5).In(frame.Rect) {
		s.probe = append(s.probe, frame.RGBAAt(5, 5))
	}
	s.damage = append(s.damage, damaged...)
	s.at = append(s.at, time.Now())
	return s.fail
}

func (s *slowSink) frames() []color.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]color.RGBA(nil), s.got...)
}

func fill(f *image.RGBA, r image.Rectangle, v uint8) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			f.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
}

// TestDetachedOutput: a slow output never holds up the render loop, gets
// the latest frame whole (changes merged), and is spaced by MinInterval.
func TestDetachedOutput(t *testing.T) {
	bounds := image.Rect(0, 0, 8, 8)
	// The output is stuck (gate closed) while the render loop Shows 20
	// frames: the loop must finish them all without waiting for it. No
	// clock decides this, so a loaded machine cannot fail it.
	sink := &slowSink{delay: 50 * time.Millisecond, gate: make(chan struct{})}
	frames := display.NewFrameCopy()
	d := &detached{out: Output{Name: "slow", Sink: sink, Detached: true, MinInterval: 100 * time.Millisecond},
		frames: frames, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.run(ctx); close(done) }()

	// The render loop: it Shows the copy each change, and again when the
	// copy asks to catch up.
	frame := image.NewRGBA(bounds)
	show := func(damaged ...image.Rectangle) {
		frames.Show(frame, damaged)
		select {
		case <-frames.Stale():
			frames.Show(frame, nil)
		default:
		}
	}
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		for v := uint8(1); v <= 20; v++ {
			r := image.Rect(0, 0, 1, 1)
			if v == 5 {
				r = image.Rect(4, 4, 6, 6) // a change elsewhere, merged into later frames
				fill(frame, r, 99)
			} else {
				fill(frame, r, v)
			}
			show(r)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	select {
	case <-loopDone:
	case <-time.After(30 * time.Second):
		t.Fatal("20 Shows did not finish while the output was stuck: the slow output holds up the render loop")
	}
	close(sink.gate)
	waitFor(t, 5*time.Second, "the latest frame at the output", func() bool {
		show()
		got := sink.frames()
		return len(got) > 0 && got[len(got)-1].R == 20
	})
	cancel()
	<-done
	got := sink.frames()
	if len(got) > 5 {
		t.Fatalf("%d frames reached the slow output, want at most 5 (merged)", len(got))
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if p := sink.probe[len(sink.probe)-1]; p.R != 99 {
		t.Fatalf("pixel (5,5) = %v in the last frame, want 99", p)
	}
	for i := 1; i < len(sink.at); i++ {
		if gap := sink.at[i].Sub(sink.at[i-1]); gap < 100*time.Millisecond {
			t.Errorf("frames %d and %d only %v apart, want ≥ MinInterval", i-1, i, gap)
		}
	}
	for _, r := range sink.damage {
		if r != bounds {
			t.Errorf("damage %v, want the whole frame %v", r, bounds)
		}
	}
}

// waitFor polls ok until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFrameSinksLogOnceWhileFailing(t *testing.T) {
	var logged int
	h := slog.New(countingHandler{n: &logged})
	bad := &slowSink{fail: errors.New("device gone")}
	fs := &frameSinks{names: []string{"fb"}, sinks: []display.Sink{bad}, log: h, failing: map[string]bool{}}
	frame := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i := 0; i < 5; i++ {
		fs.show(frame, []image.Rectangle{frame.Rect})
	}
	bad.fail = nil
	fs.show(frame, []image.Rectangle{frame.Rect})
	if logged != 2 {
		t.Fatalf("%d log lines, want 2 (failed, works again)", logged)
	}
	if len(bad.frames()) != 6 {
		t.Fatalf("a failing output was not retried: %d frames", len(bad.frames()))
	}
}

type countingHandler struct{ n *int }

func (c countingHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (c countingHandler) Handle(context.Context, slog.Record) error { *c.n++; return nil }
func (c countingHandler) WithAttrs([]slog.Attr) slog.Handler        { return c }
func (c countingHandler) WithGroup(string) slog.Handler             { return c }

// TestCacheWriterMergesSaves: saves within the delay become one write of
// the latest content; an earlier deadline wins.
func TestCacheWriterMergesSaves(t *testing.T) {
	path := t.TempDir() + "/cache.json"
	var writes, fails atomic.Uint64
	w := newCacheWriter(path, slog.New(slog.NewTextHandler(io.Discard, nil)), &writes, &fails)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.run(ctx)
	for i := 1; i <= 5; i++ {
		w.save(cacheFile{Boots: uint64(i)}, time.Hour)
	}
	w.save(cacheFile{Boots: 6}, 50*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for writes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if writes.Load() != 1 || fails.Load() != 0 {
		t.Fatalf("%d writes, %d failures; want 1 write", writes.Load(), fails.Load())
	}
	f, err := readCache(path)
	if err != nil || f.Boots != 6 {
		t.Fatalf("cache %+v, %v; want the latest save (boots 6)", f, err)
	}
}
