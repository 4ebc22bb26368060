package race

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// corrected is a submitted race with laps "12000v 1000s 11000vr1 9000d".
func corrected(t *testing.T) *Race {
	t.Helper()
	e := loaded(t, testConfig(func(c *Config) { c.MaxResetsPerLap = 0 }))
	play(t, e, []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}, {op: "cross", at: 13_000},
		{op: "cross", at: 23_000}, {op: "dnf", at: 32_000}, {op: "end", at: 40_000}, {op: "submit"}})
	r := e.Current()
	if got := lapsOf(r); got != "12000v 1000s 11000v 9000d" {
		t.Fatalf("setup laps %q", got)
	}
	r.Laps[2].Resets = 1 // as if the official had counted one (recorded invalid below)
	r.Laps[2].Valid = false
	return r
}

func TestCorrections(t *testing.T) {
	cases := []struct {
		name    string
		fix     func(r *Race) ([]int, error)
		err     string
		changed []int
		laps    string
	}{
		{name: "edit", fix: func(r *Race) ([]int, error) { return EditLap(r, 1, 11_500*time.Millisecond) },
			changed: []int{1}, laps: "11500ve 1000s 11000r1 9000d"},
		{name: "edit at the lower bound", fix: func(r *Race) ([]int, error) { return EditLap(r, 1, 500*time.Millisecond) },
			changed: []int{1}, laps: "500se 1000s 11000r1 9000d"},
		{name: "edit at the upper bound", fix: func(r *Race) ([]int, error) { return EditLap(r, 1, time.Hour) },
			changed: []int{1}, laps: "3600000ve 1000s 11000r1 9000d"},
		{name: "edit below the bound", fix: func(r *Race) ([]int, error) { return EditLap(r, 1, 499*time.Millisecond) },
			err: "outside 500ms..1h0m0s"},
		{name: "edit above the bound", fix: func(r *Race) ([]int, error) { return EditLap(r, 1, time.Hour+1) },
			err: "outside"},
		{name: "edit out of short recomputes validity", fix: func(r *Race) ([]int, error) { return EditLap(r, 2, 12*time.Second) },
			changed: []int{2}, laps: "12000v 12000ve 11000r1 9000d"},
		{name: "edit keeping the flag keeps the official's validity", fix: func(r *Race) ([]int, error) { return EditLap(r, 3, 10*time.Second) },
			changed: []int{3}, laps: "12000v 1000s 10000er1 9000d"},
		{name: "edit a dnf lap keeps it invalid", fix: func(r *Race) ([]int, error) { return EditLap(r, 4, 10*time.Second) },
			changed: []int{4}, laps: "12000v 1000s 11000r1 10000de"},
		{name: "edit a missing lap", fix: func(r *Race) ([]int, error) { return EditLap(r, 5, 10*time.Second) },
			err: "has no lap 5"},
		{name: "edit lap 0", fix: func(r *Race) ([]int, error) { return EditLap(r, 0, 10*time.Second) },
			err: "has no lap 0"},
		{name: "edit a deleted lap", fix: func(r *Race) ([]int, error) {
			if _, err := DeleteLap(r, 1); err != nil {
				return nil, err
			}
			return EditLap(r, 1, 10*time.Second)
		}, err: "deleted; restore it first"},
		{name: "invalidate", fix: func(r *Race) ([]int, error) { return SetLapValid(r, 1, false) },
			changed: []int{1}, laps: "12000 1000s 11000r1 9000d"},
		{name: "validate", fix: func(r *Race) ([]int, error) { return SetLapValid(r, 3, true) },
			changed: []int{3}, laps: "12000v 1000s 11000vr1 9000d"},
		{name: "validate a valid lap changes nothing", fix: func(r *Race) ([]int, error) { return SetLapValid(r, 1, true) },
			laps: "12000v 1000s 11000r1 9000d"},
		{name: "toggle a missing lap", fix: func(r *Race) ([]int, error) { return SetLapValid(r, 9, true) },
			err: "has no lap 9"},
		{name: "delete", fix: func(r *Race) ([]int, error) { return DeleteLap(r, 1) },
			changed: []int{1}, laps: "12000vx 1000s 11000r1 9000d"},
		{name: "delete twice", fix: func(r *Race) ([]int, error) {
			if _, err := DeleteLap(r, 1); err != nil {
				return nil, err
			}
			return DeleteLap(r, 1)
		}, err: "already deleted"},
		{name: "delete and restore", fix: func(r *Race) ([]int, error) {
			if _, err := DeleteLap(r, 1); err != nil {
				return nil, err
			}
			return RestoreLap(r, 1)
		}, changed: []int{1}, laps: "12000v 1000s 11000r1 9000d"},
		{name: "restore a lap that is not deleted", fix: func(r *Race) ([]int, error) { return RestoreLap(r, 1) },
			err: "is not deleted"},
		{name: "delete a missing lap", fix: func(r *Race) ([]int, error) { return DeleteLap(r, -1) }, err: "has no lap -1"},
		{name: "restore a missing lap", fix: func(r *Race) ([]int, error) { return RestoreLap(r, 7) }, err: "has no lap 7"},
		{name: "add a missed lap at the end", fix: func(r *Race) ([]int, error) { return AddLap(r, 4, 12*time.Second, 99) },
			changed: []int{5}, laps: "12000v 1000s 11000r1 9000d 12000vm"},
		{name: "add a missed lap mid-race", fix: func(r *Race) ([]int, error) { return AddLap(r, 1, 12*time.Second, 99) },
			changed: []int{2, 3, 4, 5}, laps: "12000v 12000vm 1000s 11000r1 9000d"},
		{name: "add a missed first lap", fix: func(r *Race) ([]int, error) { return AddLap(r, 0, 12*time.Second, 99) },
			changed: []int{1, 2, 3, 4, 5}, laps: "12000vm 12000v 1000s 11000r1 9000d"},
		{name: "add a short lap", fix: func(r *Race) ([]int, error) { return AddLap(r, 4, time.Second, 99) },
			changed: []int{5}, laps: "12000v 1000s 11000r1 9000d 1000sm"},
		{name: "add after a lap the race lacks", fix: func(r *Race) ([]int, error) { return AddLap(r, 5, 12*time.Second, 99) }, err: "after lap 5"},
		{name: "add before the first lap", fix: func(r *Race) ([]int, error) { return AddLap(r, -1, 12*time.Second, 99) }, err: "after lap -1"},
		{name: "add with seq 0", fix: func(r *Race) ([]int, error) { return AddLap(r, 4, 12*time.Second, 0) }, err: "seq is 0"},
		{name: "add with a used seq", fix: func(r *Race) ([]int, error) { return AddLap(r, 4, 12*time.Second, 1) }, err: "seq 1 is already lap 1's"},
		{name: "add out of bounds", fix: func(r *Race) ([]int, error) { return AddLap(r, 4, 2*time.Hour, 99) }, err: "outside"},
		{name: "split a lap", fix: func(r *Race) ([]int, error) { return SplitLap(r, 1, 5*time.Second, 99) },
			changed: []int{1, 2, 3, 4, 5}, laps: "5000ve 7000vm 1000s 11000r1 9000d"},
		{name: "split the last lap", fix: func(r *Race) ([]int, error) { return SplitLap(r, 4, 4*time.Second, 99) },
			changed: []int{4, 5}, laps: "12000v 1000s 11000r1 4000de 5000vm"},
		{name: "split leaving too little", fix: func(r *Race) ([]int, error) { return SplitLap(r, 1, 11_800*time.Millisecond, 99) },
			err: "the rest (200ms of 12s)"},
		{name: "split with a used seq", fix: func(r *Race) ([]int, error) { return SplitLap(r, 1, 5*time.Second, 1) }, err: "in use"},
		{name: "split a missing lap", fix: func(r *Race) ([]int, error) { return SplitLap(r, 9, 5*time.Second, 99) }, err: "has no lap 9"},
		{name: "reassign", fix: func(r *Race) ([]int, error) { return nil, Reassign(r, "bob") },
			laps: "12000v 1000s 11000r1 9000d"},
		{name: "reassign to the same racer", fix: func(r *Race) ([]int, error) { return nil, Reassign(r, "ann") }, err: "already belongs"},
		{name: "reassign to nobody", fix: func(r *Race) ([]int, error) { return nil, Reassign(r, "") }, err: "racer id is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := corrected(t)
			before := r.clone()
			changed, err := c.fix(r)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(changed, c.changed) {
				t.Errorf("changed %v, want %v", changed, c.changed)
			}
			if got := lapsOf(r); got != c.laps {
				t.Errorf("laps %q, want %q", got, c.laps)
			}
			if c.name == "reassign" && r.RacerID != "bob" {
				t.Errorf("racer %q after reassign", r.RacerID)
			}
			checkLaps(t, r)
			if r.State != before.State || r.ID != before.ID {
				t.Error("a correction changed the race's state or id")
			}
		})
	}
}

