package standings

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"pitwall/trackside/race"
)

// submitted is a submitted race of racer with laps from a laps spec.
func submitted(t testing.TB, id, racer, spec string) race.Race {
	t.Helper()
	return race.Race{ID: id, RacerID: racer, State: race.Submitted, Laps: laps(t, spec)}
}

// board lists b as "rank[=] racer value race" lines, "=" marking a tie.
func board(b *Board) string {
	var lines []string
	b.Range(func(e Entry) bool {
		lines = append(lines, describe(e))
		return true
	})
	return strings.Join(lines, "\n")
}

func describe(e Entry) string {
	tie := ""
	if e.Tie {
		tie = "="
	}
	return fmt.Sprintf("%d%s %s %v %s", e.Rank, tie, e.RacerID, e.Value, e.RaceID)
}

func wantBoard(t *testing.T, b *Board, want ...string) {
	t.Helper()
	if got := board(b); got != strings.Join(want, "\n") {
		t.Fatalf("board:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if b.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", b.Len(), len(want))
	}
	// Rank and Top must agree with Range entry by entry.
	top := b.Top(len(want) + 5)
	for i, line := range want {
		if got := describe(top[i]); got != line {
			t.Errorf("Top[%d] = %s, want %s", i, got, line)
		}
		e, ok := b.Rank(top[i].RacerID)
		if !ok || e != top[i] {
			t.Errorf("Rank(%s) = %s, %v; want %s", top[i].RacerID, describe(e), ok, line)
		}
	}
}

func TestBoardTies(t *testing.T) {
	b := New(race.BestLap, 0)
	b.SetRace(submitted(t, "r-ann", "ann", "10@50"))
	b.SetRace(submitted(t, "r-bob", "bob", "10@30"))
	b.SetRace(submitted(t, "r-cat", "cat", "9@90"))
	b.SetRace(submitted(t, "r-dan", "dan", "11@10"))
	b.SetRace(submitted(t, "r-eve", "eve", "10@70"))
	wantBoard(t, b,
		"1 cat 9s r-cat",
		"2 bob 10s r-bob", // set earlier than ann's and eve's equal laps
		"2= ann 10s r-ann",
		"2= eve 10s r-eve",
		"5 dan 11s r-dan",
	)
	if top := b.Top(3); len(top) != 3 || describe(top[2]) != "2= ann 10s r-ann" {
		t.Errorf("Top(3) = %v", top)
	}
	if top := b.Top(0); len(top) != 0 {
		t.Errorf("Top(0) = %v, want none", top)
	}
	if top := b.Top(-1); len(top) != 0 {
		t.Errorf("Top(-1) = %v, want none", top)
	}
}

func TestBoardTieOnSeqFallsBackToRacerID(t *testing.T) {
	// One engine never gives two laps one Seq, but two tracks' engines
	// could; the order must still be total.
	b := New(race.BestLap, 0)
	b.SetRace(submitted(t, "r2", "zed", "10@5"))
	b.SetRace(submitted(t, "r1", "amy", "10@5"))
	wantBoard(t, b, "1 amy 10s r1", "1= zed 10s r2")
}

func TestBoardBestOfSeveralRaces(t *testing.T) {
	b := New(race.BestAverage, 3)
	b.SetRace(submitted(t, "ann-1", "ann", "12@1 12@2 12@3"))
	b.SetRace(submitted(t, "bob-1", "bob", "11@4 11@5 11@6"))
	wantBoard(t, b, "1 bob 11s bob-1", "2 ann 12s ann-1")

	b.SetRace(submitted(t, "ann-2", "ann", "10@7 10@8 10@9"))
	wantBoard(t, b, "1 ann 10s ann-2", "2 bob 11s bob-1")

	// A worse third run changes nothing.
	b.SetRace(submitted(t, "ann-3", "ann", "13@10 13@11 13@12"))
	wantBoard(t, b, "1 ann 10s ann-2", "2 bob 11s bob-1")

	// The same time in a later run does not replace the earlier one.
	b.SetRace(submitted(t, "ann-4", "ann", "10@13 10@14 10@15"))
	wantBoard(t, b, "1 ann 10s ann-2", "2 bob 11s bob-1")
}

