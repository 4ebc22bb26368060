package kiosk_test

import (
	"image"
	"path/filepath"
	"testing"
	"time"

	"pitwall/internal/heartbeat"
	"pitwall/kiosk"
)

// stuckScreen is a screen output whose Show blocks on demand, as a hung
// framebuffer write would.
type stuckScreen struct{ block chan chan struct{} }

func (s *stuckScreen) Show(*image.RGBA, []image.Rectangle) error {
	select {
	case release := <-s.block:
		<-release
	default:
	}
	return nil
}

// TestRenderHeartbeatStopsWhenStuck: the render loop's heartbeat, which
// gates the systemd watchdog pings (cmd/kiosk), stays fresh while the loop
// goes round, idle or not, and goes stale when a pass is stuck in the
// screen output; released, it is fresh again.
func TestRenderHeartbeatStopsWhenStuck(t *testing.T) {
	b := startEmbedded(t)
	dir := t.TempDir()
	cfg := kioskConfig(t, b.URL(), filepath.Join(dir, "cache.json"), filepath.Join(dir, "board.png"), "")
	screen := &stuckScreen{block: make(chan chan struct{}, 1)}
	k, err := kiosk.New(cfg, kiosk.Options{
		Logger:  quietLog(t),
		Outputs: []kiosk.Output{{Name: "fb", Sink: screen}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runKiosk(t, k)
	const limit = 3 * time.Second
	healthy := func() error {
		return heartbeat.Stuck(heartbeat.Check{Name: "render", Beat: k.Heartbeat(), Max: limit})
	}
	waitFor(t, 10*time.Second, "a healthy render loop", func() bool { return healthy() == nil })
	// An idle board (nothing received, no clock running) still goes round.
	for range 5 {
		time.Sleep(time.Second)
		if err := healthy(); err != nil {
			t.Fatalf("idle kiosk: %v", err)
		}
	}
	release := make(chan struct{})
	screen.block <- release
	waitFor(t, 20*time.Second, "the stuck render loop to be noticed", func() bool { return healthy() != nil })
	close(release)
	waitFor(t, 10*time.Second, "the render loop to be healthy again", func() bool { return healthy() == nil })
}
