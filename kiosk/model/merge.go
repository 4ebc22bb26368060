package model

import (
	"fmt"
	"sort"

	"pitwall/mqtt"
)

// Ranked is a board's ranked entries, best first, with Track filled in.
type Ranked struct {
	Ranking  string // best-lap | best-average | total-time
	RankLaps int
	Entries  []mqtt.StandingsEntry
	// Tracks that contributed at least one entry, in display order.
	Tracks []string
	// Excluded are tracks left out of a combined board because they rank
	// differently from the first track (results of different rankings
	// cannot be compared).
	Excluded []string
}

// TrackStandings is one track's standings, an input of Merge.
type TrackStandings struct {
	Track     string
	Standings *mqtt.Standings
}

// Merge combines tracks, given in display order, into one board. A racer
// (by racer_id) appears once, with their best result across the tracks:
// the lower result_ms wins; on equal results the track listed first wins,
// so the outcome never depends on arrival order. Ranks are recomputed as a
// competition ranking ("1, 2, 2, 4") on result_ms, the resolution the
// tracks publish: results equal to the millisecond tie, even when one
// track's own ranking (to the nanosecond) separates them. Equal results
// keep the order of the track listed first, then the track's own order.
//
// The first track with entries sets the ranking; tracks ranking by another
// method or lap count are left out and listed in Excluded.
func Merge(tracks []TrackStandings) Ranked {
	var out Ranked
	ref := -1
	for i, t := range tracks {
		if t.Standings != nil && len(t.Standings.Entries) > 0 {
			ref = i
			out.Ranking, out.RankLaps = t.Standings.Ranking, t.Standings.RankLaps
			break
		}
	}
	if ref < 0 {
		if len(tracks) > 0 && tracks[0].Standings != nil {
			out.Ranking, out.RankLaps = tracks[0].Standings.Ranking, tracks[0].Standings.RankLaps
		}
		return out
	}
	type candidate struct {
		entry      mqtt.StandingsEntry
		track, pos int
	}
	best := map[string]int{} // racer id → index in cands
	var cands []candidate
	for ti, t := range tracks {
		s := t.Standings
		if s == nil || len(s.Entries) == 0 {
			continue
		}
		if s.Ranking != out.Ranking || s.RankLaps != out.RankLaps {
			out.Excluded = append(out.Excluded, t.Track)
			continue
		}
		out.Tracks = append(out.Tracks, t.Track)
		for pos, e := range s.Entries {
			e.Track = t.Track
			c := candidate{entry: e, track: ti, pos: pos}
			if i, ok := best[e.RacerID]; ok {
				// Strictly better only: the track listed first keeps a tie.
				if e.ResultMS < cands[i].entry.ResultMS {
					cands[i] = c
				}
				continue
			}
			best[e.RacerID] = len(cands)
			cands = append(cands, c)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.entry.ResultMS != b.entry.ResultMS {
			return a.entry.ResultMS < b.entry.ResultMS
		}
		if a.track != b.track {
			return a.track < b.track
		}
		return a.pos < b.pos
	})
	out.Entries = make([]mqtt.StandingsEntry, len(cands))
	for i, c := range cands {
		e := c.entry
		e.Rank, e.Tie = i+1, false
		if i > 0 && e.ResultMS == out.Entries[i-1].ResultMS {
			e.Rank, e.Tie = out.Entries[i-1].Rank, true
		}
		out.Entries[i] = e
	}
	return out
}

// single is one track's board as the track ranked it (its ranks and ties
// are authoritative), with Track filled in.
func single(track string, s *mqtt.Standings) Ranked {
	out := Ranked{}
	if s == nil {
		return out
	}
	out.Ranking, out.RankLaps = s.Ranking, s.RankLaps
	out.Entries = make([]mqtt.StandingsEntry, len(s.Entries))
	for i, e := range s.Entries {
		e.Track = track
		out.Entries[i] = e
	}
	if len(s.Entries) > 0 {
		out.Tracks = []string{track}
	}
	return out
}

// RankingCaption is the result column's caption for a ranking, as the
// display draws it: "BEST LAP", "BEST AVG OF 3", "TOTAL 5 LAPS".
func RankingCaption(ranking string, laps int) string {
	switch ranking {
	case "best-lap", "":
		return "BEST LAP"
	case "best-average":
		return fmt.Sprintf("BEST AVG OF %d", laps)
	case "total-time":
		return fmt.Sprintf("TOTAL %d LAPS", laps)
	}
	return "RESULT"
}
