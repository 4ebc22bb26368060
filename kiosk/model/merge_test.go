package model

import (
	"fmt"
	"strings"
	"testing"

	"pitwall/mqtt"
)

// row renders a merged entry compactly for table comparisons:
// "rank racer result track [tie]".
func row(x mqtt.StandingsEntry) string {
	s := fmt.Sprintf("%d %s %d %s", x.Rank, x.RacerID, x.ResultMS, x.Track)
	if x.Tie {
		s += " tie"
	}
	return s
}

func TestMerge(t *testing.T) {
	bestAvg := func(s *mqtt.Standings) *mqtt.Standings { s.Ranking, s.RankLaps = "best-average", 3; return s }
	for _, tc := range []struct {
		name     string
		tracks   []TrackStandings
		want     []string
		excluded []string
		ranking  string
	}{
		{
			name: "no tracks",
		},
		{
			name:    "one track keeps its order",
			tracks:  []TrackStandings{{"1", standings("1", 1, ranked(e(0, "a", 9000), e(0, "b", 9500))...)}},
			want:    []string{"1 a 9000 1", "2 b 9500 1"},
			ranking: "best-lap",
		},
		{
			name: "interleaved tracks",
			tracks: []TrackStandings{
				{"1", standings("1", 5, ranked(e(0, "a", 9000), e(0, "c", 11000))...)},
				{"2", standings("2", 7, ranked(e(0, "b", 10000), e(0, "d", 12000))...)},
			},
			want:    []string{"1 a 9000 1", "2 b 10000 2", "3 c 11000 1", "4 d 12000 2"},
			ranking: "best-lap",
		},
		{
			name: "racer on two tracks appears once with the better result",
			tracks: []TrackStandings{
				{"1", standings("1", 1, ranked(e(0, "a", 9000), e(0, "x", 12000))...)},
				{"2", standings("2", 1, ranked(e(0, "x", 8000), e(0, "b", 10000))...)},
			},
			want:    []string{"1 x 8000 2", "2 a 9000 1", "3 b 10000 2"},
			ranking: "best-lap",
		},
		{
			name: "equal result of one racer on two tracks: first track wins",
			tracks: []TrackStandings{
				{"2", standings("2", 9, ranked(e(0, "x", 9000))...)},
				{"1", standings("1", 1, ranked(e(0, "x", 9000))...)},
			},
			want:    []string{"1 x 9000 2"},
			ranking: "best-lap",
		},
		{
			name: "ties across tracks share a rank: 1, 2, 2, 4",
			tracks: []TrackStandings{
				{"1", standings("1", 1, ranked(e(0, "a", 9000), e(0, "c", 9500))...)},
				{"2", standings("2", 1, ranked(e(0, "b", 9500), e(0, "d", 9900))...)},
			},
			want:    []string{"1 a 9000 1", "2 c 9500 1", "2 b 9500 2 tie", "4 d 9900 2"},
			ranking: "best-lap",
		},
		{
			name: "three-way tie then next rank skips",
			tracks: []TrackStandings{
				{"a", standings("a", 1, ranked(e(0, "p", 9000), e(0, "q", 9000))...)},
				{"b", standings("b", 1, ranked(e(0, "r", 9000), e(0, "s", 9001))...)},
			},
			want:    []string{"1 p 9000 a", "1 q 9000 a tie", "1 r 9000 b tie", "4 s 9001 b"},
			ranking: "best-lap",
		},
		{
			name: "a track with another ranking is left out",
			tracks: []TrackStandings{
				{"1", standings("1", 1, ranked(e(0, "a", 9000))...)},
				{"2", bestAvg(standings("2", 1, ranked(e(0, "b", 8000))...))},
			},
			want:     []string{"1 a 9000 1"},
			excluded: []string{"2"},
			ranking:  "best-lap",
		},
		{
			name: "an empty first track does not set the ranking",
			tracks: []TrackStandings{
				{"1", standings("1", 1)},
				{"2", bestAvg(standings("2", 1, ranked(e(0, "b", 8000))...))},
			},
			want:    []string{"1 b 8000 2"},
			ranking: "best-average",
		},
		{
			name: "a track without standings is skipped",
			tracks: []TrackStandings{
				{"1", nil},
				{"2", standings("2", 1, ranked(e(0, "b", 8000))...)},
			},
			want:    []string{"1 b 8000 2"},
			ranking: "best-lap",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Merge(tc.tracks)
			var rows []string
			for _, x := range got.Entries {
				rows = append(rows, row(x))
			}
			if strings.Join(rows, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(tc.want, "\n"))
			}
			if fmt.Sprint(got.Excluded) != fmt.Sprint(tc.excluded) {
				t.Errorf("excluded %v, want %v", got.Excluded, tc.excluded)
			}
			if got.Ranking != tc.ranking {
				t.Errorf("ranking %q, want %q", got.Ranking, tc.ranking)
			}
		})
	}
}

// TestMergeIsOrderIndependentOfArrival: the merged board depends on the
// tracks' display order only, never on which message came first, and
// merging does not modify its inputs.
func TestMergeDoesNotTouchInputs(t *testing.T) {
	s1 := standings("1", 1, ranked(e(0, "x", 9000))...)
	s2 := standings("2", 1, ranked(e(0, "x", 8000))...)
	Merge([]TrackStandings{{"1", s1}, {"2", s2}})
	if s1.Entries[0].Track != "" || s2.Entries[0].Track != "" || s2.Entries[0].Rank != 1 {
		t.Fatalf("Merge modified its inputs: %+v %+v", s1.Entries, s2.Entries)
	}
}

func TestSingleKeepsTrackRanks(t *testing.T) {
	// A track separates results equal to the millisecond by nanoseconds;
	// its own board keeps that ranking.
	s := standings("1", 1, e(1, "a", 9000), e(2, "b", 9000))
	got := single("1", s)
	if got.Entries[1].Rank != 2 || got.Entries[1].Tie || got.Entries[1].Track != "1" {
		t.Fatalf("single board %+v", got.Entries)
	}
}

func TestRankingCaption(t *testing.T) {
	for _, tc := range []struct {
		ranking string
		laps    int
		want    string
	}{
		{"best-lap", 0, "BEST LAP"},
		{"best-average", 3, "BEST AVG OF 3"},
		{"total-time", 5, "TOTAL 5 LAPS"},
		{"something-new", 2, "RESULT"},
	} {
		if got := RankingCaption(tc.ranking, tc.laps); got != tc.want {
			t.Errorf("RankingCaption(%q, %d) = %q, want %q", tc.ranking, tc.laps, got, tc.want)
		}
	}
}