// A failing correction changes nothing, on a race of its own.
func TestCorrectionsRefuseWithoutChange(t *testing.T) {
	fails := []func(r *Race) error{
		func(r *Race) error { _, err := EditLap(r, 1, time.Millisecond); return err },
		func(r *Race) error { _, err := EditLap(r, 9, time.Second); return err },
		func(r *Race) error { _, err := SetLapValid(r, 9, true); return err },
		func(r *Race) error { _, err := RestoreLap(r, 1); return err },
		func(r *Race) error { _, err := AddLap(r, 4, 0, 5); return err },
		func(r *Race) error { _, err := AddLap(r, 9, 12*time.Second, 99); return err },
		func(r *Race) error { return Reassign(r, "ann") },
	}
	for i, f := range fails {
		r := corrected(t)
		before := r.clone()
		if err := f(r); err == nil {
			t.Errorf("correction %d did not fail", i)
		}
		if !racesEqual(r, before) {
			t.Errorf("failing correction %d changed the race", i)
		}
	}
	var nilRace *Race
	for name, err := range map[string]error{
		"edit":     second(EditLap(nilRace, 1, time.Second)),
		"add":      second(AddLap(nilRace, 0, time.Second, 1)),
		"reassign": Reassign(nilRace, "x"),
	} {
		if err == nil {
			t.Errorf("%s on a nil race did not fail", name)
		}
	}
	ready := loaded(t, testConfig(nil)).Current()
	if _, err := AddLap(ready, 0, 12*time.Second, 1); err == nil || !strings.Contains(err.Error(), "has not started") {
		t.Errorf("add lap to a ready race: %v", err)
	}
}

