package model

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"pitwall/mqtt"
)

const forgedSeq = math.MaxInt64 // 2^63-1

func raceMsg(t testing.TB, track string, seq uint64, epoch string, epochAt int64, retained bool) Message {
	m := msg(t, mqtt.TrackRace(track), &mqtt.RaceState{Header: mqtt.Header{Track: track, Boot: "b-1", Seq: seq, Epoch: epoch, EpochAt: epochAt}}, time.Now())
	m.Retained = retained
	return m
}

func standingsSeq(t testing.TB, track string, seq uint64, epoch string, epochAt int64, racer string) Message {
	s := standings(track, seq, ranked(e(0, racer, 9000))...)
	s.Epoch, s.EpochAt = epoch, epochAt
	return standingsMsg(t, s, time.Now())
}

func shownRacer(in *Inputs, track string) string {
	ts := in.Track(track)
	if ts == nil || ts.Standings == nil || len(ts.Standings.Entries) == 0 {
		return ""
	}
	return ts.Standings.Entries[0].RacerID
}

func mustApply(t *testing.T, in *Inputs, m Message) Update {
	t.Helper()
	u, err := in.Apply(m)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestForgedSeqAfterRealState: a standings message with seq 2^63-1 is held
// back (not shown), and the real stream that continues at low seqs is
// still taken.
func TestForgedSeqAfterRealState(t *testing.T) {
	in := NewInputs(nil)
	mustApply(t, in, standingsSeq(t, "1", 10, "e1", 0, "real1"))
	mustApply(t, in, raceMsg(t, "1", 11, "e1", 0, true))
	u := mustApply(t, in, standingsSeq(t, "1", forgedSeq, "e1", 0, "forged"))
	if !u.HeldBack || u.Changed || shownRacer(in, "1") != "real1" {
		t.Fatalf("forged seq: update %+v, shows %q", u, shownRacer(in, "1"))
	}
	// The broker delivering the same forged message again corroborates
	// nothing.
	if u := mustApply(t, in, standingsSeq(t, "1", forgedSeq, "e1", 0, "forged")); u.Changed || shownRacer(in, "1") != "real1" {
		t.Fatalf("repeated forged seq: update %+v, shows %q", u, shownRacer(in, "1"))
	}
	for i, seq := range []uint64{12, 14, 15} {
		racer := fmt.Sprintf("real%d", i+2)
		if u := mustApply(t, in, standingsSeq(t, "1", seq, "e1", 0, racer)); !u.Changed || shownRacer(in, "1") != racer {
			t.Fatalf("real seq %d after the forged one: update %+v, shows %q", seq, u, shownRacer(in, "1"))
		}
	}
	if got := string(in.Track(in.Order()[0]).Raw[KindStandings]); !strings.Contains(got, `"real4"`) {
		t.Fatalf("cache holds %s", got)
	}
}

// TestForgedSeqFirst: when the forged message is the first one held (a
// kiosk that starts while the broker retains it, or a cache written by an
// older build), two distinct real snapshots far below it drop it, and the
// real standings are taken.
func TestForgedSeqFirst(t *testing.T) {
	in := NewInputs(nil)
	mustApply(t, in, standingsSeq(t, "1", forgedSeq, "e1", 0, "forged"))
	mustApply(t, in, raceMsg(t, "1", 1000, "e1", 0, true))
	if shownRacer(in, "1") != "forged" {
		t.Fatal("one snapshot below is not yet a contradiction")
	}
	u := mustApply(t, in, standingsSeq(t, "1", 1001, "e1", 0, "real"))
	if !u.Changed || !u.StandingsChanged || shownRacer(in, "1") != "real" {
		t.Fatalf("the stream continued below the forged seq: update %+v, shows %q", u, shownRacer(in, "1"))
	}
	if u.Previous == nil || u.Previous.Seq != forgedSeq {
		t.Fatalf("previous %+v", u.Previous)
	}
	// And the forged one, delivered again, is now held back.
	if u := mustApply(t, in, standingsSeq(t, "1", forgedSeq, "e1", 0, "forged")); !u.HeldBack || shownRacer(in, "1") != "real" {
		t.Fatalf("forged again: %+v, shows %q", u, shownRacer(in, "1"))
	}
}

// TestLegitimateJumpIsCorroborated: a kiosk that was away for long sees
// seqs far ahead of its cache; they are taken as soon as a second snapshot
// (the other kind, or the next of the same kind) agrees.
func TestLegitimateJumpIsCorroborated(t *testing.T) {
	far := uint64(10 + 3*seqJumpPayload)
	t.Run("other kind", func(t *testing.T) {
		in := NewInputs(nil)
		mustApply(t, in, standingsSeq(t, "1", 10, "e1", 0, "old"))
		if u := mustApply(t, in, standingsSeq(t, "1", far, "e1", 0, "new")); !u.HeldBack {
			t.Fatalf("far jump taken at once: %+v", u)
		}
		u := mustApply(t, in, raceMsg(t, "1", far+7, "e1", 0, true))
		if !u.Changed || !u.StandingsChanged || shownRacer(in, "1") != "new" || in.Track("1").Race == nil {
			t.Fatalf("corroborated: update %+v, shows %q", u, shownRacer(in, "1"))
		}
	})
	t.Run("next of the same kind", func(t *testing.T) {
		in := NewInputs(nil)
		mustApply(t, in, standingsSeq(t, "1", 10, "e1", 0, "old"))
		mustApply(t, in, standingsSeq(t, "1", far, "e1", 0, "new"))
		if u := mustApply(t, in, standingsSeq(t, "1", far+1, "e1", 0, "newer")); !u.Changed || shownRacer(in, "1") != "newer" {
			t.Fatalf("corroborated: update %+v, shows %q", u, shownRacer(in, "1"))
		}
	})
	t.Run("within the bound", func(t *testing.T) {
		in := NewInputs(nil)
		mustApply(t, in, standingsSeq(t, "1", 10, "e1", 0, "old"))
		if u := mustApply(t, in, standingsSeq(t, "1", 10+seqJumpPayload, "e1", 0, "new")); !u.Changed {
			t.Fatalf("a jump within the bound was not taken: %+v", u)
		}
	})
}

// TestForgedStatusSeq: the same for status (seq boot<<32 | n).
func TestForgedStatusSeq(t *testing.T) {
	in := NewInputs(nil)
	st := func(seq uint64, online bool) Message {
		return msg(t, mqtt.TrackStatus("1"), &mqtt.Status{Header: mqtt.Header{Track: "1", Boot: "b-3", Seq: seq, Epoch: "e1"}, Online: online}, time.Now())
	}
	mustApply(t, in, st(3<<32|1, true))
	if u := mustApply(t, in, st(forgedSeq, false)); !u.HeldBack || !in.Track("1").Status.Online {
		t.Fatalf("forged status taken: %+v", u)
	}
	if u := mustApply(t, in, st(3<<32|2, false)); !u.Changed || in.Track("1").Status.Online {
		t.Fatalf("real status after a forged one: %+v", u)
	}
	// A restart (next boot) is within the bound.
	if u := mustApply(t, in, st(4<<32|1, true)); !u.Changed {
		t.Fatalf("status of the next boot: %+v", u)
	}
}

// TestMixedEpochsDoNotFlap: whatever order a broker delivers the retained
// messages of an old and a new database in, the kiosk ends holding the new
// one's, and never goes back to the old one on the way.
func TestMixedEpochsDoNotFlap(t *testing.T) {
	const oldAt, newAt = 1_700_000_000_000, 1_700_000_500_000
	msgs := []Message{
		standingsSeq(t, "1", 900, "old", oldAt, "stale"),
		raceMsg(t, "1", 901, "old", oldAt, true),
		standingsSeq(t, "1", 4, "new", newAt, "fresh"),
		msg(t, mqtt.TrackStatus("1"), &mqtt.Status{Header: mqtt.Header{Track: "1", Boot: "c-1", Seq: 1<<32 | 1, Epoch: "new", EpochAt: newAt}, Online: true}, time.Now()),
	}
	permute(len(msgs), func(order []int) {
		in := NewInputs(nil)
		switched := 0
		for _, i := range order {
			before := in.tracks["1"]
			var epoch string
			if before != nil {
				epoch = before.epoch
			}
			mustApply(t, in, msgs[i])
			if now := in.tracks["1"].epoch; epoch != "" && now != epoch {
				switched++
				if now != "new" {
					t.Fatalf("order %v: switched back to epoch %q", order, now)
				}
			}
		}
		ts := in.Track("1")
		if switched > 1 || ts.epoch != "new" || shownRacer(in, "1") != "fresh" || ts.Race != nil || ts.Status == nil {
			t.Fatalf("order %v: %d switches, epoch %q, shows %q, race %+v", order, switched, ts.epoch, shownRacer(in, "1"), ts.Race)
		}
	})
}

// TestEpochWithoutCreationTime: with no creation time in a header, a
// retained message cannot displace the epoch held, a live one does.
func TestEpochWithoutCreationTime(t *testing.T) {
	in := NewInputs(nil)
	mustApply(t, in, standingsSeq(t, "1", 900, "old", 0, "stale"))
	if u := mustApply(t, in, raceMsg(t, "1", 3, "new", 0, true)); u.Changed {
		t.Fatalf("a retained message of another epoch without creation time switched: %+v", u)
	}
	if u := mustApply(t, in, raceMsg(t, "1", 4, "new", 0, false)); !u.Changed || in.Track("1").epoch != "new" || in.Track("1").Standings != nil {
		t.Fatalf("a live message of another epoch: %+v", u)
	}
	if u := mustApply(t, in, standingsSeq(t, "1", 901, "old", 0, "stale")); u.Changed {
		t.Fatalf("the old epoch came back: %+v", u)
	}
}

// TestTrackLimit: with no track list, forged track ids beyond max_tracks
// are ignored; the boards' tracks always have a place, and the cache holds
// at most max_tracks tracks.
func TestTrackLimit(t *testing.T) {
	s := NewScene(SceneConfig{MaxTracks: 4, Boards: []string{BoardCombined, "main"}}, time.Now())
	apply(t, s, standingsSeq(t, "early", 1, "e1", 0, "ada"))
	refused := 0
	for i := range 5000 {
		_, err := s.Apply(standingsSeq(t, fmt.Sprintf("f%04d", i), 1, "e1", 0, fmt.Sprintf("forged%d", i)))
		switch {
		case errors.Is(err, ErrTooManyTracks) && errors.Is(err, ErrIgnored):
			refused++
		case err != nil:
			t.Fatal(err)
		}
	}
	if refused != 5000-2 {
		t.Fatalf("%d forged tracks refused, want %d", refused, 5000-2)
	}
	// The configured board's track arrives last and still gets in.
	apply(t, s, standingsSeq(t, "main", 1, "e1", 0, "bo"))
	order := s.Inputs().Order()
	if len(order) != 4 || !strings.Contains(fmt.Sprint(order), "main") || !strings.Contains(fmt.Sprint(order), "early") {
		t.Fatalf("tracks held %v", order)
	}
	if n := len(s.Inputs().Order()); n != 4 {
		t.Fatalf("cache holds %d tracks", n)
	}
	// Known tracks keep updating.
	if u, err := s.Apply(standingsSeq(t, "early", 2, "e1", 0, "cy")); err != nil || !u.Changed {
		t.Fatalf("known track: changed %v, err %v", u.Changed, err)
	}
}

func permute(n int, fn func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			fn(append([]int(nil), p...))
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}
