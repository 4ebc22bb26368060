package decoded

import (
	"context"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		want   []time.Duration
	}{
		{"no jitter draws the upper bound, doubling to max", 0.999999999, []time.Duration{
			100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second,
		}},
		{"full jitter draws half", 0, []time.Duration{
			50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackoff(100*time.Millisecond, time.Second)
			b.jitter = func() float64 { return tt.jitter }
			for i, want := range tt.want {
				got := b.delay()
				if d := got - want; d < -time.Microsecond || d > time.Microsecond {
					t.Errorf("delay %d = %v, want %v", i, got, want)
				}
			}
			b.reset()
			if got := b.delay(); got > 100*time.Millisecond || got < 50*time.Millisecond {
				t.Errorf("after reset delay = %v, want within [50ms, 100ms]", got)
			}
		})
	}
}

func TestSleepStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sleep(ctx, time.Hour) {
		t.Fatal("sleep reported the full delay on a cancelled context")
	}
	if !sleep(context.Background(), time.Millisecond) {
		t.Fatal("sleep did not report the delay elapsed")
	}
}
