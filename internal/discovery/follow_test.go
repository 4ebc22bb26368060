package discovery

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A broker that moves is followed only once the connection has been down
// for After; a round finding nothing or the same address waits again, and a
// connection that comes back resets the wait.
func TestFollowFindsAMovedBroker(t *testing.T) {
	var connected atomic.Bool
	var rounds atomic.Int32
	answer := atomic.Value{}
	answer.Store("")
	f := Follower{
		Current:   "tcp://169.254.1.1:1883",
		Connected: connected.Load,
		Find: func(ctx context.Context) (string, error) {
			rounds.Add(1)
			if a := answer.Load().(string); a != "" {
				return a, nil
			}
			return "", errors.New("nothing answered")
		},
		After: 60 * time.Millisecond, Every: 5 * time.Millisecond, Wait: time.Second,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan string, 1)
	connected.Store(true)
	go func() { got <- Follow(ctx, f) }()

	time.Sleep(150 * time.Millisecond)
	if n := rounds.Load(); n != 0 {
		t.Fatalf("%d discovery rounds while connected", n)
	}
	connected.Store(false) // the broker is gone: nothing answers at first
	deadline := time.Now().Add(5 * time.Second)
	for rounds.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	answer.Store(f.Current) // it comes back at the same address
	time.Sleep(200 * time.Millisecond)
	select {
	case u := <-got:
		t.Fatalf("followed to %q while the broker was at the same address", u)
	default:
	}
	answer.Store("tcp://169.254.9.9:1883") // now it answers elsewhere
	select {
	case u := <-got:
		if u != "tcp://169.254.9.9:1883" {
			t.Fatalf("followed to %q", u)
		}
	case <-ctx.Done():
		t.Fatal("the moved broker was not followed")
	}
}

func TestFollowStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string)
	go func() {
		done <- Follow(ctx, Follower{Current: "x", Connected: func() bool { return true },
			Find: func(context.Context) (string, error) { return "y", nil }, Every: time.Millisecond})
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if u := <-done; u != "" {
		t.Fatalf("Follow returned %q after cancel", u)
	}
}

// Run stops the unit's loop when the broker moves and says where to; the
// unit's own end is returned as it is.
func TestFollowerRunStopsTheUnitOnAMove(t *testing.T) {
	f := Follower{Current: "tcp://169.254.1.1:1883", Connected: func() bool { return false },
		Find:  func(context.Context) (string, error) { return "tcp://169.254.9.9:1883", nil },
		After: 10 * time.Millisecond, Every: 5 * time.Millisecond}
	loop := func(ctx context.Context) error { <-ctx.Done(); return nil }
	err := f.Run(context.Background(), loop)
	if err == nil || !strings.Contains(err.Error(), "moved from tcp://169.254.1.1:1883 to tcp://169.254.9.9:1883") {
		t.Fatalf("Run = %v, want the move", err)
	}
	f.Connected = func() bool { return true }
	stop := errors.New("the unit's own error")
	if err := f.Run(context.Background(), func(context.Context) error { return stop }); err != stop {
		t.Fatalf("Run = %v, want the unit's own error", err)
	}
}
