package race

// LastReading is the latest point of the engine's clock it knows of: the
// latest reading it was given (Tick) or the last event of the race on it,
// whichever is later. A unit whose clock restarted (a reboot: the host's
// CLOCK_MONOTONIC starts again near zero) places the new clock so that it
// goes on from here, so the stamps it stored stay in the past.
func (e *Engine) LastReading() int64 {
	t := e.seen
	if e.cur != nil {
		t = max(t, e.cur.latest())
	}
	return t
}

// ClockGap tells the engine that its clock went on from LastReading after
// the unit was off (a power cut, a reboot): the time it was off is not race
// time, since nothing could be timed in it. A running race goes on; the lap
// in progress spans the gap, so the lap that closes it is marked host-timed
// for an official's review (Lap.HostTimed), like a lap that spans a decoder
// restart. It changes nothing when no race is running.
func (e *Engine) ClockGap() Effect {
	r := e.cur
	if r == nil || r.State != Running || r.OpenHostTimed {
		return Effect{}
	}
	r.OpenHostTimed = true
	return e.changed(Effect{Warning: "the unit restarted while the race was running: the time it was off is not race time, and the lap in progress will need an official's review"})
}
