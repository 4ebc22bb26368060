package standings

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/race"
)

// laps builds laps from a compact spec, one word per lap:
//
//	[flags]seconds[+penalty][@seq]
//
// flags: i invalid, s short, d deleted. Without @seq a lap's Seq is
// 10·(its 1-based position), so later laps were recorded later.
// "i9.5" is an invalid 9.5 s lap; "10+2@75" a 10 s lap with a 2 s penalty
// recorded as Seq 75.
func laps(t testing.TB, spec string) []race.Lap {
	t.Helper()
	var out []race.Lap
	for i, word := range strings.Fields(spec) {
		l := race.Lap{No: i + 1, Valid: true, Seq: uint64(10 * (i + 1))}
		w := word
		for len(w) > 0 && strings.ContainsRune("isd", rune(w[0])) {
			switch w[0] {
			case 'i':
				l.Valid = false
			case 's':
				l.Short = true
			case 'd':
				l.Deleted = true
			}
			w = w[1:]
		}
		if at := strings.IndexByte(w, '@'); at >= 0 {
			seq, err := strconv.ParseUint(w[at+1:], 10, 64)
			if err != nil {
				t.Fatalf("lap %q: seq: %v", word, err)
			}
			l.Seq, w = seq, w[:at]
		}
		if plus := strings.IndexByte(w, '+'); plus >= 0 {
			l.Penalty, w = seconds(t, w[plus+1:]), w[:plus]
			l.Resets = 1
		}
		l.Time = seconds(t, w)
		out = append(out, l)
	}
	return out
}

func seconds(t testing.TB, s string) time.Duration {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("seconds %q: %v", s, err)
	}
	return time.Duration(f * float64(time.Second))
}

