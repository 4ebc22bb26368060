package race

import (
	"encoding/json"
	"strings"
	"testing"
)

func pass(t *testing.T, e *Engine, ms int64, tx string) Effect {
	t.Helper()
	eff, err := e.Pass(Pass{Stamp: at(ms), Transponder: tx})
	if err != nil {
		t.Fatal(err)
	}
	return eff
}

// The scenario: a second car crosses 4.2 s into the racer's lap.
// Without binding the lap split into 4.2 s + 4.9 s; bound, the stray car's
// crossing is foreign and the lap stays 9.1 s.
func TestStrayTransponderMakesNoPhantomLap(t *testing.T) {
	e := loaded(t, testConfig(nil))
	if eff := pass(t, e, 0, "1001"); !eff.Started || eff.Race.Transponder != "1001" || eff.Race.Binding != BoundLearned {
		t.Fatalf("first crossing after load: %+v", eff)
	}
	eff := pass(t, e, 4200, "2002")
	if !eff.Foreign || eff.Race != nil || len(eff.Recorded) != 0 {
		t.Fatalf("stray car's crossing: %+v, want foreign and no change", eff)
	}
	if !strings.Contains(eff.Warning, "2002") || !strings.Contains(eff.Warning, "1001") {
		t.Errorf("warning %q names neither transponder", eff.Warning)
	}
	eff = pass(t, e, 9100, "1001")
	if len(eff.Recorded) != 1 || eff.Race.Laps[0].Time != msd(9100) || !eff.Race.Laps[0].Valid {
		t.Fatalf("racer's lap: %+v", eff.Race.Laps)
	}
}

func TestPresetBindingIgnoresTheFirstOtherCar(t *testing.T) {
	e := loaded(t, testConfig(nil))
	eff, err := e.Bind("1001")
	if err != nil || eff.Race.Transponder != "1001" || eff.Race.Binding != BoundPreset {
		t.Fatalf("bind: %+v, %v", eff, err)
	}
	if eff := pass(t, e, 0, "2002"); !eff.Foreign {
		t.Fatalf("another car before the start: %+v, want foreign", eff)
	}
	if eff := pass(t, e, 100, "1001"); !eff.Started {
		t.Fatalf("bound car did not start the race: %+v", eff)
	}
	// Changing the binding once started is refused and changes nothing.
	if _, err := e.Bind("2002"); err == nil || !strings.Contains(err.Error(), "running") {
		t.Fatalf("bind after the start: %v, want a state error", err)
	}
	if r := e.Current(); r.Transponder != "1001" || r.Binding != BoundPreset {
		t.Fatalf("binding after refused change: %q %q", r.Transponder, r.Binding)
	}
}

func TestBindingChangedBeforeStartAndUnbound(t *testing.T) {
	e := loaded(t, testConfig(func(c *Config) { c.StartMode = StartByOfficial }))
	// A warm-up crossing teaches a binding even before the official's start.
	eff := pass(t, e, 0, "2002")
	if eff.Race == nil || eff.Race.Binding != BoundLearned || eff.Race.State != Ready {
		t.Fatalf("warm-up crossing: %+v", eff)
	}
	// It was the wrong car: the official binds the right one.
	if _, err := e.Bind("1001"); err != nil {
		t.Fatal(err)
	}
	if eff := pass(t, e, 100, "2002"); !eff.Foreign {
		t.Fatalf("old car after rebinding: %+v, want foreign", eff)
	}
	// Unbinding lets the next car be learned again.
	if eff, err := e.Bind(""); err != nil || eff.Race.Transponder != "" || eff.Race.Binding != "" {
		t.Fatalf("unbind: %+v %v", eff, err)
	}
	if eff := pass(t, e, 200, "3003"); eff.Race == nil || eff.Race.Transponder != "3003" {
		t.Fatalf("after unbind: %+v", eff)
	}
	if _, err := e.Bind("not a transponder!"); err == nil {
		t.Fatal("bad transponder id accepted")
	}
	if e.Current().Transponder != "3003" {
		t.Fatal("refused bind changed the race")
	}
	if _, err := emptyEngine(t).Bind("1"); err == nil {
		t.Fatal("bind with no race loaded accepted")
	}
}

func emptyEngine(t *testing.T) *Engine {
	e, err := NewEngine("t1", testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Inputs that cannot tell cars apart keep timing every crossing, bound or not.
func TestCrossingsWithoutTransponderAlwaysCount(t *testing.T) {
	e := loaded(t, testConfig(nil))
	if _, err := e.Bind("1001"); err != nil {
		t.Fatal(err)
	}
	pass(t, e, 0, "")
	if eff := pass(t, e, 9000, ""); len(eff.Recorded) != 1 || eff.Foreign {
		t.Fatalf("beam break lap: %+v", eff)
	}
}

func TestBindingSurvivesSnapshot(t *testing.T) {
	e := loaded(t, testConfig(nil))
	pass(t, e, 0, "1001")
	b, err := json.Marshal(e.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	r, err := Restore(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if eff := pass(t, r, 4200, "2002"); !eff.Foreign {
		t.Fatalf("after restore the stray car is not foreign: %+v", eff)
	}
	// A snapshot with a binding that makes no sense is refused.
	s.Current.Binding = "guessed"
	if _, err := Restore(s, nil); err == nil {
		t.Fatal("unknown binding restored")
	}
}

func TestHostTimedCrossingFlagsTheLapItCloses(t *testing.T) {
	e := loaded(t, testConfig(func(c *Config) { c.MinLap = msd(3000) }))
	pass(t, e, 0, "1001")
	pass(t, e, 9000, "1001")
	// The decoder restarted during lap 2; its first crossing after the
	// restart is a false trigger 1 s in: a short lap, still host-timed,
	// and the lap in progress still spans the restart.
	eff, err := e.Pass(Pass{Stamp: at(10000), Transponder: "1001", HostTimed: true})
	if err != nil {
		t.Fatal(err)
	}
	if l := eff.Race.Laps[1]; !l.Short || !l.HostTimed {
		t.Fatalf("short lap after the restart: %+v", l)
	}
	eff = pass(t, e, 18000, "1001")
	if l := eff.Race.Laps[2]; !l.HostTimed || !l.Review() || l.Time != msd(9000) {
		t.Fatalf("lap spanning the restart: %+v, want host-timed", l)
	}
	eff = pass(t, e, 27000, "1001")
	if l := eff.Race.Laps[3]; l.HostTimed {
		t.Fatalf("lap after the restart: %+v, want decoder-timed", l)
	}
	if e.Current().Laps[0].HostTimed {
		t.Fatal("lap before the restart flagged")
	}
}
