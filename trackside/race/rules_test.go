package race

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// raceCase is one scripted race and the race it must leave behind.
type raceCase struct {
	name   string
	cfg    func(*Config)
	steps  []step
	laps   string    // lapsOf the race at the end
	state  State     // state at the end
	why    EndReason // EndReason at the end
	resets int       // resets on the lap in progress at the end
}

func runCases(t *testing.T, cases []raceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := loaded(t, testConfig(c.cfg))
			play(t, e, c.steps)
			r := e.Current()
			checkLaps(t, r)
			if got := lapsOf(r); got != c.laps {
				t.Errorf("laps %q, want %q", got, c.laps)
			}
			if r.State != c.state {
				t.Errorf("state %s, want %s", r.State, c.state)
			}
			if r.EndReason != c.why {
				t.Errorf("end reason %q, want %q", r.EndReason, c.why)
			}
			if r.Resets != c.resets {
				t.Errorf("resets on the lap in progress %d, want %d", r.Resets, c.resets)
			}
		})
	}
}

func official(c *Config) { c.StartMode = StartByOfficial }

func TestStartRules(t *testing.T) {
	runCases(t, []raceCase{
		{name: "first crossing starts the clock and records no lap",
			steps: []step{{op: "cross", at: 0}},
			laps:  "", state: Running},
		{name: "later crossings close laps",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}, {op: "cross", at: 23_500}},
			laps:  "12000v 11500v", state: Running},
		{name: "official start opens lap 1 at now",
			cfg:   official,
			steps: []step{{op: "start", at: 1_000}, {op: "cross", at: 13_000}},
			laps:  "12000v", state: Running},
		{name: "crossing while ready ignored in official mode",
			cfg: official,
			steps: []step{{op: "cross", at: 0, warn: "official's start"}, {op: "start", at: 1_000},
				{op: "cross", at: 13_000}},
			laps: "12000v", state: Running},
		{name: "official may start a crossing-mode race; next crossing closes lap 1",
			steps: []step{{op: "start", at: 1_000}, {op: "cross", at: 13_000}},
			laps:  "12000v", state: Running},
		{name: "start twice",
			steps: []step{{op: "cross", at: 0}, {op: "start", at: 1_000, err: "start: race is running"}},
			laps:  "", state: Running},
		{name: "crossing before the race was loaded is not its start",
			steps: []step{{op: "cross", at: -20_000, warn: "earlier than the race's last event"}, {op: "cross", at: 0}, {op: "cross", at: 12_000}},
			laps:  "12000v", state: Running},
		{name: "start before load stamp is taken at load",
			cfg:   official,
			steps: []step{{op: "start", at: -20_000}, {op: "cross", at: 0}},
			laps:  "10000v", state: Running},
		{name: "split line crossings do not time laps",
			steps: []step{{op: "cross", at: 0}, {op: "line", at: 5_000, warn: "line 1"}, {op: "cross", at: 12_000}},
			laps:  "12000v", state: Running},
	})
}

func TestStartEffects(t *testing.T) {
	e := loaded(t, testConfig(nil))
	eff, err := e.Crossing(at(0), 0)
	if err != nil || !eff.Started || len(eff.Recorded) != 0 || eff.Race == nil || eff.Race.StartNS != at(0) {
		t.Fatalf("start crossing: %+v, %v; want Started, no lap, StartNS %d", eff, err, at(0))
	}
	eff, err = e.Crossing(at(12_000), 0)
	if err != nil || eff.Started || !slices.Equal(eff.Recorded, []int{1}) {
		t.Fatalf("lap crossing: %+v, %v; want Recorded [1]", eff, err)
	}
	if _, err := e.Crossing(0, 0); err == nil {
		t.Error("crossing at stamp 0 accepted")
	}
	if _, err := e.Crossing(at(13_000), -1); err == nil {
		t.Error("crossing on line -1 accepted")
	}
	if e.Current().Run != 1 || e.Runs("ann") != 1 {
		t.Errorf("run %d, runs %d; want 1, 1", e.Current().Run, e.Runs("ann"))
	}
}