func second(_ []int, err error) error { return err }

func TestEngineCorrect(t *testing.T) {
	e := loaded(t, testConfig(nil))
	play(t, e, []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}, {op: "cross", at: 24_000}})

	eff, ok, err := e.Correct("t1-9", func(r *Race) ([]int, error) { return DeleteLap(r, 1) })
	if ok || err != nil || eff.Race != nil {
		t.Errorf("correct another race: %+v, %v, %v; want not applied", eff, ok, err)
	}
	eff, ok, err = e.Correct("t1-1", func(r *Race) ([]int, error) { return EditLap(r, 2, 11*time.Second) })
	if !ok || err != nil || !slices.Equal(eff.Changed, []int{2}) || eff.Race == nil || eff.Race.Laps[1].Time != 11*time.Second {
		t.Fatalf("edit current: %+v, %v, %v", eff, ok, err)
	}
	before := e.Snapshot()
	_, ok, err = e.Correct("t1-1", func(r *Race) ([]int, error) { return EditLap(r, 2, time.Millisecond) })
	if !ok || err == nil || !strings.Contains(err.Error(), "correct race t1-1") || !snapshotsEqual(before, e.Snapshot()) {
		t.Errorf("failed correction: %v, %v; engine changed: %v", ok, err, !snapshotsEqual(before, e.Snapshot()))
	}
	_, _, err = e.Correct("t1-1", func(r *Race) ([]int, error) { r.ID = "x"; return nil, nil })
	if err == nil || !snapshotsEqual(before, e.Snapshot()) {
		t.Errorf("correction changing the id: %v", err)
	}
	_, _, err = e.Correct("t1-1", func(r *Race) ([]int, error) { r.Laps = r.Laps[1:]; return nil, nil })
	if err == nil || !snapshotsEqual(before, e.Snapshot()) {
		t.Errorf("correction renumbering laps: %v", err)
	}
	if _, _, err = e.Correct("t1-1", nil); err == nil {
		t.Error("nil correction accepted")
	}
	eff, ok, err = e.Correct("t1-1", func(r *Race) ([]int, error) { return SetLapValid(r, 1, true) })
	if !ok || err != nil || eff.Race != nil {
		t.Errorf("no-op correction: %+v, %v, %v; want no change", eff, ok, err)
	}
	seq := e.TakeSeq()
	eff, _, err = e.Correct("t1-1", func(r *Race) ([]int, error) { return AddLap(r, 2, 12*time.Second, seq) })
	if err != nil || !slices.Equal(eff.Recorded, []int{3}) || len(eff.Changed) != 0 {
		t.Errorf("add lap: %+v, %v; want Recorded [3]", eff, err)
	}
	// A lap added mid-race is the recorded one; the laps after it changed
	// number.
	mid := e.TakeSeq()
	eff, _, err = e.Correct("t1-1", func(r *Race) ([]int, error) { return AddLap(r, 1, 11500*time.Millisecond, mid) })
	if err != nil || !slices.Equal(eff.Recorded, []int{2}) || !slices.Equal(eff.Changed, []int{3, 4}) ||
		eff.Race.Laps[1].Seq != mid || eff.Race.Laps[1].Time != 11500*time.Millisecond || eff.Race.Laps[3].Seq != seq {
		t.Errorf("add lap mid-race: %+v, %v; want Recorded [2] Changed [3 4]", eff, err)
	}
	_, _, err = e.Correct("t1-1", func(r *Race) ([]int, error) { return AddLap(r, 4, 12*time.Second, seq+100) })
	if err == nil || !strings.Contains(err.Error(), "next_seq") {
		t.Errorf("add lap with a seq the engine never gave: %v", err)
	}
	// The run moves with a reassigned race.
	if _, _, err = e.Correct("t1-1", func(r *Race) ([]int, error) { return nil, Reassign(r, "bob") }); err != nil {
		t.Fatal(err)
	}
	if e.Runs("ann") != 0 || e.Runs("bob") != 1 || e.Current().RacerID != "bob" || e.Current().Run != 1 {
		t.Errorf("after reassign: ann %d runs, bob %d, racer %q", e.Runs("ann"), e.Runs("bob"), e.Current().RacerID)
	}
	// The lap in progress is untouched by corrections: timing goes on.
	play(t, e, []step{{op: "cross", at: 36_000}})
	if got := lapsOf(e.Current()); got != "12000v 11500vm 11000ve 12000vm 12000v" {
		t.Errorf("laps after corrections and a crossing: %q", got)
	}
}
