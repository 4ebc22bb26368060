package race

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Tests write times in milliseconds from t0, a stamp well after boot, so a
// "0 ms" crossing is a valid monotonic stamp.
const t0 = int64(100 * time.Second)

func at(ms int64) int64 { return t0 + ms*int64(time.Millisecond) }

func msd(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// testConfig is DefaultConfig with a 1 minute race, changed by mod.
func testConfig(mod func(*Config)) Config {
	c := DefaultConfig()
	c.Duration = time.Minute
	if mod != nil {
		mod(&c)
	}
	return c
}

// step is one call of a scripted race. op is one of: cross, line (crossing
// on line 1), start, pause, resume, reset+, reset-, capture, undo, dnf, end,
// tick, submit, discard. at is in ms from t0.
type step struct {
	op   string
	at   int64
	err  string // substring the call's error must contain ("" = no error)
	warn string // substring the Warning must contain ("" = no warning)
}

// call performs one step and returns its Effect and error.
func call(e *Engine, s step) (Effect, error) {
	now := at(s.at)
	switch s.op {
	case "cross":
		return e.Crossing(now, 0)
	case "line":
		return e.Crossing(now, 1)
	case "start":
		return e.Start(now)
	case "pause":
		return e.Pause(now)
	case "resume":
		return e.Resume(now)
	case "reset+":
		return e.Reset(now, 1)
	case "reset-":
		return e.Reset(now, -1)
	case "capture":
		return e.Capture(now)
	case "undo":
		return e.UndoFalseFinish()
	case "dnf":
		return e.DNF(now)
	case "end":
		return e.End(now)
	case "tick":
		return e.Tick(now), nil
	case "submit":
		return e.Submit()
	case "discard":
		return e.Discard()
	case "load":
		return e.Load(now)
	}
	panic("unknown op " + s.op)
}

// loaded is an engine of cfg with racer "ann" loaded at -10 s.
func loaded(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := NewEngine("t1", cfg)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	if err := e.Queue("ann"); err != nil {
		t.Fatalf("Queue: %v", err)
	}
	if _, err := e.Load(at(-10_000)); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return e
}

// play runs steps on e, checking each step's error and warning, and
// returns the effects.
func play(t testing.TB, e *Engine, steps []step) []Effect {
	t.Helper()
	var effs []Effect
	for i, s := range steps {
		eff, err := call(e, s)
		switch {
		case s.err == "" && err != nil:
			t.Fatalf("step %d %s@%d: unexpected error %v", i, s.op, s.at, err)
		case s.err != "" && (err == nil || !strings.Contains(err.Error(), s.err)):
			t.Fatalf("step %d %s@%d: error %v, want one containing %q", i, s.op, s.at, err, s.err)
		case s.warn == "" && eff.Warning != "":
			t.Fatalf("step %d %s@%d: unexpected warning %q", i, s.op, s.at, eff.Warning)
		case s.warn != "" && !strings.Contains(eff.Warning, s.warn):
			t.Fatalf("step %d %s@%d: warning %q, want one containing %q", i, s.op, s.at, eff.Warning, s.warn)
		}
		effs = append(effs, eff)
	}
	return effs
}

// lapsOf summarises laps for comparison: time in ms followed by flags
// v valid, s short, m manual, d dnf, x deleted, e edited, rN resets,
// pN penalty in ms; laps separated by spaces.
func lapsOf(r *Race) string {
	var b strings.Builder
	for i, l := range r.Laps {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d", l.Time.Milliseconds())
		for _, f := range []struct {
			on bool
			c  string
		}{{l.Valid, "v"}, {l.Short, "s"}, {l.Manual, "m"}, {l.DNF, "d"}, {l.Deleted, "x"}, {l.Edited, "e"}} {
			if f.on {
				b.WriteString(f.c)
			}
		}
		if l.Resets != 0 {
			fmt.Fprintf(&b, "r%d", l.Resets)
		}
		if l.Penalty != 0 {
			fmt.Fprintf(&b, "p%d", l.Penalty.Milliseconds())
		}
	}
	return b.String()
}

// checkLaps verifies the invariants every race keeps.
func checkLaps(t testing.TB, r *Race) {
	t.Helper()
	if r == nil {
		return
	}
	for i, l := range r.Laps {
		if l.No != i+1 {
			t.Fatalf("race %s: lap at index %d is numbered %d", r.ID, i, l.No)
		}
		if l.Time < 0 || l.Penalty < 0 {
			t.Fatalf("race %s: lap %d has negative time %v or penalty %v", r.ID, l.No, l.Time, l.Penalty)
		}
		if l.EndNS != 0 && !l.Edited && l.Time != time.Duration(l.EndNS-l.StartNS) {
			t.Fatalf("race %s: lap %d time %v is not its stamps' difference %v", r.ID, l.No, l.Time, time.Duration(l.EndNS-l.StartNS))
		}
	}
	if r.Resets < 0 {
		t.Fatalf("race %s: negative resets %d", r.ID, r.Resets)
	}
}
