package race

import (
	"fmt"
	"time"
)

// Time handling, in one place:
//
//   - Race time excludes pauses: expiry is StartNS + PausedNS + Duration
//     while the race runs, and it does not move while the race is paused.
//   - Stamps must arrive in order. A crossing stamped before the race's last
//     event (load, start, a lap boundary, a pause, a capture) cannot be
//     placed without rewriting what the officials already saw, so it is
//     ignored with a Warning; the app has stored it, and an official can add
//     the lap by hand. An official's action carries the app's clock reading,
//     which may trail a decoder-anchored crossing stamp by a hair: such a now
//     is taken as the last event's stamp instead of being refused, so lap and
//     pause times are never negative.
//   - Every call that carries now first applies expiry (HardStop at expiry,
//     Grace at expiry+Grace). If that ends the race, the requested action is
//     moot: the call returns the ended race with a Warning, not an error.

// latest is the stamp of the race's last event.
func (r *Race) latest() int64 {
	t := max(r.LoadedNS, r.StartNS, r.LastCrossNS, r.PausedAtNS, r.EndNS)
	for i := range r.Laps {
		t = max(t, r.Laps[i].EndNS)
	}
	return t
}

// expiryNS is when race time runs out, valid while the race runs.
func (r *Race) expiryNS() int64 { return r.StartNS + r.PausedNS + int64(r.Config.Duration) }

// expire ends a running race whose time is up at now in the modes that end
// without a crossing, and reports whether it did.
func (e *Engine) expire(r *Race, now int64, eff *Effect) bool {
	if r.State != Running {
		return false
	}
	exp := r.expiryNS()
	switch r.Config.Expiry {
	case HardStop:
		if now >= exp {
			end(r, exp, EndByExpiry, eff)
			return true
		}
	case Grace:
		if at := exp + int64(r.Config.Grace); now >= at {
			end(r, at, EndByExpiry, eff)
			return true
		}
	}
	return false
}

// end makes the race Over at stamp. The lap in progress, if any, is not
// recorded: it has no closing crossing.
func end(r *Race, at int64, why EndReason, eff *Effect) {
	r.State = Over
	r.EndNS = at
	r.EndReason = why
	eff.Ended = true
}

// expiredWarning is the Warning of an action that found the race ended.
func expiredWarning(action string, r *Race) string {
	return fmt.Sprintf("%s: race time expired (%s); race is over", action, r.Config.Expiry)
}

// Pass is a recorded crossing as the engine takes it.
type Pass struct {
	Stamp int64 // monotonic ns
	Line  int   // timing line; only 0 (start/finish) times laps
	// Transponder is the car's id, "" for an input that cannot tell cars
	// apart (beam break, pressure strip): such a crossing always counts.
	Transponder string
	// HostTimed: the stamp is not on the same decoder clock placement as
	// this car's previous crossing (the decoder restarted or reconnected
	// in between), so a lap it closes is partly timed by host arrival.
	HostTimed bool
}

// Crossing applies a recorded crossing of timing line `line` at stamp from
// an input that cannot tell cars apart (Pass without a transponder).
func (e *Engine) Crossing(stamp int64, line int) (Effect, error) {
	return e.Pass(Pass{Stamp: stamp, Line: line})
}

