package race

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func snapshotsEqual(a, b Snapshot) bool { return reflect.DeepEqual(a, b) }

func racesEqual(a, b *Race) bool { return reflect.DeepEqual(a, b) }

// scripted is a full 3-minute event race with the default rules: a false
// trigger, resets, a pause ended by a crossing, a capture, an undone false
// finish, a DNF, a split-line crossing, overtime and the finishing lap.
func scripted() []step {
	s := []step{
		{op: "cross", at: 0},
		{op: "cross", at: 14_200},
		{op: "cross", at: 15_000},
		{op: "cross", at: 27_900},
		{op: "reset+", at: 30_000}, {op: "reset+", at: 31_000},
		{op: "cross", at: 41_000},
		{op: "line", at: 45_000, warn: "line 1"},
		{op: "cross", at: 54_500},
		{op: "reset+", at: 56_000}, {op: "reset+", at: 57_000}, {op: "reset+", at: 58_000}, {op: "reset+", at: 59_000},
		{op: "cross", at: 68_000},
		{op: "pause", at: 70_000},
		{op: "reset+", at: 95_000},
		{op: "cross", at: 100_000},
		{op: "capture", at: 112_000},
		{op: "cross", at: 118_000},
		{op: "undo"},
		{op: "cross", at: 124_500},
		{op: "dnf", at: 130_000},
		{op: "resume", at: 140_000},
	}
	for ms := int64(152_000); ms <= 212_000; ms += 12_000 {
		s = append(s, step{op: "cross", at: ms})
	}
	return append(s,
		step{op: "tick", at: 221_000},
		step{op: "cross", at: 224_000},
		step{op: "cross", at: 225_000, warn: "race is over"},
		step{op: "submit"},
	)
}

func scriptedConfig() Config {
	c := DefaultConfig()
	return c
}

func TestScriptedRace(t *testing.T) {
	e := loaded(t, scriptedConfig())
	steps := scripted()
	// Live at chosen points: before the step with that index runs.
	live := map[int][3]int64{
		15: {70_000, 2_000, 110_000},  // paused since 70 s, lap began at 68 s
		16: {70_000, 2_000, 110_000},  // the pause does not run the clock
		17: {82_000, 12_000, 98_000},  // resumed at 100 s by the crossing; capture at 112 s
		22: {100_000, 0, 80_000},      // paused by the DNF at 130 s
		23: {112_000, 12_000, 68_000}, // resumed at 140 s
	}
	for i, s := range steps {
		if w, ok := live[i]; ok {
			el, lap, rem := e.Live(at(s.at))
			if el != msd(w[0]) || lap != msd(w[1]) || rem != msd(w[2]) {
				t.Errorf("before step %d (%s@%d): Live %v %v %v, want %v %v %v", i, s.op, s.at, el, lap, rem, msd(w[0]), msd(w[1]), msd(w[2]))
			}
		}
		effs := play(t, e, []step{s})
		checkLaps(t, e.Current())
		if s.op == "cross" && s.at == 224_000 && !effs[0].Ended {
			t.Error("the finishing crossing did not end the race")
		}
	}
	r := e.Current()
	want := "14200v 800s 13700v 13100vr2 13500v 13500r4 12000vmr1 6000vx 12500v 5500d " +
		"12000v 12000v 12000v 12000v 12000v 12000v 12000v"
	if got := lapsOf(r); got != want {
		t.Errorf("laps\n %q\nwant\n %q", got, want)
	}
	if r.State != Submitted || r.EndReason != EndByLap || r.EndNS != at(224_000) || r.PausedNS != int64(40*time.Second) {
		t.Errorf("race %s ended by %s at %d, paused %v", r.State, r.EndReason, r.EndNS, time.Duration(r.PausedNS))
	}
	if el, lap, rem := e.Live(at(300_000)); el != msd(184_000) || lap != 0 || rem != 0 {
		t.Errorf("Live after the end: %v %v %v", el, lap, rem)
	}
	counted := 0
	for _, l := range r.Laps {
		if l.Counts() {
			counted++
		}
	}
	if counted != 13 {
		t.Errorf("%d laps count, want 13", counted)
	}
}

