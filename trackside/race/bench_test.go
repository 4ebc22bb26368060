package race

import (
	"testing"
	"time"
)

// benchRace is an engine with a running 10-minute race of 60 laps: the
// largest race an event produces, so the per-crossing copy is at its worst.
func benchRace(b *testing.B) (*Engine, int64) {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Duration = 10 * time.Minute
	e := loaded(b, cfg)
	now := at(0)
	for range 61 {
		if _, err := e.Crossing(now, 0); err != nil {
			b.Fatal(err)
		}
		now += int64(9 * time.Second)
	}
	return e, now
}

func BenchmarkCrossing(b *testing.B) {
	e, now := benchRace(b)
	// A crossing 1 ms after the last boundary: recorded as a short lap, so
	// the race state repeats once the lap is trimmed off again.
	stamp := now - int64(9*time.Second) + int64(time.Millisecond)
	for b.Loop() {
		eff, err := e.Crossing(stamp, 0)
		if err != nil || len(eff.Recorded) != 1 {
			b.Fatalf("crossing: %+v, %v", eff, err)
		}
		e.cur.Laps = e.cur.Laps[:60]
	}
}

func BenchmarkSnapshot(b *testing.B) {
	e, _ := benchRace(b)
	for b.Loop() {
		_ = e.Snapshot()
	}
}

func BenchmarkTick(b *testing.B) {
	e, now := benchRace(b)
	for b.Loop() {
		now++
		_ = e.Tick(now)
	}
}

// BenchmarkPassBound is BenchmarkCrossing for a decoder crossing of the
// race's bound transponder: the binding check is two string compares.
func BenchmarkPassBound(b *testing.B) {
	e, now := benchRace(b)
	e.cur.Transponder, e.cur.Binding = "1001", BoundLearned
	stamp := now - int64(9*time.Second) + int64(time.Millisecond)
	for b.Loop() {
		eff, err := e.Pass(Pass{Stamp: stamp, Transponder: "1001"})
		if err != nil || len(eff.Recorded) != 1 {
			b.Fatalf("crossing: %+v, %v", eff, err)
		}
		e.cur.Laps = e.cur.Laps[:60]
	}
}

// BenchmarkPassForeign: another car's crossing is turned away before any
// copy of the race is made.
func BenchmarkPassForeign(b *testing.B) {
	e, now := benchRace(b)
	e.cur.Transponder, e.cur.Binding = "1001", BoundLearned
	for b.Loop() {
		eff, err := e.Pass(Pass{Stamp: now, Transponder: "2002"})
		if err != nil || !eff.Foreign {
			b.Fatalf("crossing: %+v, %v", eff, err)
		}
	}
}
