package race

import (
	"fmt"
	"slices"
)

// Queue appends racerID to the queue of racers waiting for the track.
func (e *Engine) Queue(racerID string) error {
	if racerID == "" {
		return fmt.Errorf("queue: racer id is empty")
	}
	if slices.Contains(e.queue, racerID) {
		return fmt.Errorf("queue: racer %q is already queued", racerID)
	}
	e.queue = append(e.queue, racerID)
	return nil
}

// Unqueue removes racerID from the queue.
func (e *Engine) Unqueue(racerID string) error {
	i := slices.Index(e.queue, racerID)
	if i < 0 {
		return fmt.Errorf("unqueue: racer %q is not queued", racerID)
	}
	e.queue = slices.Delete(e.queue, i, i+1)
	return nil
}

// Queued is a copy of the queue, first in line first.
func (e *Engine) Queued() []string { return append([]string{}, e.queue...) }

// Load takes the first racer of the queue onto the track as a new Ready race.
func (e *Engine) Load(now int64) (Effect, error) {
	if len(e.queue) == 0 {
		return Effect{}, fmt.Errorf("load: the queue is empty")
	}
	return e.load("load", e.queue[0], now)
}

// LoadRacer puts racerID on the track as a new Ready race without waiting
// for their turn; if they were queued they leave the queue, since this is
// the run they were waiting for.
func (e *Engine) LoadRacer(racerID string, now int64) (Effect, error) {
	if racerID == "" {
		return Effect{}, fmt.Errorf("load racer: racer id is empty")
	}
	return e.load("load racer", racerID, now)
}

func (e *Engine) load(action, racerID string, now int64) (Effect, error) {
	if err := checkNow(action, now); err != nil {
		return Effect{}, err
	}
	if e.cur != nil && !e.cur.State.Final() {
		return Effect{}, fmt.Errorf("%w (submit or discard race %s first)", &StateError{Action: action, State: e.cur.State}, e.cur.ID)
	}
	used := e.runs[racerID]
	var eff Effect
	var note string
	if limit := e.cfg.MaxRuns; limit != Unlimited && used >= limit {
		if e.cfg.EnforceMaxRuns {
			return Effect{}, fmt.Errorf("%s: racer %q has used %d of %d runs: %w", action, racerID, used, limit, ErrMaxRuns)
		}
		note = fmt.Sprintf("max runs exceeded: run %d of %d allowed", used+1, limit)
		eff.Warning = fmt.Sprintf("racer %q: %s", racerID, note)
	}
	if i := slices.Index(e.queue, racerID); i >= 0 {
		e.queue = slices.Delete(e.queue, i, i+1)
	}
	e.cur = &Race{
		ID:       fmt.Sprintf("%s-%d", e.track, e.nextRace),
		Track:    e.track,
		RacerID:  racerID,
		Run:      used + 1,
		State:    Ready,
		Config:   e.cfg,
		LoadedNS: now,
		Laps:     []Lap{},
		Note:     note,
	}
	e.nextRace++
	return e.changed(eff), nil
}
