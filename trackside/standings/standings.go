// Package standings ranks racers for one event's board: each racer once,
// with the best result of their submitted races (docs/rules.md, "Ranking").
//
// The Board is updated incrementally: a submitted, corrected, reassigned or
// removed race touches only its racer's entry, in O(log n + races of that
// racer), and Rank and Top(k) cost O(log n) and O(log n + k): the board
// never re-sorts, however many racers an event has. It is pure logic with
// no I/O.
//
// Order: smaller Value first; equal Values rank the result set earlier
// (smaller Seq) higher; equal Seqs (not produced by one engine) fall back to
// RacerID so the order is always total and deterministic.
//
// Rank is standard competition ranking ("1, 2, 2, 4"): entries with equal
// Value share the rank of the first of them and carry Tie, so a board shows
// equal times as equal, while the list itself stays ordered by Seq.
package standings

import (
	"cmp"
	"fmt"
	"strings"

	"pitwall/trackside/race"
)

// Entry is one ranked racer.
type Entry struct {
	// Rank is the competition rank: 1 + the number of entries with a
	// strictly smaller Value.
	Rank int
	Result
	// Tie: the entry ranked just above has the same Value.
	Tie bool
}

// Board is a live ranking. It is not safe for concurrent use: its owner
// (the track's single writer) serializes calls. The zero value is not
// ready: use New.
type Board struct {
	method race.Ranking
	n      int
	// races holds the contribution of every race that has one, by race
	// id, so a resubmitted race can find and replace its old result even
	// when it has been reassigned to another racer since.
	races  map[string]Result
	racers map[string]*racerStanding
	// order holds the best result of every ranked racer.
	order orderTree
}

// racerStanding is what the board knows about one racer: the results of
// their contributing races (a handful) and whether they are disqualified.
// A racer with neither is forgotten.
type racerStanding struct {
	results      []Result
	disqualified bool
	ranked       bool   // best is in Board.order
	best         Result // the key in Board.order while ranked
}

// New returns an empty board that ranks by method, with n laps for
// BestAverage and TotalTime (for BestLap n is ignored and Method reports 1).
// The event config has been checked by race.Config.Validate before it gets
// here, so an unknown method or n < 1 is a programming error and panics.
func New(method race.Ranking, n int) *Board {
	switch method {
	case race.BestLap:
		n = 1
	case race.BestAverage, race.TotalTime:
		if n < 1 {
			panic(fmt.Sprintf("standings.New: ranking %q needs n >= 1 laps, got %d", method, n))
		}
	default:
		panic(fmt.Sprintf("standings.New: unknown ranking %q (want %q, %q or %q)",
			method, race.BestLap, race.BestAverage, race.TotalTime))
	}
	return &Board{
		method: method,
		n:      n,
		races:  make(map[string]Result),
		racers: make(map[string]*racerStanding),
	}
}

// Method is the ranking method and its number of laps.
func (b *Board) Method() (race.Ranking, int) { return b.method, b.n }

// SetRace (re)computes what race r contributes. A race counts only when it
// is Submitted, has a racer and yields a result (see ResultOf); otherwise
// any earlier contribution of r.ID is removed. When r's racer differs from
// the one of its previous SetRace (the race was reassigned), the old racer
// loses it and the new one gains it. The board's own method applies, not
// r.Config.Ranking.
func (b *Board) SetRace(r race.Race) {
	var res Result
	ok := false
	if r.State == race.Submitted && r.RacerID != "" {
		res, ok = ResultOf(r, b.method, b.n)
	}
	old, had := b.races[r.ID]
	if had == ok && old == res {
		return // nothing changed: corrections often touch laps that do not matter
	}
	if had {
		b.detach(old)
	}
	if ok {
		b.attach(res)
	}
	if had {
		b.rerank(old.RacerID)
	}
	if ok && (!had || old.RacerID != res.RacerID) {
		b.rerank(res.RacerID)
	}
}

// RemoveRace removes whatever race raceID contributes (a no-op for a race
// the board does not hold).
func (b *Board) RemoveRace(raceID string) {
	old, had := b.races[raceID]
	if !had {
		return
	}
	b.detach(old)
	b.rerank(old.RacerID)
}