// The same calls give the same engine, byte for byte.
func TestDeterministic(t *testing.T) {
	runOnce := func() (Snapshot, []Effect) {
		e := loaded(t, scriptedConfig())
		effs := play(t, e, scripted())
		return e.Snapshot(), effs
	}
	s1, e1 := runOnce()
	s2, e2 := runOnce()
	if !snapshotsEqual(s1, s2) || !reflect.DeepEqual(e1, e2) {
		t.Fatal("two runs of the same calls differ")
	}
	b1, _ := json.Marshal(s1)
	b2, _ := json.Marshal(s2)
	if string(b1) != string(b2) {
		t.Fatal("two runs encode differently")
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	e := loaded(t, testConfig(nil))
	if err := e.Queue("bob"); err != nil {
		t.Fatal(err)
	}
	effs := play(t, e, []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}})
	want := e.Snapshot()
	s := e.Snapshot()
	s.Current.Laps[0].Time = 0
	s.Current.RacerID = "x"
	s.Queue[0] = "x"
	effs[1].Race.Laps[0].Valid = false
	c := e.Current()
	c.Laps = append(c.Laps[:0], Lap{No: 9})
	if got := e.Snapshot(); !snapshotsEqual(got, want) {
		t.Error("changing a Snapshot, Current or Effect.Race changed the engine")
	}
}