// Pass applies a recorded crossing. Only line 0 (start/finish) times laps;
// crossings that cannot count are ignored with a Warning, never an error,
// since the crossing itself is a fact the app stores anyway.
//
// Transponder binding: a race with no transponder bound takes the first
// transponder that crosses after its load (BoundLearned); from then on, and
// for a race bound beforehand (Bind), a crossing of any other transponder
// is Foreign and ignored. Crossings without a transponder are not subject
// to binding.
func (e *Engine) Pass(p Pass) (Effect, error) {
	stamp := p.Stamp
	if p.Line < 0 {
		return Effect{}, fmt.Errorf("crossing: line %d is negative", p.Line)
	}
	if err := checkNow("crossing", stamp); err != nil {
		return Effect{}, err
	}
	if p.Line != 0 {
		return Effect{Warning: fmt.Sprintf("crossing on line %d ignored: only line 0 (start/finish) times laps", p.Line)}, nil
	}
	r := e.cur
	switch {
	case r == nil:
		return Effect{Warning: "crossing ignored: no race loaded"}, nil
	case r.State != Ready && r.State != Running && r.State != Paused:
		return Effect{Warning: fmt.Sprintf("crossing ignored: race is %s", r.State)}, nil
	case p.Transponder != "" && r.Transponder != "" && p.Transponder != r.Transponder:
		return Effect{Foreign: true, Warning: fmt.Sprintf("crossing of transponder %s ignored: race %s is bound to transponder %s", p.Transponder, r.ID, r.Transponder)}, nil
	case stamp < r.latest():
		return Effect{Warning: fmt.Sprintf("crossing ignored: it is %v earlier than the race's last event", time.Duration(r.latest()-stamp))}, nil
	}
	learned := false
	if p.Transponder != "" && r.Transponder == "" {
		r.Transponder, r.Binding = p.Transponder, BoundLearned
		learned = true
	}
	// ignored is the answer to a crossing the race's state has no use
	// for; a binding it taught is still a change to record.
	ignored := func(why string) (Effect, error) {
		if learned {
			return e.changed(Effect{Warning: why}), nil
		}
		return Effect{Warning: why}, nil
	}
	var eff Effect
	switch r.State {
	case Ready:
		if r.Config.StartMode != StartOnCrossing {
			return ignored("crossing ignored: race waits for the official's start")
		}
		// The first crossing starts the clock and records no lap.
		e.start(r, stamp, &eff)
	case Paused:
		if !r.Config.CrossingResumes {
			return ignored("crossing ignored: race is paused")
		}
		// Time while paused is not race time, and the car was off the
		// track: the crossing resumes the race and opens a fresh lap,
		// recording none.
		resume(r, stamp)
	case Running:
		if e.expire(r, stamp, &eff) {
			eff.Warning = "crossing after race time expired ignored; race is over"
			return e.changed(eff), nil
		}
		e.closeLap(r, stamp, false, p.HostTimed, &eff)
	}
	return e.changed(eff), nil
}

// Bind binds the loaded race to transponder before its start (BoundPreset),
// replacing any binding; "" unbinds it, so the next transponder that
// crosses is learned. Once the race has started its binding is fixed.
func (e *Engine) Bind(transponder string) (Effect, error) {
	r, err := e.active("bind transponder", Ready)
	if err != nil {
		return Effect{}, err
	}
	if transponder != "" {
		if err := ValidateTransponder(transponder); err != nil {
			return Effect{}, fmt.Errorf("bind transponder: %w", err)
		}
	}
	r.Transponder, r.Binding = transponder, BoundPreset
	if transponder == "" {
		r.Binding = ""
	}
	return e.changed(Effect{}), nil
}

// Tick applies expiry at now: HardStop ends the race at expiry and Grace at
// expiry+Grace; FinishLap waits for the crossing that closes the last lap.
func (e *Engine) Tick(now int64) Effect {
	e.seen = max(e.seen, now)
	r := e.cur
	if r == nil || now <= 0 {
		return Effect{}
	}
	var eff Effect
	if e.expire(r, max(now, r.latest()), &eff) {
		return e.changed(eff)
	}
	return Effect{}
}

// Start starts the race clock at now and opens lap 1. In StartOnCrossing
// mode the official may start the clock too; the next crossing closes lap 1.
func (e *Engine) Start(now int64) (Effect, error) {
	r, err := e.active("start", Ready)
	if err != nil {
		return Effect{}, err
	}
	if err := checkNow("start", now); err != nil {
		return Effect{}, err
	}
	var eff Effect
	e.start(r, max(now, r.latest()), &eff)
	return e.changed(eff), nil
}