// Seq orders laps across every race of the engine.
func TestLapSeqIsEngineWide(t *testing.T) {
	e := loaded(t, testConfig(nil))
	play(t, e, []step{{op: "cross", at: 0}, {op: "cross", at: 1_000}, {op: "cross", at: 12_000},
		{op: "end", at: 13_000}, {op: "submit"}})
	if err := e.Queue("bob"); err != nil {
		t.Fatal(err)
	}
	play(t, e, []step{{op: "load", at: 20_000}, {op: "cross", at: 30_000}, {op: "cross", at: 40_000},
		{op: "dnf", at: 45_000}})
	r := e.Current()
	var seqs []uint64
	for _, l := range r.Laps {
		seqs = append(seqs, l.Seq)
	}
	if !slices.Equal(seqs, []uint64{3, 4}) || e.Snapshot().NextSeq != 5 {
		t.Errorf("second race seqs %v, next %d; want [3 4], 5", seqs, e.Snapshot().NextSeq)
	}
	if r.ID != "t1-2" {
		t.Errorf("second race id %q, want t1-2", r.ID)
	}
}

func TestMinLap(t *testing.T) {
	runCases(t, []raceCase{
		{name: "false trigger after start is short and not a boundary",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 1_000}, {op: "cross", at: 12_000}},
			laps:  "1000s 12000v", state: Running},
		{name: "chatter after a lap",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}, {op: "cross", at: 12_500}, {op: "cross", at: 24_000}},
			laps:  "12000v 500s 12000v", state: Running},
		{name: "exactly the minimum counts",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 3_000}},
			laps:  "3000v", state: Running},
		{name: "a hair under the minimum is short",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 2_999}, {op: "cross", at: 3_000}},
			laps:  "2999s 3000v", state: Running},
		{name: "resets stay with the lap in progress",
			steps: []step{{op: "cross", at: 0}, {op: "reset+", at: 500}, {op: "cross", at: 1_000}, {op: "cross", at: 12_000}},
			laps:  "1000s 12000vr1", state: Running},
		{name: "no minimum: any positive lap counts",
			cfg:   func(c *Config) { c.MinLap = 0 },
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 1}},
			laps:  "1v", state: Running},
		{name: "no minimum: a zero-length lap is still short",
			cfg:   func(c *Config) { c.MinLap = 0 },
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 0}, {op: "cross", at: 5_000}},
			laps:  "0s 5000v", state: Running},
	})
}

