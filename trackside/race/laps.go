package race

import "time"

// lapRules is what a lap's resets cost under c: either the lap becomes
// invalid past MaxResetsPerLap, or every reset adds ResetPenalty and the lap
// stays valid.
func lapRules(c Config, resets int) (valid bool, penalty time.Duration) {
	if c.ResetMode == ResetsPenalty {
		return true, time.Duration(resets) * c.ResetPenalty
	}
	return c.MaxResetsPerLap == Unlimited || resets <= c.MaxResetsPerLap, 0
}

// isShort reports whether a lap of t is under the race's minimum. A lap of
// zero length (two stamps of the same instant, e.g. one car seen by two
// sources) is short even without a minimum: it can never be a real lap.
func isShort(c Config, t time.Duration) bool { return t <= 0 || t < c.MinLap }

// closeLap closes the lap in progress at stamp, as a crossing or the
// official's capture does, on a running race whose time has not run out in
// a mode that ends by itself (the caller applied expiry first).
//
// A closing sooner than MinLap after the lap began is a false trigger (a
// second beam break by the same car, a person walking through the beam): it
// is recorded as a Short, invalid lap so nothing is silently lost, but it is
// NOT a lap boundary. The lap in progress keeps running from where it
// began, so the next real crossing still yields the true lap time, and the
// resets stay with the lap in progress.
func (e *Engine) closeLap(r *Race, stamp int64, manual, hostTimed bool, eff *Effect) {
	hostTimed = hostTimed || r.OpenHostTimed
	lap := Lap{
		No:        len(r.Laps) + 1,
		StartNS:   r.LastCrossNS,
		EndNS:     stamp,
		Time:      lapTime(stamp - r.LastCrossNS),
		Manual:    manual,
		HostTimed: hostTimed,
		Seq:       e.nextSeq,
	}
	e.nextSeq++
	eff.Recorded = append(eff.Recorded, lap.No)
	if isShort(r.Config, lap.Time) {
		lap.Short = true
		r.Laps = append(r.Laps, lap)
		r.OpenHostTimed = hostTimed // the lap in progress still began where it did
		return
	}
	r.OpenHostTimed = false
	lap.Resets = r.Resets
	lap.Valid, lap.Penalty = lapRules(r.Config, r.Resets)
	r.Laps = append(r.Laps, lap)
	r.Resets = 0
	r.LastCrossNS = stamp
	// After expiry (FinishLap, or within Grace) the lap that was in
	// progress is the last one. HardStop never gets here past expiry.
	if r.Config.Expiry != HardStop && stamp >= r.expiryNS() {
		end(r, stamp, EndByLap, eff)
	}
}

// Resolution is the precision of recorded lap times. Stamps are ns, but
// timing is official to the millisecond (decoders report ms): truncating
// here, once, makes equal times on the board truly equal, so ties rank by
// who set them first instead of by invisible nanoseconds.
const Resolution = time.Millisecond

func lapTime(ns int64) time.Duration { return time.Duration(ns).Truncate(Resolution) }
