package decoded

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// A decoder that restarts mid-race (power cycle with the link up: its
// clock goes back to near zero) is re-anchored from a host arrival time.
// The lap across the restart must reach the race flagged host-timed and
// counted for review; the laps on either side stay decoder-timed.
func TestDecoderRestartMidRaceFlagsTheLapForReview(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules := race.DefaultConfig()
	tr, err := track.Open(track.Config{ID: "t1", Store: st, Rules: rules, Boot: "test", Tick: time.Hour,
		Clock: func() int64 { return int64(50 * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("track stopped: %v", err)
		}
	}()
	if err := tr.PutRacer(ctx, "o", race.Racer{ID: "r1", Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.LoadRacer(ctx, "o", "r1"); err != nil {
		t.Fatal(err)
	}

	var host atomic.Int64
	cfg := fastConfig(t)
	cfg.HostClock = host.Load
	links := newPipeLinks()
	dec := links.next()
	src := New("line:dec", links, lineProtocol, cfg)
	run(t, src, tr.Sink)

	laps := func(n int) []race.Lap {
		t.Helper()
		waitFor(t, "laps", func() bool { r := tr.Current(); return r != nil && len(r.Laps) >= n })
		return tr.Current().Laps
	}
	host.Store(int64(100 * time.Second))
	write(t, dec, "P 3 10000 1\n") // starts the race
	waitFor(t, "race started", func() bool { r := tr.Current(); return r != nil && r.State == race.Running })
	host.Store(int64(109 * time.Second))
	write(t, dec, "P 3 19000 2\n")
	laps(1)
	// The decoder restarts; its clock counts from zero again.
	host.Store(int64(120*time.Second + 37*time.Millisecond))
	write(t, dec, "P 3 2000 1\n")
	laps(2)
	host.Store(int64(129 * time.Second))
	write(t, dec, "P 3 11000 2\n")
	got := laps(3)

	if got[0].HostTimed || got[0].Time != 9*time.Second {
		t.Errorf("lap 1 = %+v, want 9 s decoder-timed", got[0])
	}
	if !got[1].HostTimed || !got[1].Review() || got[1].Time != 11037*time.Millisecond {
		t.Errorf("lap 2 = %+v, want 11.037 s (host arrival) flagged host-timed for review", got[1])
	}
	if got[2].HostTimed || got[2].Time != 9*time.Second {
		t.Errorf("lap 3 = %+v, want 9 s decoder-timed", got[2])
	}
	rs := tr.RaceState()
	if rs.Race == nil || rs.Race.Review != 1 || !rs.Race.Laps[1].HostTimed || !rs.Race.Laps[1].Review || rs.Race.Laps[0].Review {
		t.Fatalf("race state payload: %+v, want lap 2 flagged and review 1", rs.Race)
	}
}