func TestExpiry(t *testing.T) {
	hard := func(c *Config) { c.Expiry = HardStop }
	grace := func(c *Config) { c.Expiry = Grace; c.Grace = 5 * time.Second }
	runCases(t, []raceCase{
		{name: "finish-lap: tick after expiry does not end",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "tick", at: 70_000}},
			laps:  "30000v", state: Running},
		{name: "finish-lap: next crossing closes the lap and ends",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "cross", at: 59_000},
				{op: "cross", at: 75_000}, {op: "cross", at: 80_000, warn: "race is over"}},
			laps: "30000v 29000v 16000v", state: Over, why: EndByLap},
		{name: "finish-lap: crossing exactly at expiry ends",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 60_000}},
			laps:  "60000v", state: Over, why: EndByLap},
		{name: "finish-lap: a short crossing after expiry does not end",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 58_000}, {op: "cross", at: 60_500}, {op: "cross", at: 70_000}},
			laps:  "58000v 2500s 12000v", state: Over, why: EndByLap},
		{name: "finish-lap: capture after expiry ends",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 50_000}, {op: "capture", at: 62_000}},
			laps:  "50000v 12000vm", state: Over, why: EndByLap},
		{name: "finish-lap: pauses are not race time",
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 50_000}, {op: "resume", at: 80_000},
				{op: "cross", at: 85_000}, {op: "cross", at: 89_999}, {op: "cross", at: 100_000}},
			laps: "5000v 4999v 10001v", state: Over, why: EndByLap},
		{name: "hard stop: running until expiry",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "tick", at: 59_999}},
			laps:  "30000v", state: Running},
		{name: "hard stop: tick at expiry ends, lap in progress dropped",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "tick", at: 60_000}},
			laps:  "30000v", state: Over, why: EndByExpiry},
		{name: "hard stop: crossing after expiry ends and is ignored",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "cross", at: 61_000, warn: "after race time expired"}},
			laps:  "30000v", state: Over, why: EndByExpiry},
		{name: "hard stop: crossing just before expiry counts",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 59_999}, {op: "tick", at: 60_000}},
			laps:  "59999v", state: Over, why: EndByExpiry},
		{name: "hard stop: pauses push expiry back",
			cfg: hard,
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 10_000}, {op: "resume", at: 20_000},
				{op: "tick", at: 69_999}, {op: "cross", at: 69_999}},
			laps: "49999v", state: Running},
		{name: "hard stop: reset past expiry ends the race instead",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "reset+", at: 61_000, warn: "reset: race time expired"}},
			laps:  "", state: Over, why: EndByExpiry, resets: 0},
		{name: "hard stop: pause past expiry ends the race instead",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 61_000, warn: "pause: race time expired"}},
			laps:  "", state: Over, why: EndByExpiry},
		{name: "hard stop: capture past expiry ends the race instead",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "capture", at: 61_000, warn: "capture: race time expired"}},
			laps:  "", state: Over, why: EndByExpiry},
		{name: "hard stop: dnf past expiry ends the race instead",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "dnf", at: 61_000, warn: "dnf: race time expired"}},
			laps:  "", state: Over, why: EndByExpiry},
		{name: "hard stop: end past expiry ends at expiry",
			cfg:   hard,
			steps: []step{{op: "cross", at: 0}, {op: "end", at: 61_000, warn: "end: race time expired"}},
			laps:  "", state: Over, why: EndByExpiry},
		{name: "grace: crossing within grace closes the lap and ends",
			cfg:   grace,
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "cross", at: 64_000}},
			laps:  "30000v 34000v", state: Over, why: EndByLap},
		{name: "grace: tick inside grace keeps running",
			cfg:   grace,
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "tick", at: 64_999}},
			laps:  "30000v", state: Running},
		{name: "grace: tick at expiry+grace ends without the lap",
			cfg:   grace,
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "tick", at: 65_000}},
			laps:  "30000v", state: Over, why: EndByExpiry},
		{name: "grace: crossing after grace is ignored",
			cfg:   grace,
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "cross", at: 66_000, warn: "expired"}},
			laps:  "30000v", state: Over, why: EndByExpiry},
		{name: "official end",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 30_000}, {op: "end", at: 40_000}},
			laps:  "30000v", state: Over, why: EndByOfficial},
	})
}

// The race ends at the exact instant the mode says.
func TestExpiryEndStamp(t *testing.T) {
	cases := []struct {
		name  string
		cfg   func(*Config)
		steps []step
		end   int64 // ms
	}{
		{"hard stop at expiry", func(c *Config) { c.Expiry = HardStop },
			[]step{{op: "cross", at: 0}, {op: "tick", at: 90_000}}, 60_000},
		{"hard stop after a pause", func(c *Config) { c.Expiry = HardStop },
			[]step{{op: "cross", at: 0}, {op: "pause", at: 1_000}, {op: "resume", at: 4_000}, {op: "tick", at: 90_000}}, 63_000},
		{"grace at expiry+grace", func(c *Config) { c.Expiry = Grace; c.Grace = 5 * time.Second },
			[]step{{op: "cross", at: 0}, {op: "tick", at: 90_000}}, 65_000},
		{"finish lap at the crossing", nil,
			[]step{{op: "cross", at: 0}, {op: "cross", at: 61_234}}, 61_234},
		{"official end while paused", nil,
			[]step{{op: "cross", at: 0}, {op: "pause", at: 10_000}, {op: "end", at: 20_000}}, 20_000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := loaded(t, testConfig(c.cfg))
			effs := play(t, e, c.steps)
			if !effs[len(effs)-1].Ended {
				t.Error("last call did not report Ended")
			}
			if r := e.Current(); r.EndNS != at(c.end) {
				t.Errorf("EndNS %d, want %d", r.EndNS, at(c.end))
			}
		})
	}
}

