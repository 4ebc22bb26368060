package track

import (
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
)

// ID of the track.
func (t *Track) ID() string { return t.cfg.ID }

// Current returns a copy of the race in progress as of the last commit, or nil.
func (t *Track) Current() *race.Race {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live == nil {
		return nil
	}
	r := *t.live
	r.Laps = append([]race.Lap(nil), t.live.Laps...)
	return &r
}

// RaceState returns the last race state payload built.
func (t *Track) RaceState() mqtt.RaceState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastRace
}

// Standings returns the last standings payload built.
func (t *Track) Standings() mqtt.Standings {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastStandings
}

// Activity is what the track recorded lately, for the health summary.
type Activity struct {
	Recorded     uint64            // crossings committed since start
	LastCrossing crossing.Crossing // the last one
	LastAt       time.Time         // host time it was committed
	Race         string            // current race id and state
	Rejected     uint64            // malformed crossings refused, never recorded
	Foreign      uint64            // crossings of a transponder the race is not bound to
	// ForeignBy counts Foreign by Crossing.Source (the input's name).
	ForeignBy map[string]uint64
}

// Activity reports the track's recent activity.
func (t *Track) Activity() Activity {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := Activity{Recorded: t.recorded, LastCrossing: t.last, LastAt: t.lastAt, Rejected: t.rejected,
		ForeignBy: make(map[string]uint64, len(t.foreign))}
	for src, n := range t.foreign {
		a.ForeignBy[src] = n
		a.Foreign += n
	}
	if t.live != nil {
		a.Race = t.live.ID + " " + string(t.live.State)
	}
	return a
}

// RulesView are the event's race rules in force (for races created from now
// on) as of the last commit: read without a trip through the writer.
func (t *Track) RulesView() race.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rules
}

// LiveClock is a race's clock at one moment.
type LiveClock struct {
	Elapsed, Lap, Remaining time.Duration
}

// Live is the clock of r (a copy from Current) now, as the engine computes it.
func (t *Track) Live(r *race.Race) LiveClock {
	e, l, rem := r.Live(t.now())
	return LiveClock{Elapsed: e, Lap: l, Remaining: rem}
}

// Runs is every racer's number of runs started (for max runs), as of the
// last commit. The map is shared: read it, never change it.
func (t *Track) Runs() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.runs
}