func TestBoardCorrections(t *testing.T) {
	b := New(race.BestLap, 0)
	b.SetRace(submitted(t, "ann-1", "ann", "12@1 11@2"))
	b.SetRace(submitted(t, "ann-2", "ann", "11.5@3"))
	b.SetRace(submitted(t, "bob-1", "bob", "11.2@4"))
	wantBoard(t, b, "1 ann 11s ann-1", "2 bob 11.2s bob-1")

	// Better: a corrected lap time.
	b.SetRace(submitted(t, "ann-1", "ann", "12@1 10.8@2"))
	wantBoard(t, b, "1 ann 10.8s ann-1", "2 bob 11.2s bob-1")

	// Worse: the official invalidates the best lap; ann's other run is
	// now her best and ranks below bob.
	b.SetRace(submitted(t, "ann-1", "ann", "12@1 i10.8@2"))
	wantBoard(t, b, "1 bob 11.2s bob-1", "2 ann 11.5s ann-2")

	// Deleting every lap leaves the race without a result.
	b.SetRace(submitted(t, "ann-2", "ann", "d11.5@3"))
	wantBoard(t, b, "1 bob 11.2s bob-1", "2 ann 12s ann-1")

	// A race that is no longer submitted stops counting.
	r := submitted(t, "bob-1", "bob", "11.2@4")
	r.State = race.Discarded
	b.SetRace(r)
	wantBoard(t, b, "1 ann 12s ann-1")

	// Setting the same race again is a no-op.
	b.SetRace(submitted(t, "ann-1", "ann", "12@1 i10.8@2"))
	wantBoard(t, b, "1 ann 12s ann-1")

	b.RemoveRace("ann-1")
	b.RemoveRace("never-seen")
	wantBoard(t, b)
	if len(b.racers) != 0 || len(b.races) != 0 {
		t.Errorf("empty board still remembers racers %v, races %v", b.racers, b.races)
	}
}

func TestBoardOnlySubmittedRacesCount(t *testing.T) {
	for _, s := range []race.State{race.Ready, race.Running, race.Paused, race.Over, race.Discarded, race.State("bogus")} {
		b := New(race.BestLap, 0)
		r := submitted(t, "r1", "ann", "10")
		r.State = s
		b.SetRace(r)
		if b.Len() != 0 {
			t.Errorf("a %q race ranks: %s", s, board(b))
		}
	}
	b := New(race.BestLap, 0)
	r := submitted(t, "r1", "", "10")
	b.SetRace(r)
	if b.Len() != 0 {
		t.Errorf("a race without a racer ranks: %s", board(b))
	}
}

func TestBoardReassign(t *testing.T) {
	b := New(race.TotalTime, 2)
	b.SetRace(submitted(t, "r1", "ann", "10@1 10@2"))
	b.SetRace(submitted(t, "r2", "ann", "11@3 11@4"))
	b.SetRace(submitted(t, "r3", "bob", "12@5 12@6"))
	wantBoard(t, b, "1 ann 20s r1", "2 bob 24s r3")

	// r1 was bob's run, entered under ann by mistake.
	b.SetRace(submitted(t, "r1", "bob", "10@1 10@2"))
	wantBoard(t, b, "1 bob 20s r1", "2 ann 22s r2")

	// Reassigned again, to a racer with no other race; bob falls back.
	b.SetRace(submitted(t, "r1", "cat", "10@1 10@2"))
	wantBoard(t, b, "1 cat 20s r1", "2 ann 22s r2", "3 bob 24s r3")

	// Reassigning the only race of a racer forgets them.
	b.SetRace(submitted(t, "r3", "ann", "12@5 12@6"))
	wantBoard(t, b, "1 cat 20s r1", "2 ann 22s r2")
	if _, ok := b.Rank("bob"); ok {
		t.Error("bob still ranks after losing his only race")
	}
	if _, ok := b.racers["bob"]; ok {
		t.Error("the board still remembers bob with nothing to remember")
	}
}

