package console

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pitwall/trackside/console/api"
	"pitwall/trackside/race"
)

// BenchmarkTouchToScreen measures a tap on +Reset / −Reset on the live
// screen until the frame shows the new reset count: the tap settles (the
// Settle wait is part of it, by design), the command crosses the socket,
// the trackside commits it (one fsynced bbolt transaction) and pushes the
// view, the console draws it. Reported in ms: touch_p50/p99 (finger up to
// frame drawn) and commit_p50/p99 (settled tap to frame: socket, commit,
// view push and drawing).
func BenchmarkTouchToScreen(b *testing.B) {
	// A simulated car slowed 100×: no crossing closes the lap (and takes
	// its resets) while the benchmark counts them.
	cfg := unitConfig(b.TempDir(), "", 0.01)
	runUnit(b, cfg, race.Racer{ID: "r1", Name: "Aiko Tanaka"})
	r := newRig(b, cfg.Console.Socket, 800, 480)
	r.waitView("the racer", func(v *api.View) bool { return len(v.Racers) == 1 })
	r.unlock()
	r.tap("load-r1")
	r.waitView("race loaded", func(v *api.View) bool { return stateOf(v) == "ready" })
	r.tap("start")
	r.waitView("race running", func(v *api.View) bool { return stateOf(v) == "running" })

	// From here on the clock is the real one: forget the set-up's
	// synthetic input times.
	r.c.lastEvent, r.c.floodTo = time.Time{}, time.Time{}
	touch := make([]time.Duration, 0, b.N)
	commit := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id, want := "reset-plus", 1
		if i%2 == 1 {
			id, want = "reset-minus", 0
		}
		bt, ok := r.button(id)
		if !ok || bt.act == nil {
			b.Fatalf("button %s not available", id)
		}
		p := bt.r.Min.Add(bt.r.Max).Div(2)
		t0 := time.Now()
		r.c.Handle(Tap{X: p.X, Y: p.Y}, t0)
		time.Sleep(time.Until(r.c.Next()))
		t1 := time.Now()
		r.c.Tick(t1)
		select {
		case v := <-r.client.Views(): // pushed before the reply
			r.c.SetView(v, time.Now())
		default:
		}
		if r.c.view.Race == nil || r.c.view.Race.Resets != want {
			b.Fatalf("after %s the view shows %+v (message %q)", id, r.c.view.Race, r.c.msg)
		}
		r.c.Draw(time.Now())
		t2 := time.Now()
		touch = append(touch, t2.Sub(t0))
		commit = append(commit, t2.Sub(t1))
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		slices.Sort(d)
		q := func(p float64) float64 {
			return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
		}
		b.ReportMetric(q(0.50), name+"_p50_ms")
		b.ReportMetric(q(0.99), name+"_p99_ms")
	}
	report("touch", touch)
	report("commit", commit)
}

// BenchmarkDrawLive draws the live screen, as the run loop does ten times a
// second while a race runs.
func BenchmarkDrawLive(b *testing.B) {
	for _, size := range [][2]int{{800, 480}, {1920, 1080}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			c, err := New(Config{Width: size[0], Height: size[1]}, &fakeTrackside{connected: true})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			c.SetView(sampleView(), now)
			c.official = testOfficial
			c.go2(ScreenLive)
			b.ResetTimer()
			for i := range b.N {
				c.Draw(now.Add(time.Duration(i) * 100 * time.Millisecond))
			}
		})
	}
}
