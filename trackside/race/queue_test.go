package race

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestQueue(t *testing.T) {
	e, err := NewEngine("t1", testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ann", "bob", "cid"} {
		if err := e.Queue(id); err != nil {
			t.Fatalf("Queue(%q): %v", id, err)
		}
	}
	cases := []struct {
		name  string
		do    func() error
		err   string
		queue []string
	}{
		{"queue twice", func() error { return e.Queue("bob") }, `racer "bob" is already queued`, []string{"ann", "bob", "cid"}},
		{"queue empty id", func() error { return e.Queue("") }, "racer id is empty", []string{"ann", "bob", "cid"}},
		{"unqueue", func() error { return e.Unqueue("bob") }, "", []string{"ann", "cid"}},
		{"unqueue absent", func() error { return e.Unqueue("bob") }, `racer "bob" is not queued`, []string{"ann", "cid"}},
		{"load takes the first", func() error { _, err := e.Load(at(0)); return err }, "", []string{"cid"}},
		{"load racer leaves the queue", func() error {
			if _, err := e.Discard(); err != nil {
				return err
			}
			_, err := e.LoadRacer("cid", at(1))
			return err
		}, "", []string{}},
		{"load with an empty queue", func() error {
			if _, err := e.Discard(); err != nil {
				return err
			}
			_, err := e.Load(at(2))
			return err
		}, "queue is empty", []string{}},
		{"load racer without id", func() error { _, err := e.LoadRacer("", at(3)); return err }, "racer id is empty", []string{}},
	}
	for _, c := range cases {
		err := c.do()
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
		if got := e.Queued(); !slices.Equal(got, c.queue) {
			t.Errorf("%s: queue %v, want %v", c.name, got, c.queue)
		}
	}
	q := e.Queued()
	if err := e.Queue("dan"); err != nil {
		t.Fatal(err)
	}
	if len(q) != 0 {
		t.Error("Queued shares its slice with the engine")
	}
}

func TestLoadRefusesWhileARaceIsOpen(t *testing.T) {
	for _, c := range []struct {
		steps []step
		state State
	}{
		{nil, Ready},
		{[]step{{op: "cross", at: 0}}, Running},
		{[]step{{op: "cross", at: 0}, {op: "pause", at: 1}}, Paused},
		{[]step{{op: "cross", at: 0}, {op: "end", at: 1}}, Over},
	} {
		e := loaded(t, testConfig(nil))
		play(t, e, c.steps)
		_, err := e.LoadRacer("bob", at(5_000))
		var se *StateError
		if !errors.As(err, &se) || se.State != c.state || !strings.Contains(err.Error(), "load racer: race is "+string(c.state)) {
			t.Errorf("load over a %s race: error %v", c.state, err)
		}
	}
}

func TestRaceFields(t *testing.T) {
	cfg := testConfig(func(c *Config) { c.MinLap = 0 })
	e := loaded(t, cfg)
	r := e.Current()
	want := Race{ID: "t1-1", Track: "t1", RacerID: "ann", Run: 1, State: Ready, Config: cfg, LoadedNS: at(-10_000), Laps: []Lap{}}
	if !racesEqual(r, &want) {
		t.Errorf("loaded race %+v, want %+v", *r, want)
	}
	// A config change reaches only races loaded later.
	cfg2 := testConfig(func(c *Config) { c.Expiry = HardStop })
	if err := e.SetConfig(cfg2); err != nil {
		t.Fatal(err)
	}
	if e.Current().Config != cfg || e.Config() != cfg2 {
		t.Error("SetConfig changed the loaded race")
	}
	if err := e.SetConfig(Config{}); err == nil || e.Config() != cfg2 {
		t.Error("SetConfig accepted an invalid config or changed the engine")
	}
	play(t, e, []step{{op: "discard"}})
	eff, err := e.LoadRacer("bob", at(0))
	if err != nil || eff.Race.Config != cfg2 || eff.Race.ID != "t1-2" {
		t.Errorf("next race %+v, %v; want config %+v, id t1-2", eff.Race, err, cfg2)
	}
}

func TestMaxRuns(t *testing.T) {
	// race runs one race of racer on e: load, then what steps says.
	race := func(t *testing.T, e *Engine, racer string, steps ...step) (Effect, error) {
		t.Helper()
		r := e.Current()
		base := int64(0)
		if r != nil {
			base = (r.latest()-t0)/1e6 + 1_000
		}
		eff, err := e.LoadRacer(racer, at(base))
		if err != nil {
			return eff, err
		}
		for _, s := range steps {
			s.at += base
			if _, err := call(e, s); err != nil {
				t.Fatalf("%s: %v", s.op, err)
			}
		}
		return eff, nil
	}
	full := []step{{op: "cross", at: 1}, {op: "cross", at: 10_000}, {op: "end", at: 11_000}, {op: "submit"}}
	cases := []struct {
		name    string
		enforce bool
		prior   [][]step // earlier races of ann
		err     string
		warn    string
		run     int
	}{
		{name: "under the limit", enforce: true, prior: [][]step{full}, run: 2},
		{name: "enforced at the limit", enforce: true, prior: [][]step{full, full}, err: `racer "ann" has used 2 of 2 runs`},
		{name: "warned at the limit", prior: [][]step{full, full}, warn: "max runs exceeded: run 3 of 2 allowed", run: 3},
		{name: "discarded before start does not count", enforce: true,
			prior: [][]step{full, {{op: "discard"}}}, run: 2},
		{name: "discarded after start counts", enforce: true,
			prior: [][]step{full, {{op: "cross", at: 1}, {op: "discard"}}}, err: "2 of 2"},
		{name: "started by the official counts", enforce: true,
			prior: [][]step{{{op: "start", at: 1}, {op: "end", at: 2}, {op: "discard"}}, full}, err: "2 of 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := NewEngine("t1", testConfig(func(cf *Config) { cf.MaxRuns = 2; cf.EnforceMaxRuns = c.enforce }))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range c.prior {
				if _, err := race(t, e, "ann", p...); err != nil {
					t.Fatalf("prior race: %v", err)
				}
				// Another racer's runs never count for ann.
				if _, err := race(t, e, "bob", full...); err != nil {
					t.Fatalf("bob's race: %v", err)
				}
			}
			before := e.Snapshot()
			eff, err := race(t, e, "ann")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrMaxRuns) {
					t.Fatalf("error %v, want %q wrapping ErrMaxRuns", err, c.err)
				}
				if !snapshotsEqual(before, e.Snapshot()) {
					t.Error("refused load changed the engine")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(eff.Warning, c.warn) || (c.warn == "") != (eff.Warning == "") {
				t.Errorf("warning %q, want %q", eff.Warning, c.warn)
			}
			if c.warn != "" && eff.Race.Note != "max runs exceeded: run 3 of 2 allowed" {
				t.Errorf("note %q", eff.Race.Note)
			}
			if eff.Race.Run != c.run {
				t.Errorf("run %d, want %d", eff.Race.Run, c.run)
			}
		})
	}
}

func TestRunCounts(t *testing.T) {
	races := []Race{
		{RacerID: "ann", StartNS: 5}, {RacerID: "ann", State: Discarded}, {RacerID: "ann", StartNS: 9, State: Discarded},
		{RacerID: "bob", StartNS: 1}, {RacerID: "cid"},
	}
	got := RunCounts(races)
	if len(got) != 2 || got["ann"] != 2 || got["bob"] != 1 {
		t.Errorf("RunCounts = %v, want ann 2, bob 1", got)
	}
}