func TestPauseResume(t *testing.T) {
	runCases(t, []raceCase{
		{name: "lap in progress restarts at the official's resume",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 10_000}, {op: "pause", at: 15_000},
				{op: "resume", at: 25_000}, {op: "cross", at: 37_000}},
			laps: "10000v 12000v", state: Running},
		{name: "crossing while paused resumes and opens a fresh lap",
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 5_000}, {op: "cross", at: 20_000},
				{op: "cross", at: 32_000}},
			laps: "12000v", state: Running},
		{name: "crossing while paused ignored when configured",
			cfg:   func(c *Config) { c.CrossingResumes = false },
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 5_000}, {op: "cross", at: 20_000, warn: "race is paused"}},
			laps:  "", state: Paused},
		{name: "crossing stamped before the pause is ignored",
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 5_000}, {op: "cross", at: 4_990, warn: "10ms earlier"}},
			laps:  "", state: Paused},
		{name: "resets survive a pause",
			steps: []step{{op: "cross", at: 0}, {op: "reset+", at: 1_000}, {op: "pause", at: 2_000},
				{op: "reset+", at: 3_000}, {op: "resume", at: 4_000}, {op: "cross", at: 16_000}},
			laps: "12000vr2", state: Running},
		{name: "pause while paused",
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 1_000}, {op: "pause", at: 2_000, err: "pause: race is paused"}},
			laps:  "", state: Paused},
		{name: "resume while running",
			steps: []step{{op: "cross", at: 0}, {op: "resume", at: 1_000, err: "resume: race is running"}},
			laps:  "", state: Running},
		{name: "pause before start",
			steps: []step{{op: "pause", at: 1_000, err: "pause: race is ready"}},
			laps:  "", state: Ready},
		{name: "end while paused",
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 1_000}, {op: "end", at: 2_000}},
			laps:  "", state: Over, why: EndByOfficial},
	})
}

func TestPausedTimeIsNotRaceTime(t *testing.T) {
	e := loaded(t, testConfig(nil))
	play(t, e, []step{{op: "cross", at: 0}, {op: "cross", at: 10_000}, {op: "pause", at: 15_000},
		{op: "resume", at: 25_000}})
	cases := []struct {
		now                 int64
		elapsed, lap, remai int64
	}{
		{30_000, 20_000, 5_000, 40_000},
		{75_000, 65_000, 50_000, 0}, // past expiry in finish-lap mode: overtime
	}
	for _, c := range cases {
		el, lap, rem := e.Live(at(c.now))
		if el != msd(c.elapsed) || lap != msd(c.lap) || rem != msd(c.remai) {
			t.Errorf("Live(%d) = %v, %v, %v; want %v, %v, %v", c.now, el, lap, rem, msd(c.elapsed), msd(c.lap), msd(c.remai))
		}
	}
	if r := e.Current(); r.PausedNS != int64(10*time.Second) {
		t.Errorf("PausedNS %v, want 10s", time.Duration(r.PausedNS))
	}
}

func TestDNF(t *testing.T) {
	runCases(t, []raceCase{
		{name: "records the lap in progress invalid and pauses",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 10_000}, {op: "reset+", at: 12_000}, {op: "dnf", at: 15_000}},
			laps:  "10000v 5000dr1", state: Paused},
		{name: "next lap opens at resume",
			steps: []step{{op: "cross", at: 0}, {op: "dnf", at: 5_000}, {op: "resume", at: 9_000}, {op: "cross", at: 21_000}},
			laps:  "5000d 12000v", state: Running},
		{name: "crossing resumes after dnf",
			steps: []step{{op: "cross", at: 0}, {op: "dnf", at: 5_000}, {op: "cross", at: 9_000}, {op: "cross", at: 21_000}},
			laps:  "5000d 12000v", state: Running},
		{name: "penalty mode records the penalty too",
			cfg:   func(c *Config) { c.ResetMode = ResetsPenalty },
			steps: []step{{op: "cross", at: 0}, {op: "reset+", at: 1_000}, {op: "dnf", at: 5_000}},
			laps:  "5000dr1p2000", state: Paused},
		{name: "after expiry the dnf lap is the last one",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 50_000}, {op: "dnf", at: 61_000}},
			laps:  "50000v 11000d", state: Over, why: EndByDNF},
		{name: "not while paused",
			steps: []step{{op: "cross", at: 0}, {op: "dnf", at: 5_000}, {op: "dnf", at: 6_000, err: "dnf: race is paused"}},
			laps:  "5000d", state: Paused},
		{name: "not before start",
			steps: []step{{op: "dnf", at: 5_000, err: "dnf: race is ready"}},
			laps:  "", state: Ready},
	})
}