// SetDisqualified takes a racer off the ranking (dq) or puts them back.
// The board keeps a disqualified racer's races and the flag itself, so
// races set later stay off the board and requalifying restores their best
// result.
func (b *Board) SetDisqualified(racerID string, dq bool) {
	s := b.racers[racerID]
	if s == nil {
		if !dq {
			return
		}
		s = &racerStanding{}
		b.racers[racerID] = s
	}
	s.disqualified = dq
	b.rerank(racerID)
}

// Disqualified reports whether the board holds racerID as disqualified.
func (b *Board) Disqualified(racerID string) bool {
	s := b.racers[racerID]
	return s != nil && s.disqualified
}

// Len is the number of ranked racers.
func (b *Board) Len() int { return b.order.Len() }

// Top is the first n entries in rank order (fewer when fewer racers rank).
func (b *Board) Top(n int) []Entry {
	n = max(0, min(n, b.order.Len()))
	top := make([]Entry, 0, n)
	if n == 0 {
		return top
	}
	b.Range(func(e Entry) bool {
		top = append(top, e)
		return len(top) < n
	})
	return top
}

// Rank is racerID's entry; false when the racer is not ranked (no
// submitted result, or disqualified).
func (b *Board) Rank(racerID string) (Entry, bool) {
	s := b.racers[racerID]
	if s == nil || !s.ranked {
		return Entry{}, false
	}
	pos := b.order.CountLess(&s.best)
	// The smallest possible key with this Value: everything before it has
	// a strictly smaller Value.
	probe := Result{Value: s.best.Value}
	first := b.order.CountLess(&probe)
	return Entry{Rank: first + 1, Result: s.best, Tie: pos > first}, true
}

// Range calls fn with every entry in rank order until fn returns false.
// fn must not change the board.
func (b *Board) Range(fn func(Entry) bool) {
	var prev Entry
	b.order.Ascend(0, func(i int, r *Result) bool {
		e := Entry{Rank: i + 1, Result: *r}
		if i > 0 && r.Value == prev.Value {
			e.Rank, e.Tie = prev.Rank, true
		}
		prev = e
		return fn(e)
	})
}

// attach records res as its race's contribution to its racer.
func (b *Board) attach(res Result) {
	b.races[res.RaceID] = res
	s := b.racers[res.RacerID]
	if s == nil {
		s = &racerStanding{}
		b.racers[res.RacerID] = s
	}
	s.results = append(s.results, res)
}

// detach removes res, the current contribution of its race.
func (b *Board) detach(res Result) {
	delete(b.races, res.RaceID)
	s := b.racers[res.RacerID]
	for i, r := range s.results {
		if r.RaceID == res.RaceID {
			last := len(s.results) - 1
			s.results[i] = s.results[last]
			s.results[last] = Result{}
			s.results = s.results[:last]
			return
		}
	}
}

// rerank picks racerID's best result again and moves their entry in the
// order to match, dropping the racer when nothing is left to remember.
func (b *Board) rerank(racerID string) {
	s := b.racers[racerID]
	if s == nil {
		return
	}
	var best Result
	for i, r := range s.results {
		if i == 0 || compareOwn(&r, &best) < 0 {
			best = r
		}
	}
	want := len(s.results) > 0 && !s.disqualified
	if s.ranked && (!want || best != s.best) {
		b.order.Delete(&s.best)
		s.ranked, s.best = false, Result{}
	}
	if want && !s.ranked {
		s.ranked, s.best = true, best
		b.order.Insert(&s.best)
	}
	if len(s.results) == 0 && !s.disqualified {
		delete(b.racers, racerID)
	}
}

// compareRanked orders the board: Value, then Seq (earlier first), then
// RacerID so that the order is total.
func compareRanked(a, b *Result) int {
	if c := cmp.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
		return c
	}
	return strings.Compare(a.RacerID, b.RacerID)
}

// compareOwn orders one racer's results the same way, with RaceID as the
// last word, so their best is the one they would rank with.
func compareOwn(a, b *Result) int {
	if c := cmp.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
		return c
	}
	return strings.Compare(a.RaceID, b.RaceID)
}