func sec(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func TestResultOf(t *testing.T) {
	tests := []struct {
		name   string
		method race.Ranking
		n      int
		laps   string
		ok     bool
		value  time.Duration
		seq    uint64
		count  int           // Result.Laps
		best   time.Duration // Result.Best
	}{
		// BestLap
		{name: "best lap: no laps", method: race.BestLap, laps: ""},
		{name: "best lap: nothing counts", method: race.BestLap, laps: "i9 s2 d8"},
		{name: "best lap: fastest counting lap", method: race.BestLap, laps: "12 10.5 11",
			ok: true, value: sec(10.5), seq: 20, count: 3, best: sec(10.5)},
		{name: "best lap: faster invalid lap ignored", method: race.BestLap, laps: "12 i9 11",
			ok: true, value: sec(11), seq: 30, count: 2, best: sec(11)},
		{name: "best lap: short lap ignored", method: race.BestLap, laps: "12 s2 11",
			ok: true, value: sec(11), seq: 30, count: 2, best: sec(11)},
		{name: "best lap: deleted lap ignored", method: race.BestLap, laps: "12 d9 11",
			ok: true, value: sec(11), seq: 30, count: 2, best: sec(11)},
		{name: "best lap: penalty counts", method: race.BestLap, laps: "10+3 12.5",
			ok: true, value: sec(12.5), seq: 20, count: 2, best: sec(12.5)},
		{name: "best lap: equal laps, earlier wins", method: race.BestLap, laps: "11 10 10",
			ok: true, value: sec(10), seq: 20, count: 3, best: sec(10)},
		{name: "best lap: equal laps, earlier by seq not position", method: race.BestLap, laps: "11 10@50 10@40",
			ok: true, value: sec(10), seq: 40, count: 3, best: sec(10)},
		{name: "best lap: n is ignored", method: race.BestLap, n: -4, laps: "11",
			ok: true, value: sec(11), seq: 10, count: 1, best: sec(11)},

		// BestAverage
		{name: "average: fewer than n counting laps", method: race.BestAverage, n: 3, laps: "10 11 i9"},
		{name: "average: invalid lap breaks the window", method: race.BestAverage, n: 3, laps: "10 10 i10 10 10"},
		{name: "average: short lap breaks the window", method: race.BestAverage, n: 3, laps: "10 10 s2 10 10"},
		{name: "average: deleted lap is skipped", method: race.BestAverage, n: 3, laps: "10 d5 10 10",
			ok: true, value: sec(10), seq: 40, count: 3, best: sec(10)},
		{name: "average: best window", method: race.BestAverage, n: 3, laps: "12 11 10 10 10 13",
			ok: true, value: sec(10), seq: 50, count: 6, best: sec(10)},
		{name: "average: best window after a break", method: race.BestAverage, n: 3, laps: "12 12 12 i9 9 9 i9 11 11 11",
			ok: true, value: sec(11), seq: 100, count: 8, best: sec(9)},
		{name: "average: penalty counts", method: race.BestAverage, n: 3, laps: "9+3 10 10 11 11 11",
			// windows 32, 31, 32, 33 s: the second, 31 s / 3
			ok: true, value: sec(31) / 3, seq: 40, count: 6, best: sec(10)},
		{name: "average: equal windows, earliest wins", method: race.BestAverage, n: 3, laps: "10 11 12 10 11 12",
			ok: true, value: sec(11), seq: 30, count: 6, best: sec(10)},
		{name: "average: seq is the latest lap of the window", method: race.BestAverage, n: 2, laps: "10@90 10@10 20@30",
			// lap 1 was captured by hand after the race: the result exists from Seq 90
			ok: true, value: sec(10), seq: 90, count: 3, best: sec(10)},
		{name: "average: equal windows, earliest by seq", method: race.BestAverage, n: 2, laps: "10@90 10@80 10@10 10@20",
			ok: true, value: sec(10), seq: 20, count: 4, best: sec(10)},
		{name: "average: n = 1 is the best lap", method: race.BestAverage, n: 1, laps: "12 i8 10.5",
			ok: true, value: sec(10.5), seq: 30, count: 2, best: sec(10.5)},
		{name: "average: n < 1", method: race.BestAverage, n: 0, laps: "10 10 10"},

		// TotalTime
		{name: "total: the first n counting laps, not the best", method: race.TotalTime, n: 3, laps: "12 11 10 9",
			ok: true, value: sec(33), seq: 30, count: 4, best: sec(9)},
		{name: "total: invalid lap does not count and does not break", method: race.TotalTime, n: 3, laps: "12 i8 11 10",
			ok: true, value: sec(33), seq: 40, count: 3, best: sec(10)},
		{name: "total: short and deleted laps skipped", method: race.TotalTime, n: 2, laps: "s2 d7 12 11 10",
			ok: true, value: sec(23), seq: 40, count: 3, best: sec(10)},
		{name: "total: penalty counts", method: race.TotalTime, n: 2, laps: "10+2 11",
			ok: true, value: sec(23), seq: 20, count: 2, best: sec(11)},
		{name: "total: seq is the latest lap of the set", method: race.TotalTime, n: 3, laps: "10@10 10@50 10@20 10@30",
			ok: true, value: sec(30), seq: 50, count: 4, best: sec(10)},
		{name: "total: fewer than n counting laps", method: race.TotalTime, n: 3, laps: "10 i10 10"},
		{name: "total: n < 1", method: race.TotalTime, n: 0, laps: "10"},

		{name: "unknown method", method: race.Ranking("fastest-car"), n: 3, laps: "10 10 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := race.Race{ID: "race-1", RacerID: "ann", State: race.Submitted, Laps: laps(t, tt.laps)}
			got, ok := ResultOf(r, tt.method, tt.n)
			if ok != tt.ok {
				t.Fatalf("ResultOf ok = %v, want %v (result %+v)", ok, tt.ok, got)
			}
			want := Result{}
			if tt.ok {
				want = Result{RacerID: "ann", RaceID: "race-1", Value: tt.value, Seq: tt.seq, Laps: tt.count, Best: tt.best}
			}
			if got != want {
				t.Errorf("ResultOf =\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

// TestResultOfMatchesBruteForce checks the sliding window against trying
// every start position, on random races.
func TestResultOfMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := range 3000 {
		r := race.Race{ID: "r", RacerID: "x", Laps: randomLaps(rng, rng.IntN(14))}
		for _, m := range []struct {
			method race.Ranking
			n      int
		}{{race.BestLap, 0}, {race.BestAverage, 1 + rng.IntN(4)}, {race.TotalTime, 1 + rng.IntN(4)}} {
			got, ok := ResultOf(r, m.method, m.n)
			want, wantOK := bruteResult(r, m.method, m.n)
			if ok != wantOK || got != want {
				t.Fatalf("iteration %d, %s n=%d, laps %+v:\n got %+v %v\nwant %+v %v",
					iter, m.method, m.n, r.Laps, got, ok, want, wantOK)
			}
		}
	}
}

// randomLaps makes laps from a small set of times so that equal results
// are common, with every kind of lap that does not count.
func randomLaps(rng *rand.Rand, n int) []race.Lap {
	out := make([]race.Lap, n)
	for i := range out {
		l := race.Lap{
			No:    i + 1,
			Time:  time.Duration(8+rng.IntN(4)) * time.Second,
			Valid: rng.IntN(8) != 0,
			Short: rng.IntN(12) == 0,
			// Mostly in race order, sometimes a later correction.
			Seq: uint64(i*10 + rng.IntN(3)),
		}
		if rng.IntN(10) == 0 {
			l.Seq += 1000
		}
		if rng.IntN(6) == 0 {
			l.Penalty = 2 * time.Second
		}
		l.Deleted = rng.IntN(8) == 0
		out[i] = l
	}
	return out
}

// bruteResult is ResultOf written the obvious, slow way.
func bruteResult(r race.Race, method race.Ranking, n int) (Result, bool) {
	var live []race.Lap // without deleted laps
	for _, l := range r.Laps {
		if !l.Deleted {
			live = append(live, l)
		}
	}
	res := Result{RacerID: r.RacerID, RaceID: r.ID}
	var bestSeq uint64
	for _, l := range live {
		if l.Counts() && (res.Laps == 0 || l.Total() < res.Best || (l.Total() == res.Best && l.Seq < bestSeq)) {
			res.Best, bestSeq = l.Total(), l.Seq
		}
		if l.Counts() {
			res.Laps++
		}
	}
	if res.Laps == 0 {
		return Result{}, false
	}
	found := false
	better := func(v time.Duration, s uint64) {
		if !found || v < res.Value || (v == res.Value && s < res.Seq) {
			res.Value, res.Seq, found = v, s, true
		}
	}
	switch method {
	case race.BestLap:
		better(res.Best, bestSeq)
	case race.BestAverage:
		for start := 0; n >= 1 && start+n <= len(live); start++ {
			var sum time.Duration
			var seq uint64
			all := true
			for _, l := range live[start : start+n] {
				all = all && l.Counts()
				sum += l.Total()
				seq = max(seq, l.Seq)
			}
			if all {
				better(sum/time.Duration(n), seq)
			}
		}
	case race.TotalTime:
		var counting []race.Lap
		for _, l := range live {
			if l.Counts() {
				counting = append(counting, l)
			}
		}
		if n >= 1 && len(counting) >= n {
			var sum time.Duration
			var seq uint64
			for _, l := range counting[:n] {
				sum += l.Total()
				seq = max(seq, l.Seq)
			}
			better(sum, seq)
		}
	}
	if !found {
		return Result{}, false
	}
	return res, true
}

func ExampleResultOf() {
	r := race.Race{ID: "r-7", RacerID: "ann", State: race.Submitted, Laps: []race.Lap{
		{No: 1, Time: 12 * time.Second, Valid: true, Seq: 1},
		{No: 2, Time: 10 * time.Second, Valid: true, Seq: 2},
		{No: 3, Time: 9 * time.Second, Valid: false, Seq: 3}, // too many resets: breaks the window
		{No: 4, Time: 11 * time.Second, Valid: true, Seq: 4},
		{No: 5, Time: 10 * time.Second, Valid: true, Seq: 5},
		{No: 6, Time: 12 * time.Second, Valid: true, Seq: 6},
	}}
	for _, m := range []race.Ranking{race.BestLap, race.BestAverage, race.TotalTime} {
		res, ok := ResultOf(r, m, 3)
		fmt.Println(m, res.Value, res.Seq, ok)
	}
	// Output:
	// best-lap 10s 2 true
	// best-average 11s 6 true
	// total-time 33s 4 true
}