func TestResets(t *testing.T) {
	max1 := func(c *Config) { c.MaxResetsPerLap = 1 }
	resets := func(n int) []step {
		s := []step{{op: "cross", at: 0}}
		for i := range n {
			s = append(s, step{op: "reset+", at: int64(1_000 * (i + 1))})
		}
		return append(s, step{op: "cross", at: 12_000})
	}
	runCases(t, []raceCase{
		{name: "invalidate: at the limit the lap is valid", cfg: max1, steps: resets(1), laps: "12000vr1", state: Running},
		{name: "invalidate: over the limit the lap is invalid", cfg: max1, steps: resets(2), laps: "12000r2", state: Running},
		{name: "invalidate: zero allowed", cfg: func(c *Config) { c.MaxResetsPerLap = 0 }, steps: resets(1), laps: "12000r1", state: Running},
		{name: "invalidate: unlimited", cfg: func(c *Config) { c.MaxResetsPerLap = Unlimited }, steps: resets(9), laps: "12000vr9", state: Running},
		{name: "penalty: each reset adds the penalty, lap stays valid",
			cfg:   func(c *Config) { c.ResetMode = ResetsPenalty; c.MaxResetsPerLap = 0 },
			steps: resets(3), laps: "12000vr3p6000", state: Running},
		{name: "resets move to the closing lap and the next lap starts clean",
			steps: append(resets(2), step{op: "cross", at: 24_000}),
			laps:  "12000vr2 12000v", state: Running},
		{name: "minus one undoes a reset",
			steps: []step{{op: "cross", at: 0}, {op: "reset+", at: 1_000}, {op: "reset-", at: 2_000}, {op: "cross", at: 12_000}},
			laps:  "12000v", state: Running},
		{name: "never below zero",
			steps: []step{{op: "cross", at: 0}, {op: "reset-", at: 1_000, err: "no reset to remove"}},
			laps:  "", state: Running},
		{name: "pending resets are shown on the race",
			steps: []step{{op: "cross", at: 0}, {op: "reset+", at: 1_000}, {op: "reset+", at: 2_000}},
			laps:  "", state: Running, resets: 2},
		{name: "not before start",
			steps: []step{{op: "reset+", at: 1_000, err: "reset: race is ready"}},
			laps:  "", state: Ready},
	})
	e := loaded(t, testConfig(nil))
	play(t, e, []step{{op: "cross", at: 0}})
	for _, d := range []int{0, 2, -2} {
		if _, err := e.Reset(at(1_000), d); err == nil {
			t.Errorf("Reset delta %d accepted", d)
		}
	}
}

func TestCapture(t *testing.T) {
	runCases(t, []raceCase{
		{name: "closes the lap by hand",
			steps: []step{{op: "cross", at: 0}, {op: "capture", at: 12_000}, {op: "cross", at: 24_000}},
			laps:  "12000vm 12000v", state: Running},
		{name: "resets go with the captured lap",
			steps: []step{{op: "cross", at: 0}, {op: "reset+", at: 1_000}, {op: "capture", at: 12_000}},
			laps:  "12000vmr1", state: Running},
		{name: "a capture under the minimum is short",
			steps: []step{{op: "cross", at: 0}, {op: "capture", at: 1_000}, {op: "cross", at: 12_000}},
			laps:  "1000sm 12000v", state: Running},
		{name: "the late sensor crossing of a captured lap is ignored",
			steps: []step{{op: "cross", at: 0}, {op: "capture", at: 12_000}, {op: "cross", at: 11_990, warn: "earlier"}},
			laps:  "12000vm", state: Running},
		{name: "not before start",
			steps: []step{{op: "capture", at: 1_000, err: "capture: race is ready"}},
			laps:  "", state: Ready},
		{name: "not while paused",
			steps: []step{{op: "cross", at: 0}, {op: "pause", at: 1_000}, {op: "capture", at: 2_000, err: "capture: race is paused"}},
			laps:  "", state: Paused},
	})
}

