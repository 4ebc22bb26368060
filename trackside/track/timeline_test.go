package track_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// openOnBoot opens the track as a unit does after a (re)start on the boot
// named boot, whose monotonic clock reads atSec.
func openOnBoot(t *testing.T, path, boot string, atSec int64) *harness {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, path: path, st: st, clock: &fakeClock{}}
	h.clock.ns.Store(atSec * sec)
	h.tr, err = track.Open(track.Config{ID: "t1", Store: st, Rules: rules(), Boot: "test", Clock: h.clock.now, ClockBoot: boot, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h.run()
	return h
}

// crossAt sends a crossing stamped atSec on the current boot's clock, with
// that clock reading the same.
func (h *harness) crossAt(atSec int64) {
	h.t.Helper()
	h.clock.ns.Store(atSec * sec)
	h.cross(float64(atSec))
}

// startRace loads r1 and times lap 1 (10 s) from monotonic 1000 s: the
// race is running with lap 2 in progress since 1010 s.
func startRace(t *testing.T, h *harness) {
	t.Helper()
	h.racer("r1", "Ana")
	must[race.Effect](t)(h.tr.LoadRacer(context.Background(), "official", "r1"))
	h.crossAt(1000)
	h.crossAt(1010)
}

// A power cut mid-race: the new boot's clock starts near zero, far below
// the stamps stored. The race goes on: the next crossings are timed, the
// lap spanning the cut is flagged for review, the time the unit was off is
// not race time, and laps after it are exact.
func TestRaceGoesOnAfterPowerCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := openOnBoot(t, path, "boot-a", 990)
	startRace(t, h)
	h.clock.ns.Store(1013 * sec) // read, never committed: lost with the power
	h.close()

	h = openOnBoot(t, path, "boot-b", 25) // the new boot, 25 s after power-on
	defer h.close()
	r := h.tr.Current()
	if r == nil || r.State != race.Running || len(r.Laps) != 1 {
		t.Fatalf("after the cut: race %+v, want running with 1 lap", r)
	}
	h.crossAt(30) // closes the lap that spans the cut
	h.crossAt(42) // a whole lap on the new boot
	r = h.tr.Current()
	if len(r.Laps) != 3 {
		t.Fatalf("laps after the cut: %+v, want 3 (crossings after a power cut must be timed)", r.Laps)
	}
	spanning, after := r.Laps[1], r.Laps[2]
	// The track's clock goes on from the last reading stored (1010 s, the
	// lap boundary) at the new boot's 25 s, so the spanning lap measures
	// 1010 s → 1010+(30-25) s: 5 s, and an official must look at it.
	if !spanning.HostTimed || spanning.Time != 5*time.Second {
		t.Errorf("lap spanning the cut: %+v, want host-timed (for review) and 5s", spanning)
	}
	if after.HostTimed || after.Time != 12*time.Second {
		t.Errorf("lap after the cut: %+v, want 12s, decoder-exact", after)
	}
	if el := h.tr.Live(r).Elapsed; el != 27*time.Second {
		t.Errorf("race time after the cut: %v, want 27s (10+5+12: the time off is not race time)", el)
	}
}

// A restart of the process on the same boot keeps the clock: the time the
// process was down is race time, and the lap is not flagged.
func TestRaceGoesOnAfterProcessRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := openOnBoot(t, path, "boot-a", 990)
	startRace(t, h)
	h.close()

	h = openOnBoot(t, path, "boot-a", 1020)
	defer h.close()
	h.crossAt(1025)
	r := h.tr.Current()
	if len(r.Laps) != 2 || r.Laps[1].Time != 15*time.Second || r.Laps[1].HostTimed {
		t.Fatalf("laps after a process restart: %+v, want lap 2 of 15s, not host-timed", r.Laps)
	}
}

// A store written before the track kept timelines: its stamps are the raw
// clock of the boot that wrote them. Ahead of the new clock, they are of
// another boot, and the race goes on as after a power cut.
func TestStoreWithoutTimelineFromAnEarlierBoot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := openOnBoot(t, path, "", 990) // no boot: no timeline stored
	startRace(t, h)
	h.close()

	h = openOnBoot(t, path, "boot-b", 20)
	defer h.close()
	h.crossAt(24)
	r := h.tr.Current()
	if len(r.Laps) != 2 || !r.Laps[1].HostTimed || r.Laps[1].Time != 4*time.Second {
		t.Fatalf("laps: %+v, want lap 2 of 4s, host-timed", r.Laps)
	}
}

// Two power cuts in a row, the second before any crossing: the clock
// still goes on, never back.
func TestTwoPowerCuts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := openOnBoot(t, path, "boot-a", 990)
	startRace(t, h)
	h.close()
	h = openOnBoot(t, path, "boot-b", 20)
	h.close()
	h = openOnBoot(t, path, "boot-c", 5)
	defer h.close()
	h.crossAt(9)
	h.crossAt(19)
	r := h.tr.Current()
	if len(r.Laps) != 3 || r.Laps[1].Time != 4*time.Second || !r.Laps[1].HostTimed || r.Laps[2].Time != 10*time.Second || r.Laps[2].HostTimed {
		t.Fatalf("laps: %+v, want lap 2 of 4s host-timed and lap 3 of 10s", r.Laps)
	}
}