func (e *Engine) start(r *Race, at int64, eff *Effect) {
	r.State = Running
	r.StartNS = at
	r.LastCrossNS = at
	r.OpenHostTimed = false
	e.runs[r.RacerID]++
	eff.Started = true
}

// Pause stops the race clock at now.
func (e *Engine) Pause(now int64) (Effect, error) {
	r, err := e.active("pause", Running)
	if err != nil {
		return Effect{}, err
	}
	if err := checkNow("pause", now); err != nil {
		return Effect{}, err
	}
	now = max(now, r.latest())
	var eff Effect
	if e.expire(r, now, &eff) {
		eff.Warning = expiredWarning("pause", r)
		return e.changed(eff), nil
	}
	r.State = Paused
	r.PausedAtNS = now
	return e.changed(eff), nil
}

// Resume restarts the race clock at now. The lap that was in progress when
// the race was paused restarts at now: where the car stood during the pause
// is unknown, and time while paused is not race time. Its resets stay with
// it, so a pause cannot wipe the official's count.
func (e *Engine) Resume(now int64) (Effect, error) {
	r, err := e.active("resume", Paused)
	if err != nil {
		return Effect{}, err
	}
	if err := checkNow("resume", now); err != nil {
		return Effect{}, err
	}
	resume(r, max(now, r.latest()))
	return e.changed(Effect{}), nil
}

func resume(r *Race, at int64) {
	r.PausedNS += at - r.PausedAtNS
	r.PausedAtNS = 0
	r.LastCrossNS = at
	r.OpenHostTimed = false // a fresh lap opens at the resume
	r.State = Running
}

// End makes the race Over at now; the lap in progress is not recorded.
func (e *Engine) End(now int64) (Effect, error) {
	r, err := e.active("end", Running, Paused)
	if err != nil {
		return Effect{}, err
	}
	if err := checkNow("end", now); err != nil {
		return Effect{}, err
	}
	now = max(now, r.latest())
	var eff Effect
	if e.expire(r, now, &eff) {
		eff.Warning = expiredWarning("end", r)
		return e.changed(eff), nil
	}
	if r.State == Paused {
		// Fold the pause in, so elapsed race time stays what it was when
		// the pause began.
		r.PausedNS += now - r.PausedAtNS
		r.PausedAtNS = 0
	}
	end(r, now, EndByOfficial, &eff)
	return e.changed(eff), nil
}

// Live is the race clock for displays at now: race time elapsed (pauses
// excluded), time of the lap in progress, and race time remaining (0 once
// expired). A stopped race reports the values it stopped at.
func (e *Engine) Live(now int64) (elapsed, lapElapsed, remaining time.Duration) {
	return e.cur.Live(now)
}

// Live is the clock of race r at now, as Engine.Live: readers holding a copy
// of the race (the officials' console) show the same clock as the engine.
// A nil race reports zeros.
func (r *Race) Live(now int64) (elapsed, lapElapsed, remaining time.Duration) {
	if r == nil {
		return 0, 0, 0
	}
	now = max(now, r.latest())
	switch r.State {
	case Ready:
		return 0, 0, r.Config.Duration
	case Running:
		elapsed = time.Duration(now - r.StartNS - r.PausedNS)
		lapElapsed = time.Duration(now - r.LastCrossNS)
	case Paused:
		elapsed = time.Duration(r.PausedAtNS - r.StartNS - r.PausedNS)
		lapElapsed = time.Duration(max(r.PausedAtNS-r.LastCrossNS, 0))
	default:
		if !r.Started() {
			return 0, 0, r.Config.Duration
		}
		stop := r.EndNS
		if stop == 0 { // discarded while running or paused
			stop = r.latest()
			if r.PausedAtNS != 0 {
				stop = r.PausedAtNS
			}
		}
		elapsed = time.Duration(stop - r.StartNS - r.PausedNS)
	}
	elapsed = max(elapsed, 0)
	return elapsed, lapElapsed, max(r.Config.Duration-elapsed, 0)
}