func TestUndoFalseFinish(t *testing.T) {
	runCases(t, []raceCase{
		{name: "merges the last lap back",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 5_000}, {op: "undo"}, {op: "cross", at: 12_000}},
			laps:  "5000vx 12000v", state: Running},
		{name: "resets are merged back",
			steps: []step{{op: "cross", at: 0}, {op: "reset+", at: 2_000}, {op: "cross", at: 5_000},
				{op: "reset+", at: 6_000}, {op: "undo"}, {op: "cross", at: 12_000}},
			laps: "5000vxr1 12000vr2", state: Running},
		{name: "twice merges two laps",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 4_000}, {op: "cross", at: 8_000},
				{op: "undo"}, {op: "undo"}, {op: "cross", at: 12_000}},
			laps: "4000vx 4000vx 12000v", state: Running},
		{name: "short laps are skipped",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 5_000}, {op: "cross", at: 6_000}, {op: "undo"}, {op: "cross", at: 12_000}},
			laps:  "5000vx 1000s 12000v", state: Running},
		{name: "a captured lap can be undone",
			steps: []step{{op: "cross", at: 0}, {op: "capture", at: 5_000}, {op: "undo"}, {op: "cross", at: 12_000}},
			laps:  "5000vmx 12000v", state: Running},
		{name: "race ended by the false crossing runs again",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 57_000}, {op: "cross", at: 61_000},
				{op: "undo"}, {op: "cross", at: 69_000}},
			laps: "57000v 4000vx 12000v", state: Over, why: EndByLap},
		{name: "while paused",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 5_000}, {op: "pause", at: 6_000}, {op: "undo"}},
			laps:  "5000vx", state: Paused},
		{name: "not across a resume",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 5_000}, {op: "pause", at: 6_000},
				{op: "resume", at: 7_000}, {op: "undo", err: "began at a resume"}},
			laps: "5000v", state: Running},
		{name: "not a dnf lap",
			steps: []step{{op: "cross", at: 0}, {op: "dnf", at: 5_000}, {op: "undo", err: "DNF"}},
			laps:  "5000d", state: Paused},
		{name: "no lap yet",
			steps: []step{{op: "cross", at: 0}, {op: "undo", err: "no recorded lap"}},
			laps:  "", state: Running},
		{name: "not before start",
			steps: []step{{op: "undo", err: "undo false finish: race is ready"}},
			laps:  "", state: Ready},
		{name: "not after the official's end",
			steps: []step{{op: "cross", at: 0}, {op: "cross", at: 5_000}, {op: "end", at: 6_000}, {op: "undo", err: "ended by official"}},
			laps:  "5000v", state: Over, why: EndByOfficial},
	})
}

func TestUndoEffect(t *testing.T) {
	e := loaded(t, testConfig(nil))
	play(t, e, []step{{op: "cross", at: 0}, {op: "cross", at: 57_000}, {op: "cross", at: 61_000}})
	eff, err := e.UndoFalseFinish()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(eff.Changed, []int{2}) || eff.Race.State != Running || eff.Race.EndNS != 0 || eff.Race.LastCrossNS != at(57_000) {
		t.Errorf("effect %+v; want Changed [2], running again from 57000", eff)
	}
}

