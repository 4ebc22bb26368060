package standings

import (
	"time"

	"pitwall/trackside/race"
)

// Result is the best result one race gives a racer under a ranking method.
type Result struct {
	RacerID string
	RaceID  string
	// Value is what the racer is ranked by: the best lap (BestLap), the
	// best average of N consecutive counting laps truncated to the
	// nanosecond (BestAverage), or the total of the first N counting laps
	// (TotalTime). Lap values are Lap.Total(): time plus penalty.
	Value time.Duration
	Laps  int           // counting laps in that race
	Best  time.Duration // best single counting lap in that race
	// Seq is the highest Lap.Seq among the laps that make up the result:
	// the moment the result was complete. Equal Values rank the smaller
	// Seq (set earlier) higher.
	Seq uint64
}

// ResultOf computes what race r gives its racer under method, with n laps
// for BestAverage and TotalTime (BestLap ignores n). It is pure: it does not
// look at r.State, so it can also rate a race in progress.
//
// Laps are taken in the order of r.Laps (race order). A lap counts when
// Lap.Counts(): valid, not short, not deleted.
//   - Deleted laps are skipped as if they never happened: an official
//     deletes a lap that should not exist (a false trigger), so the laps on
//     either side were driven back to back and may form a BestAverage
//     window.
//   - An invalid or short lap breaks a BestAverage window: the N laps must
//     be consecutive counting laps. For TotalTime they are simply not
//     among the first N counting laps.
//
// Equal candidates within the race go to the smaller Seq. The result is
// false when the race has no counting lap, fewer counting laps (or, for
// BestAverage, no run of N consecutive ones) than n needs, an unknown
// method, or n < 1 for a method that uses it.
func ResultOf(r race.Race, method race.Ranking, n int) (Result, bool) {
	res := Result{RacerID: r.RacerID, RaceID: r.ID}
	bestSeq := uint64(0)
	for i := range r.Laps {
		l := &r.Laps[i] // laps are 64 bytes: no copy per lap
		if !l.Counts() {
			continue
		}
		res.Laps++
		if t := l.Total(); res.Laps == 1 || t < res.Best || (t == res.Best && l.Seq < bestSeq) {
			res.Best, bestSeq = t, l.Seq
		}
	}
	if res.Laps == 0 {
		return Result{}, false
	}
	var ok bool
	switch method {
	case race.BestLap:
		res.Value, res.Seq, ok = res.Best, bestSeq, true
	case race.BestAverage:
		if n >= 1 && res.Laps >= n {
			res.Value, res.Seq, ok = bestAverage(r.Laps, n)
		}
	case race.TotalTime:
		if n >= 1 && res.Laps >= n {
			res.Value, res.Seq, ok = firstTotal(r.Laps, n)
		}
	}
	if !ok {
		return Result{}, false
	}
	return res, true
}

// bestAverage slides a window of n counting laps over laps, skipping
// deleted laps and restarting after any other lap that does not count.
func bestAverage(laps []race.Lap, n int) (avg time.Duration, seq uint64, ok bool) {
	var sum time.Duration
	count, first := 0, 0 // laps in the window, index of its first lap
	for i := range laps {
		l := &laps[i]
		switch {
		case l.Deleted:
			continue
		case !l.Counts():
			sum, count = 0, 0
			continue
		}
		if count == 0 {
			first = i
		}
		sum += l.Total()
		count++
		if count > n {
			sum -= laps[first].Total()
			count--
			// The next window start is the next lap that is not deleted;
			// it counts, because the run since first is unbroken.
			for first++; laps[first].Deleted; first++ {
			}
		}
		if count < n {
			continue
		}
		v := sum / time.Duration(n)
		if ok && v > avg {
			continue
		}
		s := maxSeq(laps[first : i+1])
		if !ok || v < avg || s < seq {
			avg, seq, ok = v, s, true
		}
	}
	return avg, seq, ok
}

// firstTotal adds up the first n counting laps.
func firstTotal(laps []race.Lap, n int) (total time.Duration, seq uint64, ok bool) {
	count := 0
	for i := range laps {
		l := &laps[i]
		if !l.Counts() {
			continue
		}
		total += l.Total()
		seq = max(seq, l.Seq)
		if count++; count == n {
			return total, seq, true
		}
	}
	return 0, 0, false
}

// maxSeq is the highest Seq of the laps that are not deleted: when a lap is
// added after the fact (a captured missed lap) its Seq is later than its
// neighbours', and the result only existed from then on.
func maxSeq(laps []race.Lap) uint64 {
	var s uint64
	for i := range laps {
		if !laps[i].Deleted {
			s = max(s, laps[i].Seq)
		}
	}
	return s
}