func TestSnapshotRestore(t *testing.T) {
	e := loaded(t, testConfig(nil))
	for _, id := range []string{"bob", "cid"} {
		if err := e.Queue(id); err != nil {
			t.Fatal(err)
		}
	}
	play(t, e, []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}, {op: "reset+", at: 13_000}, {op: "pause", at: 14_000}})
	b, err := json.Marshal(e.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	// Whether the app counted the current race or not, it counts once.
	for _, runs := range []map[string]int{{"cid": 2}, {"ann": 1, "cid": 2}} {
		r, err := Restore(s, runs)
		if err != nil {
			t.Fatal(err)
		}
		if !snapshotsEqual(r.Snapshot(), e.Snapshot()) {
			t.Errorf("restored snapshot differs:\n%+v\n%+v", r.Snapshot(), e.Snapshot())
		}
		if r.Runs("ann") != 1 || r.Runs("cid") != 2 {
			t.Errorf("runs ann %d cid %d, want 1, 2", r.Runs("ann"), r.Runs("cid"))
		}
		// Both continue identically (the next racer, bob, has no runs in either).
		more := []step{{op: "resume", at: 20_000}, {op: "cross", at: 32_000}, {op: "end", at: 33_000}, {op: "submit"}, {op: "load", at: 40_000}}
		if a, b := play(t, e.clone(t), more), play(t, r, more); !reflect.DeepEqual(a, b) {
			t.Errorf("restored engine behaves differently:\n%+v\n%+v", a, b)
		}
	}
	r, err := Restore(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.SetRuns(map[string]int{"bob": 3, "zed": 0})
	if r.Runs("ann") != 1 || r.Runs("bob") != 3 || r.Runs("zed") != 0 {
		t.Errorf("SetRuns: ann %d bob %d zed %d", r.Runs("ann"), r.Runs("bob"), r.Runs("zed"))
	}
}

// clone copies an engine through its Snapshot.
func (e *Engine) clone(t testing.TB) *Engine {
	t.Helper()
	c, err := Restore(e.Snapshot(), e.runs)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRestoreRefusesBadSnapshots(t *testing.T) {
	e := loaded(t, testConfig(nil))
	play(t, e, []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}, {op: "cross", at: 24_000}})
	good := e.Snapshot()
	cases := []struct {
		name string
		mod  func(s *Snapshot)
		err  string
	}{
		{"empty track", func(s *Snapshot) { s.Track = "" }, "track is empty"},
		{"topic character in track", func(s *Snapshot) { s.Track = "a/b" }, "contains"},
		{"bad config", func(s *Snapshot) { s.Config.Duration = time.Second }, "duration"},
		{"zero counters", func(s *Snapshot) { s.NextRace = 0 }, "next_race"},
		{"empty queue entry", func(s *Snapshot) { s.Queue = []string{"a", ""} }, "queue entry 1 is empty"},
		{"queued twice", func(s *Snapshot) { s.Queue = []string{"a", "a"} }, "queued twice"},
		{"race of another track", func(s *Snapshot) { s.Current.Track = "t2" }, `of track "t2"`},
		{"race without id", func(s *Snapshot) { s.Current.ID = "" }, "id is empty"},
		{"race without racer", func(s *Snapshot) { s.Current.RacerID = "" }, "no racer"},
		{"run 0", func(s *Snapshot) { s.Current.Run = 0 }, "run 0"},
		{"negative stamp", func(s *Snapshot) { s.Current.PausedNS = -1 }, "negative clock stamp"},
		{"negative resets", func(s *Snapshot) { s.Current.Resets = -2 }, "resets -2"},
		{"unknown state", func(s *Snapshot) { s.Current.State = "flying" }, `unknown state "flying"`},
		{"race config", func(s *Snapshot) { s.Current.Config.MaxRuns = 9 }, "max_runs"},
		{"laps misnumbered", func(s *Snapshot) { s.Current.Laps[1].No = 3 }, "lap 2 is numbered 3"},
		{"seq not below next", func(s *Snapshot) { s.NextSeq = 2 }, "not below next_seq 2"},
	}
	for _, c := range cases {
		s := e.Snapshot()
		c.mod(&s)
		if _, err := Restore(s, nil); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
	}
	if _, err := Restore(good, nil); err != nil {
		t.Errorf("good snapshot refused: %v", err)
	}
	if _, err := NewEngine("t1", Config{}); err == nil {
		t.Error("NewEngine accepted an invalid config")
	}
	if ne, err := NewEngine("t 1", DefaultConfig()); err == nil || ne != nil {
		t.Error("NewEngine accepted a track with a space")
	}
	if e.Track() != "t1" {
		t.Errorf("Track() = %q", e.Track())
	}
}

func TestLive(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
		now   int64
		want  [3]int64
	}{
		{"ready", nil, 5_000, [3]int64{0, 0, 60_000}},
		{"running", []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}}, 20_000, [3]int64{20_000, 8_000, 40_000}},
		{"now before the last event", []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}}, 11_000, [3]int64{12_000, 0, 48_000}},
		{"paused", []step{{op: "cross", at: 0}, {op: "pause", at: 10_000}}, 50_000, [3]int64{10_000, 10_000, 50_000}},
		{"over", []step{{op: "cross", at: 0}, {op: "end", at: 30_000}}, 50_000, [3]int64{30_000, 0, 30_000}},
		{"discarded while running", []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}, {op: "discard"}}, 50_000, [3]int64{12_000, 0, 48_000}},
		{"discarded while paused", []step{{op: "cross", at: 0}, {op: "pause", at: 20_000}, {op: "discard"}}, 50_000, [3]int64{20_000, 0, 40_000}},
		{"discarded before start", []step{{op: "discard"}}, 50_000, [3]int64{0, 0, 60_000}},
	}
	for _, c := range cases {
		e := loaded(t, testConfig(nil))
		play(t, e, c.steps)
		el, lap, rem := e.Live(at(c.now))
		if el != msd(c.want[0]) || lap != msd(c.want[1]) || rem != msd(c.want[2]) {
			t.Errorf("%s: Live %v %v %v, want %v %v %v", c.name, el, lap, rem, msd(c.want[0]), msd(c.want[1]), msd(c.want[2]))
		}
	}
}
