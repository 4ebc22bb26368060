package decoded

import (
	"fmt"
	"testing"
	"time"
)

func TestChatterFilter(t *testing.T) {
	type pass struct {
		tx   string
		at   time.Duration
		drop bool
	}
	tests := []struct {
		name   string
		window time.Duration
		passes []pass
	}{
		{"second passing within the window is chatter", time.Second, []pass{
			{"3", 10 * time.Second, false},
			{"3", 10*time.Second + 400*time.Millisecond, true},
			{"3", 15 * time.Second, false},
		}},
		{"window counts from the last accepted passing, not the last chatter", time.Second, []pass{
			{"3", 0, false},
			{"3", 600 * time.Millisecond, true},
			{"3", 1200 * time.Millisecond, false},
		}},
		{"exactly the window apart is a new passing", time.Second, []pass{
			{"3", 0, false},
			{"3", time.Second, false},
		}},
		{"transponders are independent", time.Second, []pass{
			{"3", 0, false},
			{"4", 100 * time.Millisecond, false},
			{"3", 200 * time.Millisecond, true},
		}},
		{"out-of-order report of the same visit is chatter", time.Second, []pass{
			{"3", 10 * time.Second, false},
			{"3", 9*time.Second + 700*time.Millisecond, true},
		}},
		{"beam break without transponder is filtered too", time.Second, []pass{
			{"", 0, false},
			{"", 300 * time.Millisecond, true},
		}},
		{"disabled filter drops nothing", 0, []pass{
			{"3", 0, false},
			{"3", 1, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newChatterFilter(tt.window)
			for i, p := range tt.passes {
				if got := f.chatter(p.tx, int64(p.at)); got != p.drop {
					t.Errorf("passing %d (tx %q at %v): chatter=%v, want %v", i, p.tx, p.at, got, p.drop)
				}
			}
		})
	}
}

func TestChatterFilterStaysBounded(t *testing.T) {
	f := newChatterFilter(time.Second)
	for i := range 10 * pruneAt {
		f.chatter(fmt.Sprint(i), int64(i)*int64(time.Second))
	}
	if len(f.last) > pruneAt {
		t.Fatalf("filter holds %d transponders, want at most %d", len(f.last), pruneAt)
	}
	// A pruned transponder is old news; a recent one is still filtered.
	recent := fmt.Sprint(10*pruneAt - 1)
	if !f.chatter(recent, int64(10*pruneAt-1)*int64(time.Second)+1) {
		t.Fatalf("recent transponder %s forgotten by pruning", recent)
	}
}
