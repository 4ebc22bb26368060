package standings

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"pitwall/trackside/race"
)

const benchRacers = 10000

var benchMethods = []struct {
	method race.Ranking
	n      int
}{{race.BestLap, 1}, {race.BestAverage, 3}, {race.TotalTime, 3}}

// benchRaces is one submitted 20-lap race per racer, laps of 9.5–14 s with
// an invalid or short lap now and then, and Seqs in recording order.
func benchRaces() []race.Race {
	rng := rand.New(rand.NewPCG(7, 8))
	races := make([]race.Race, benchRacers)
	seq := uint64(0)
	for i := range races {
		laps := make([]race.Lap, 20)
		for j := range laps {
			seq++
			laps[j] = race.Lap{
				No:    j + 1,
				Time:  9500*time.Millisecond + time.Duration(rng.IntN(4500))*time.Millisecond,
				Valid: rng.IntN(10) != 0,
				Short: rng.IntN(40) == 0,
				Seq:   seq,
			}
		}
		races[i] = race.Race{
			ID:      fmt.Sprintf("race-%05d", i),
			RacerID: fmt.Sprintf("racer-%05d", i),
			State:   race.Submitted,
			Laps:    laps,
		}
	}
	return races
}

// improved is r corrected so that its first n laps are valid 8 s laps:
// better than anything in benchRaces under every method.
func improved(r race.Race, n int) race.Race {
	r.Laps = append([]race.Lap(nil), r.Laps...)
	for j := range n {
		r.Laps[j].Time, r.Laps[j].Valid, r.Laps[j].Short = 8*time.Second, true, false
	}
	return r
}

func benchBoard(b *testing.B, method race.Ranking, n int, races []race.Race) *Board {
	b.Helper()
	board := New(method, n)
	for _, r := range races {
		board.SetRace(r)
	}
	if board.Len() != len(races) {
		b.Fatalf("board ranks %d of %d racers", board.Len(), len(races))
	}
	return board
}

// BenchmarkSetRace10k updates one racer's race on a board of 10,000: every
// call moves the racer, alternately up (a better corrected lap) and back.
func BenchmarkSetRace10k(b *testing.B) {
	races := benchRaces()
	for _, m := range benchMethods {
		b.Run(string(m.method), func(b *testing.B) {
			board := benchBoard(b, m.method, m.n, races)
			better := make([]race.Race, len(races))
			for i, r := range races {
				better[i] = improved(r, m.n)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				k := i % len(races)
				if (i/len(races))%2 == 0 {
					board.SetRace(better[k])
				} else {
					board.SetRace(races[k])
				}
				i++
			}
		})
	}
}

func BenchmarkRank10k(b *testing.B) {
	races := benchRaces()
	board := benchBoard(b, race.BestLap, 1, races)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := board.Rank(races[i%len(races)].RacerID); !ok {
			b.Fatal("a racer is missing")
		}
		i++
	}
}

func BenchmarkTop20_10k(b *testing.B) {
	board := benchBoard(b, race.BestLap, 1, benchRaces())
	b.ReportAllocs()
	for b.Loop() {
		if len(board.Top(20)) != 20 {
			b.Fatal("Top(20) is short")
		}
	}
}

// BenchmarkRange10k walks the whole board, as publishing the full retained
// standings does.
func BenchmarkRange10k(b *testing.B) {
	board := benchBoard(b, race.BestLap, 1, benchRaces())
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		board.Range(func(Entry) bool { count++; return true })
		if count != benchRacers {
			b.Fatalf("Range visited %d entries", count)
		}
	}
}

// BenchmarkLoad10k builds a board of 10,000 racers from scratch, as a
// restart does from the store.
func BenchmarkLoad10k(b *testing.B) {
	races := benchRaces()
	b.ReportAllocs()
	for b.Loop() {
		benchBoard(b, race.BestAverage, 3, races)
	}
}

func BenchmarkResultOf(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	r := race.Race{ID: "race", RacerID: "racer", State: race.Submitted, Laps: randomLaps(rng, 30)}
	for _, m := range benchMethods {
		b.Run(string(m.method), func(b *testing.B) {
			if _, ok := ResultOf(r, m.method, m.n); !ok {
				b.Fatal("the benchmark race yields no result")
			}
			b.ReportAllocs()
			for b.Loop() {
				ResultOf(r, m.method, m.n)
			}
		})
	}
}