func TestBoardDisqualify(t *testing.T) {
	b := New(race.BestLap, 0)
	b.SetDisqualified("dan", true) // before he has raced
	b.SetRace(submitted(t, "r1", "ann", "10@1"))
	b.SetRace(submitted(t, "r2", "bob", "11@2"))
	b.SetRace(submitted(t, "r3", "dan", "9@3"))
	wantBoard(t, b, "1 ann 10s r1", "2 bob 11s r2")
	if !b.Disqualified("dan") || b.Disqualified("ann") {
		t.Errorf("Disqualified: dan %v, ann %v", b.Disqualified("dan"), b.Disqualified("ann"))
	}
	if _, ok := b.Rank("dan"); ok {
		t.Error("a disqualified racer has a rank")
	}

	b.SetDisqualified("ann", true)
	wantBoard(t, b, "1 bob 11s r2")
	// A correction while disqualified is kept for later.
	b.SetRace(submitted(t, "r1", "ann", "8@1"))
	wantBoard(t, b, "1 bob 11s r2")

	b.SetDisqualified("ann", false)
	b.SetDisqualified("dan", false)
	wantBoard(t, b, "1 ann 8s r1", "2 dan 9s r3", "3 bob 11s r2")

	// Requalifying someone unknown, or twice, changes nothing.
	b.SetDisqualified("nobody", false)
	b.SetDisqualified("ann", false)
	wantBoard(t, b, "1 ann 8s r1", "2 dan 9s r3", "3 bob 11s r2")
	if _, ok := b.racers["nobody"]; ok {
		t.Error("requalifying an unknown racer made the board remember them")
	}

	// A disqualified racer without races is remembered, then forgotten
	// once requalified.
	b.SetDisqualified("eve", true)
	if !b.Disqualified("eve") {
		t.Error("eve's disqualification was not remembered")
	}
	b.SetDisqualified("eve", false)
	if _, ok := b.racers["eve"]; ok {
		t.Error("the board still remembers eve with nothing to remember")
	}
}

func TestBoardMethod(t *testing.T) {
	tests := []struct {
		method race.Ranking
		n      int
		wantN  int
	}{
		{race.BestLap, 3, 1},
		{race.BestLap, 0, 1},
		{race.BestAverage, 5, 5},
		{race.TotalTime, 10, 10},
	}
	for _, tt := range tests {
		m, n := New(tt.method, tt.n).Method()
		if m != tt.method || n != tt.wantN {
			t.Errorf("New(%q, %d).Method() = %q, %d; want %q, %d", tt.method, tt.n, m, n, tt.method, tt.wantN)
		}
	}
}

func TestNewPanicsOnBadMethod(t *testing.T) {
	tests := []struct {
		method race.Ranking
		n      int
		want   string
	}{
		{race.Ranking("fastest"), 3, `unknown ranking "fastest"`},
		{race.BestAverage, 0, `"best-average" needs n >= 1`},
		{race.TotalTime, -1, `"total-time" needs n >= 1`},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("New(%q, %d) panicked with %q, want it to mention %q", tt.method, tt.n, msg, tt.want)
				}
			}()
			New(tt.method, tt.n)
		}()
	}
}

// naiveBoard keeps the latest version of every race and the set of
// disqualified racers, and ranks them from scratch: the definition that
// Board must match.
type naiveBoard struct {
	method race.Ranking
	n      int
	races  map[string]race.Race
	dq     map[string]bool
}

func (nb *naiveBoard) entries() []Entry {
	best := map[string]Result{}
	for _, r := range nb.races {
		if r.State != race.Submitted || r.RacerID == "" || nb.dq[r.RacerID] {
			continue
		}
		res, ok := bruteResult(r, nb.method, nb.n)
		if !ok {
			continue
		}
		if cur, seen := best[r.RacerID]; !seen || compareOwn(&res, &cur) < 0 {
			best[r.RacerID] = res
		}
	}
	var all []Result
	for _, res := range best {
		all = append(all, res)
	}
	slices.SortFunc(all, func(a, b Result) int {
		return cmp.Or(cmp.Compare(a.Value, b.Value), cmp.Compare(a.Seq, b.Seq), strings.Compare(a.RacerID, b.RacerID))
	})
	out := make([]Entry, len(all))
	for i, res := range all {
		rank := 1
		for _, other := range all {
			if other.Value < res.Value {
				rank++
			}
		}
		out[i] = Entry{Rank: rank, Result: res, Tie: i > 0 && all[i-1].Value == res.Value}
	}
	return out
}

