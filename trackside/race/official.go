package race

import (
	"fmt"
)

// Reset adds (+1) or removes (−1) an off-track reset on the lap in progress.
// The count never goes below 0; the resets move to the lap that closes.
func (e *Engine) Reset(now int64, delta int) (Effect, error) {
	if delta != 1 && delta != -1 {
		return Effect{}, fmt.Errorf("reset: delta %d is not +1 or -1", delta)
	}
	r, err := e.active("reset", Running, Paused)
	if err != nil {
		return Effect{}, err
	}
	if err := checkNow("reset", now); err != nil {
		return Effect{}, err
	}
	var eff Effect
	if e.expire(r, max(now, r.latest()), &eff) {
		eff.Warning = expiredWarning("reset", r)
		return e.changed(eff), nil
	}
	if r.Resets+delta < 0 {
		return Effect{}, fmt.Errorf("reset: the lap in progress has no reset to remove")
	}
	r.Resets += delta
	return e.changed(eff), nil
}

// Capture closes the lap in progress at now by the official's hand, when the
// sensor missed the car. It follows every rule a crossing does (minimum lap,
// expiry) and marks the lap Manual.
func (e *Engine) Capture(now int64) (Effect, error) {
	r, err := e.active("capture", Running)
	if err != nil {
		return Effect{}, err
	}
	if err := checkNow("capture", now); err != nil {
		return Effect{}, err
	}
	now = max(now, r.latest())
	var eff Effect
	if e.expire(r, now, &eff) {
		eff.Warning = expiredWarning("capture", r)
		return e.changed(eff), nil
	}
	e.closeLap(r, now, true, false, &eff)
	return e.changed(eff), nil
}

// DNF records the lap in progress, which never reached the line, as invalid
// and DNF with Time = now − lap start, then pauses the race; the next lap
// opens when the race resumes. Past expiry (FinishLap, or within Grace) the
// lap in progress was the last one, so the race ends instead of pausing.
func (e *Engine) DNF(now int64) (Effect, error) {
	r, err := e.active("dnf", Running)
	if err != nil {
		return Effect{}, err
	}
	if err := checkNow("dnf", now); err != nil {
		return Effect{}, err
	}
	now = max(now, r.latest())
	var eff Effect
	if e.expire(r, now, &eff) {
		eff.Warning = expiredWarning("dnf", r)
		return e.changed(eff), nil
	}
	_, penalty := lapRules(r.Config, r.Resets)
	lap := Lap{
		No:        len(r.Laps) + 1,
		StartNS:   r.LastCrossNS,
		EndNS:     now,
		Time:      lapTime(now - r.LastCrossNS),
		Penalty:   penalty,
		Resets:    r.Resets,
		DNF:       true,
		HostTimed: r.OpenHostTimed,
		Seq:       e.nextSeq,
	}
	e.nextSeq++
	r.Laps = append(r.Laps, lap)
	eff.Recorded = []int{lap.No}
	r.Resets = 0
	r.OpenHostTimed = false
	r.LastCrossNS = now
	if now >= r.expiryNS() {
		end(r, now, EndByDNF, &eff)
	} else {
		r.State = Paused
		r.PausedAtNS = now
	}
	return e.changed(eff), nil
}

// UndoFalseFinish merges the last lap back into the lap in progress: the
// crossing that closed it was a false trigger. The lap in progress starts
// again where that lap began and takes its resets back; the merged lap
// stays in Laps flagged Deleted. A race that ended because of that crossing
// (after expiry) runs again.
//
// Only a lap whose closing opened the lap in progress can be merged: not a
// lap closed by DNF, and not one followed by a resume (the lap in progress
// then began at the resume). Short laps and laps added by hand were never
// boundaries and are skipped when looking for the last lap.
func (e *Engine) UndoFalseFinish() (Effect, error) {
	const action = "undo false finish"
	r, err := e.active(action, Running, Paused, Over)
	if err != nil {
		return Effect{}, err
	}
	if r.State == Over && r.EndReason != EndByLap {
		return Effect{}, fmt.Errorf("%w (ended by %s, not by a lap)", &StateError{Action: action, State: r.State}, r.EndReason)
	}
	i := len(r.Laps) - 1
	for ; i >= 0; i-- {
		if l := r.Laps[i]; !l.Deleted && !l.Short && l.EndNS != 0 {
			break
		}
	}
	if i < 0 {
		return Effect{}, fmt.Errorf("%s: race %s has no recorded lap to merge", action, r.ID)
	}
	l := &r.Laps[i]
	switch {
	case l.DNF:
		return Effect{}, fmt.Errorf("%s: lap %d was closed by DNF, not by a crossing; toggle or delete it instead", action, l.No)
	case l.EndNS != r.LastCrossNS:
		return Effect{}, fmt.Errorf("%s: lap %d did not open the lap in progress (it began at a resume)", action, l.No)
	}
	l.Deleted = true
	r.LastCrossNS = l.StartNS
	r.Resets += l.Resets
	r.OpenHostTimed = r.OpenHostTimed || l.HostTimed
	eff := Effect{Changed: []int{l.No}}
	if r.State == Over {
		r.State = Running
		r.EndNS = 0
		r.EndReason = ""
	}
	return e.changed(eff), nil
}

// Submit makes an Over race's results official.
func (e *Engine) Submit() (Effect, error) {
	r, err := e.active("submit", Over)
	if err != nil {
		return Effect{}, err
	}
	r.State = Submitted
	return e.changed(Effect{}), nil
}

// Discard drops a race that is not final yet. A race discarded after it
// started still counts as one of the racer's runs.
func (e *Engine) Discard() (Effect, error) {
	r, err := e.active("discard", Ready, Running, Paused, Over)
	if err != nil {
		return Effect{}, err
	}
	r.State = Discarded
	return e.changed(Effect{}), nil
}