func TestLifecycle(t *testing.T) {
	over := []step{{op: "cross", at: 0}, {op: "cross", at: 12_000}, {op: "end", at: 13_000}}
	runCases(t, []raceCase{
		{name: "submit from over", steps: append(over, step{op: "submit"}), laps: "12000v", state: Submitted, why: EndByOfficial},
		{name: "submit while running",
			steps: []step{{op: "cross", at: 0}, {op: "submit", err: "submit: race is running"}},
			laps:  "", state: Running},
		{name: "submit while ready", steps: []step{{op: "submit", err: "submit: race is ready"}}, state: Ready},
		{name: "discard ready", steps: []step{{op: "discard"}}, state: Discarded},
		{name: "discard running",
			steps: []step{{op: "cross", at: 0}, {op: "discard"}}, state: Discarded},
		{name: "discard over", steps: append(over, step{op: "discard"}), laps: "12000v", state: Discarded, why: EndByOfficial},
		{name: "nothing changes a submitted race",
			steps: append(over, step{op: "submit"}, step{op: "discard", err: "discard: race is submitted"},
				step{op: "cross", at: 20_000, warn: "race is submitted"}, step{op: "end", at: 20_000, err: "end: race is submitted"},
				step{op: "undo", err: "undo false finish: race is submitted"}, step{op: "tick", at: 500_000},
				step{op: "reset+", at: 20_000, err: "reset: race is submitted"}, step{op: "start", at: 20_000, err: "start: race is submitted"}),
			laps: "12000v", state: Submitted, why: EndByOfficial},
		{name: "nothing changes a discarded race",
			steps: []step{{op: "discard"}, {op: "submit", err: "submit: race is discarded"}, {op: "cross", at: 0, warn: "race is discarded"},
				{op: "pause", at: 1, err: "pause: race is discarded"}, {op: "capture", at: 1, err: "capture: race is discarded"}},
			state: Discarded},
		{name: "end before start", steps: []step{{op: "end", at: 0, err: "end: race is ready"}}, state: Ready},
		{name: "over ignores crossings", steps: append(over, step{op: "cross", at: 20_000, warn: "race is over"}),
			laps: "12000v", state: Over, why: EndByOfficial},
	})
}

func TestNoRace(t *testing.T) {
	e, err := NewEngine("t1", testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	actions := []struct{ op, name string }{{"start", "start"}, {"pause", "pause"}, {"resume", "resume"},
		{"reset+", "reset"}, {"capture", "capture"}, {"undo", "undo false finish"}, {"dnf", "dnf"},
		{"end", "end"}, {"submit", "submit"}, {"discard", "discard"}}
	for _, a := range actions {
		_, err := call(e, step{op: a.op, at: 1})
		var se *StateError
		if err == nil || err.Error() != a.name+": no race loaded" || !errors.As(err, &se) {
			t.Errorf("%s without a race: error %v, want %q as a *StateError", a.op, err, a.name+": no race loaded")
		}
	}
	if eff, _ := e.Crossing(at(0), 0); eff.Warning != "crossing ignored: no race loaded" {
		t.Errorf("crossing without a race: warning %q", eff.Warning)
	}
	if eff := e.Tick(at(0)); eff.Race != nil {
		t.Errorf("tick without a race changed something: %+v", eff)
	}
	if el, lap, rem := e.Live(at(0)); el != 0 || lap != 0 || rem != 0 {
		t.Errorf("Live without a race: %v %v %v", el, lap, rem)
	}
	if e.Current() != nil {
		t.Error("Current without a race is not nil")
	}
}

// Official actions refuse stamps that are no monotonic clock reading.
func TestBadNow(t *testing.T) {
	for _, op := range []string{"start", "pause", "resume", "reset+", "capture", "dnf", "end"} {
		e := loaded(t, testConfig(nil))
		switch op {
		case "start":
		case "resume":
			play(t, e, []step{{op: "cross", at: 0}, {op: "pause", at: 1}})
		default:
			play(t, e, []step{{op: "cross", at: 0}})
		}
		before := e.Snapshot()
		var err error
		switch op {
		case "start":
			_, err = e.Start(0)
		case "pause":
			_, err = e.Pause(-5)
		case "resume":
			_, err = e.Resume(0)
		case "reset+":
			_, err = e.Reset(0, 1)
		case "capture":
			_, err = e.Capture(0)
		case "dnf":
			_, err = e.DNF(0)
		case "end":
			_, err = e.End(0)
		}
		if err == nil {
			t.Errorf("%s at a non-positive stamp accepted", op)
		}
		if after := e.Snapshot(); !snapshotsEqual(before, after) {
			t.Errorf("%s at a bad stamp changed the engine", op)
		}
	}
	e := loaded(t, testConfig(nil))
	if _, err := e.Load(0); err == nil {
		t.Error("load at 0 accepted")
	}
	if eff := e.Tick(0); eff.Race != nil {
		t.Error("tick at 0 changed the race")
	}
}