// TestBoardMatchesNaiveRecompute applies thousands of random submissions,
// corrections, reassignments, removals and disqualifications, and compares
// the board with a full recompute after each.
func TestBoardMatchesNaiveRecompute(t *testing.T) {
	for _, m := range []struct {
		method race.Ranking
		n      int
	}{{race.BestLap, 0}, {race.BestAverage, 3}, {race.TotalTime, 2}} {
		t.Run(string(m.method), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(len(m.method))))
			b := New(m.method, m.n)
			nb := &naiveBoard{method: m.method, n: m.n, races: map[string]race.Race{}, dq: map[string]bool{}}
			racers := []string{"", "ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lea"}
			states := []race.State{race.Submitted, race.Submitted, race.Submitted, race.Over, race.Discarded, race.Running}
			for step := range 4000 {
				var did string
				switch op := rng.IntN(20); {
				case op < 14:
					r := race.Race{
						ID:      fmt.Sprintf("r%d", rng.IntN(40)),
						RacerID: racers[rng.IntN(len(racers))],
						State:   states[rng.IntN(len(states))],
						Laps:    randomLaps(rng, rng.IntN(9)),
					}
					if old, ok := nb.races[r.ID]; ok && rng.IntN(2) == 0 {
						r.RacerID = old.RacerID // a correction rather than a reassignment
					}
					b.SetRace(r)
					nb.races[r.ID] = r
					did = fmt.Sprintf("SetRace(%s of %q, %s, %d laps)", r.ID, r.RacerID, r.State, len(r.Laps))
				case op < 17:
					id := fmt.Sprintf("r%d", rng.IntN(40))
					b.RemoveRace(id)
					delete(nb.races, id)
					did = "RemoveRace(" + id + ")"
				default:
					racer, dq := racers[rng.IntN(len(racers))], rng.IntN(2) == 0
					b.SetDisqualified(racer, dq)
					nb.dq[racer] = dq
					did = fmt.Sprintf("SetDisqualified(%q, %v)", racer, dq)
				}
				compareBoards(t, b, nb, rng, fmt.Sprintf("step %d, %s", step, did))
			}
		})
	}
}

func compareBoards(t *testing.T, b *Board, nb *naiveBoard, rng *rand.Rand, where string) {
	t.Helper()
	want := nb.entries()
	var got []Entry
	b.Range(func(e Entry) bool { got = append(got, e); return true })
	if !slices.Equal(got, want) {
		t.Fatalf("%s: board differs from a full recompute:\n got %v\nwant %v", where, got, want)
	}
	if b.Len() != len(want) {
		t.Fatalf("%s: Len = %d, want %d", where, b.Len(), len(want))
	}
	k := rng.IntN(len(want) + 2)
	if top := b.Top(k); !slices.Equal(top, want[:min(k, len(want))]) {
		t.Fatalf("%s: Top(%d) = %v, want %v", where, k, top, want[:min(k, len(want))])
	}
	ranked := map[string]bool{}
	for _, e := range want {
		ranked[e.RacerID] = true
		if got, ok := b.Rank(e.RacerID); !ok || got != e {
			t.Fatalf("%s: Rank(%q) = %v, %v; want %v", where, e.RacerID, got, ok, e)
		}
	}
	for _, racer := range []string{"", "ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lea"} {
		if _, ok := b.Rank(racer); ok != ranked[racer] {
			t.Fatalf("%s: Rank(%q) ok = %v, want %v", where, racer, ok, ranked[racer])
		}
		if b.Disqualified(racer) != nb.dq[racer] {
			t.Fatalf("%s: Disqualified(%q) = %v, want %v", where, racer, b.Disqualified(racer), nb.dq[racer])
		}
	}
}

func ExampleBoard() {
	lap := func(seconds float64, seq uint64) race.Lap {
		return race.Lap{Time: sec(seconds), Valid: true, Seq: seq}
	}
	b := New(race.BestLap, 0)
	b.SetRace(race.Race{ID: "r1", RacerID: "ann", State: race.Submitted, Laps: []race.Lap{lap(10.5, 1), lap(9.8, 2)}})
	b.SetRace(race.Race{ID: "r2", RacerID: "bob", State: race.Submitted, Laps: []race.Lap{lap(9.8, 3)}})
	b.SetRace(race.Race{ID: "r3", RacerID: "cat", State: race.Submitted, Laps: []race.Lap{lap(11.1, 4)}})
	b.SetRace(race.Race{ID: "r4", RacerID: "dan", State: race.Running, Laps: []race.Lap{lap(8.0, 5)}}) // not submitted yet
	for _, e := range b.Top(10) {
		fmt.Println(e.Rank, e.RacerID, e.Value, e.RaceID, e.Tie)
	}
	// Output:
	// 1 ann 9.8s r1 false
	// 1 bob 9.8s r2 true
	// 3 cat 11.1s r3 false
}
