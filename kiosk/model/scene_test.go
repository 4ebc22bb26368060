package model

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"pitwall/display"
	"pitwall/mqtt"
)

var t0 = time.Date(2026, 3, 14, 14, 2, 0, 0, time.UTC)

func newTestScene(cfg SceneConfig) *Scene {
	cfg.Location = time.UTC
	return NewScene(cfg, t0)
}

func apply(t *testing.T, s *Scene, m Message) {
	t.Helper()
	if _, err := s.Apply(m); err != nil {
		t.Fatal(err)
	}
}

// boardRows renders rows as "rank name result [tie] [hl] [±n]".
func boardRows(rows []display.Row) []string {
	var out []string
	for _, r := range rows {
		s := fmt.Sprintf("%d %s %d", r.Rank, strings.TrimPrefix(r.Name, "Racer "), r.Result.Milliseconds())
		if r.Tie {
			s += " tie"
		}
		if r.Highlight > 0 {
			s += " hl"
		}
		if r.RankChange != 0 {
			s += fmt.Sprintf(" %+d", r.RankChange)
		}
		out = append(out, s)
	}
	return out
}

// TestHighlights: table of successive standings snapshots of one or two
// tracks and the combined board rows after the last one.
func TestHighlights(t *testing.T) {
	type snap struct {
		track   string
		entries []mqtt.StandingsEntry
	}
	for _, tc := range []struct {
		name  string
		snaps []snap
		want  []string
	}{
		{
			name:  "first snapshot is a baseline",
			snaps: []snap{{"1", ranked(e(0, "a", 9000), e(0, "b", 9500))}},
			want:  []string{"1 a 9000", "2 b 9500"},
		},
		{
			name: "a new racer is highlighted without a rank change",
			snaps: []snap{
				{"1", ranked(e(0, "a", 9000))},
				{"1", ranked(e(0, "a", 9000), e(0, "b", 9500))},
			},
			want: []string{"1 a 9000", "2 b 9500 hl"},
		},
		{
			name: "an improvement climbing two places",
			snaps: []snap{
				{"1", ranked(e(0, "a", 9000), e(0, "b", 9500), e(0, "c", 9900))},
				{"1", ranked(e(0, "c", 8800), e(0, "a", 9000), e(0, "b", 9500))},
			},
			want: []string{"1 c 8800 hl +2", "2 a 9000", "3 b 9500"},
		},
		{
			name: "an improvement keeping its place",
			snaps: []snap{
				{"1", ranked(e(0, "a", 9000), e(0, "b", 9500))},
				{"1", ranked(e(0, "a", 9000), e(0, "b", 9200))},
			},
			want: []string{"1 a 9000", "2 b 9200 hl"},
		},
		{
			name: "a worse result (a correction) is not highlighted",
			snaps: []snap{
				{"1", ranked(e(0, "a", 9000), e(0, "b", 9500))},
				{"1", ranked(e(0, "b", 9500), e(0, "a", 9900))},
			},
			want: []string{"1 b 9500", "2 a 9900"},
		},
		{
			name: "a tie arriving",
			snaps: []snap{
				{"1", ranked(e(0, "a", 9000), e(0, "b", 9500))},
				{"1", ranked(e(0, "a", 9000), e(0, "c", 9000), e(0, "b", 9500))},
			},
			want: []string{"1 a 9000", "1 c 9000 tie hl", "3 b 9500"},
		},
		{
			name: "improving on another track but not beating the own best there",
			snaps: []snap{
				{"1", ranked(e(0, "x", 8000))},
				{"2", ranked(e(0, "x", 9900), e(0, "y", 9950))},
				{"2", ranked(e(0, "x", 9000), e(0, "y", 9950))},
			},
			want: []string{"1 x 8000", "2 y 9950"},
		},
		{
			name: "a second track's first snapshot is a baseline too",
			snaps: []snap{
				{"1", ranked(e(0, "a", 9000))},
				{"2", ranked(e(0, "b", 8000))},
			},
			want: []string{"1 b 8000", "2 a 9000"},
		},
		{
			name: "a new best on the second track",
			snaps: []snap{
				{"1", ranked(e(0, "a", 9000))},
				{"2", ranked(e(0, "b", 9500))},
				{"2", ranked(e(0, "b", 8500))},
			},
			want: []string{"1 b 8500 hl +1", "2 a 9000"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScene(SceneConfig{Title: "T"})
			seq := map[string]uint64{}
			for i, sn := range tc.snaps {
				seq[sn.track]++
				apply(t, s, standingsMsg(t, standings(sn.track, seq[sn.track], sn.entries...), t0.Add(time.Duration(i)*time.Second)))
			}
			now := t0.Add(time.Duration(len(tc.snaps)-1) * time.Second)
			b := s.Board(now, now, true)
			if got := boardRows(b.Rows); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestHighlightFades(t *testing.T) {
	s := newTestScene(SceneConfig{HighlightFor: 12 * time.Second})
	apply(t, s, standingsMsg(t, standings("1", 1, ranked(e(0, "a", 9000))...), t0))
	apply(t, s, standingsMsg(t, standings("1", 2, ranked(e(0, "b", 8000), e(0, "a", 9000))...), t0))
	for _, tc := range []struct {
		after time.Duration
		want  float64
		tick  time.Duration
	}{
		{0, 1, LiveTick},
		{3 * time.Second, 0.75, LiveTick},
		{6 * time.Second, 0.5, LiveTick},
		{11*time.Second + 400*time.Millisecond, 0.05, LiveTick},
		{12 * time.Second, 0, IdleTick},
		{time.Hour, 0, IdleTick},
	} {
		now := t0.Add(tc.after)
		b := s.Board(now, now, false)
		if got := b.Rows[0].Highlight; math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("after %v: highlight %v, want %v", tc.after, got, tc.want)
		}
		if tc.want == 0 && b.Rows[0].RankChange != 0 {
			t.Errorf("after %v: rank change %d still shown", tc.after, b.Rows[0].RankChange)
		}
		if got := s.TickEvery(now); got != tc.tick {
			t.Errorf("after %v: tick %v, want %v", tc.after, got, tc.tick)
		}
	}
}

// many returns n ranked racers r01..rn with results 9000, 9010, ...
func many(n int) []mqtt.StandingsEntry {
	var out []mqtt.StandingsEntry
	for i := 1; i <= n; i++ {
		out = append(out, e(0, fmt.Sprintf("r%02d", i), int64(9000+10*i)))
	}
	return ranked(out...)
}

func TestFooter(t *testing.T) {
	withNew := func(id string, ms int64) []mqtt.StandingsEntry {
		es := append(many(25), e(0, id, ms))
		sort.SliceStable(es, func(i, j int) bool { return es[i].ResultMS < es[j].ResultMS })
		return ranked(es...)
	}
	for _, tc := range []struct {
		name  string
		focus string
		next  []mqtt.StandingsEntry
		want  string // footer "rank name", "" for none
	}{
		{"no change, no focus", "", many(25), ""},
		{"a change outside the top 20", "", withNew("new", 99999), "26 new hl"},
		{"a change inside the top 20", "", withNew("new", 1), ""},
		{"focus outside the top 20", "r23", many(25), "23 r23"},
		{"focus inside the top 20 leaves the footer to changes", "r03", withNew("new", 99999), "26 new hl"},
		{"focus wins over a change", "r22", withNew("new", 99999), "22 r22"},
		{"focus not on the board", "nobody", many(25), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScene(SceneConfig{Focus: tc.focus})
			apply(t, s, standingsMsg(t, standings("1", 1, many(25)...), t0))
			apply(t, s, standingsMsg(t, standings("1", 2, tc.next...), t0))
			b := s.Board(t0, t0, false)
			if len(b.Rows) != display.MaxRows {
				t.Fatalf("%d rows, want %d", len(b.Rows), display.MaxRows)
			}
			got := ""
			if b.Footer != nil {
				got = boardRows([]display.Row{*b.Footer})[0]
				got = strings.Replace(got, fmt.Sprintf(" %d", b.Footer.Result.Milliseconds()), "", 1)
			}
			if got != tc.want {
				t.Fatalf("footer %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLiveStrip(t *testing.T) {
	rs := &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 3}, Race: &mqtt.LiveRace{
		ID: "r1", RacerID: "a", Name: "Ada", State: "running", Running: true,
		DurationMS: 180_000, ElapsedMS: 60_000, LapElapsedMS: 4_000, Resets: 1, BestMS: 9_876,
		Laps: []mqtt.LapInfo{{No: 1, TimeMS: 9876, Valid: true}, {No: 2, TimeMS: 700, Short: true}, {No: 3, TimeMS: 10100, Valid: true}},
	}}
	for _, tc := range []struct {
		name      string
		after     time.Duration
		offline   bool
		paused    bool
		left, lap time.Duration
		tick      time.Duration
	}{
		{"as received", 0, false, false, 120 * time.Second, 4 * time.Second, LiveTick},
		{"extrapolated", 2500 * time.Millisecond, false, false, 117500 * time.Millisecond, 6500 * time.Millisecond, LiveTick},
		{"time left stops at zero", 10 * time.Minute, false, false, 0, 604 * time.Second, LiveTick},
		{"paused does not run", 5 * time.Second, false, true, 120 * time.Second, 4 * time.Second, IdleTick},
		{"trackside offline freezes", 5 * time.Second, true, false, 120 * time.Second, 4 * time.Second, IdleTick},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScene(SceneConfig{})
			r := *rs
			lr := *rs.Race
			r.Race = &lr
			if tc.paused {
				lr.Running, lr.State = false, "paused"
			}
			apply(t, s, msg(t, mqtt.TrackRace("1"), &r, t0))
			if tc.offline {
				apply(t, s, msg(t, mqtt.TrackStatus("1"), &mqtt.Status{Header: mqtt.Header{Track: "1"}, Online: false}, t0))
			}
			now := t0.Add(tc.after)
			b := s.Board(now, now, false)
			if len(b.Live) != 1 {
				t.Fatalf("%d live strips, want 1", len(b.Live))
			}
			l := b.Live[0]
			if l.Left != tc.left || l.Lap != tc.lap || l.Racer != "Ada" || l.Laps != 2 || l.Best != 9876*time.Millisecond || l.Resets != 1 || l.Track != "TRACK 1" {
				t.Fatalf("strip %+v, want left %v lap %v", l, tc.left, tc.lap)
			}
			wantState := map[bool]string{false: "RACING", true: "PAUSED"}[tc.paused]
			if l.State != wantState {
				t.Fatalf("state %q, want %q", l.State, wantState)
			}
			if got := s.TickEvery(now); got != tc.tick {
				t.Fatalf("tick %v, want %v", got, tc.tick)
			}
		})
	}
}

func TestNoRaceStrip(t *testing.T) {
	s := newTestScene(SceneConfig{})
	apply(t, s, msg(t, mqtt.TrackRace("1"), &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 1}, Queue: []string{"Bo"}}, t0))
	b := s.Board(t0, t0, false)
	if len(b.Live) != 1 || b.Live[0].Racer != "" {
		t.Fatalf("strips %+v, want one with no racer", b.Live)
	}
}

func TestNotices(t *testing.T) {
	off := func(track string) Message {
		return msg(t, mqtt.TrackStatus(track), &mqtt.Status{Header: mqtt.Header{Track: track, Boot: "x-1"}}, t0)
	}
	on := func(track string) Message {
		return msg(t, mqtt.TrackStatus(track), &mqtt.Status{Header: mqtt.Header{Track: track, Boot: "x-1", Seq: 1}, Online: true}, t0)
	}
	for _, tc := range []struct {
		name   string
		setup  func(s *Scene)
		after  time.Duration
		synced bool
		want   []string
	}{
		{"connected, all online", func(s *Scene) { s.SetConnected(t0) }, time.Minute, true, nil},
		{"broker never answered, within the grace", func(s *Scene) {}, 2 * time.Second, true, nil},
		{"broker never answered, clock synced", func(s *Scene) {}, time.Minute, true, []string{"offline since 14:02"}},
		{"broker never answered, last contact from the cache", func(s *Scene) { s.SetLastContact(t0.Add(-90 * time.Minute)) }, time.Minute, true, []string{"offline since 12:32"}},
		{"broker never answered, clock not synced", func(s *Scene) {}, 5 * time.Minute, false, []string{"offline for 5 min"}},
		{"broker lost after contact", func(s *Scene) { s.SetConnected(t0); s.SetDisconnected(t0.Add(10 * time.Minute)) }, 20 * time.Minute, true, []string{"offline since 14:12"}},
		{"broker lost, not synced, seconds", func(s *Scene) { s.SetConnected(t0); s.SetDisconnected(t0) }, 40 * time.Second, false, []string{"offline for 40 s"}},
		{"broker lost for hours", func(s *Scene) { s.SetConnected(t0); s.SetDisconnected(t0) }, 125 * time.Minute, false, []string{"offline for 2 h 5 min"}},
		{"reconnected", func(s *Scene) { s.SetConnected(t0); s.SetDisconnected(t0); s.SetConnected(t0.Add(time.Minute)) }, 2 * time.Minute, true, nil},
		{"a trackside offline", func(s *Scene) { s.SetConnected(t0); apply(t, s, on("1")); apply(t, s, off("2")) }, time.Minute, true, []string{"track 2 offline"}},
		{"both", func(s *Scene) { apply(t, s, off("2")) }, time.Minute, true, []string{"offline since 14:02", "track 2 offline"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScene(SceneConfig{})
			tc.setup(s)
			now := t0.Add(tc.after)
			b := s.Board(now, now, tc.synced)
			if fmt.Sprint(b.Notices) != fmt.Sprint(tc.want) {
				t.Fatalf("notices %q, want %q", b.Notices, tc.want)
			}
		})
	}
}

func TestExcludedTrackNotice(t *testing.T) {
	s := newTestScene(SceneConfig{})
	s.SetConnected(t0)
	apply(t, s, standingsMsg(t, standings("1", 1, ranked(e(0, "a", 9000))...), t0))
	avg := standings("2", 1, ranked(e(0, "b", 9000))...)
	avg.Ranking, avg.RankLaps = "total-time", 5
	apply(t, s, standingsMsg(t, avg, t0))
	b := s.Board(t0, t0, true)
	if fmt.Sprint(b.Notices) != "[track 2 ranks by total 5 laps: not merged]" || len(b.Rows) != 1 {
		t.Fatalf("notices %q rows %v", b.Notices, boardRows(b.Rows))
	}
}

func TestBoardHeader(t *testing.T) {
	s := newTestScene(SceneConfig{Title: "Summit"})
	b := s.Board(t0, t0, false)
	if b.Clock != "" {
		t.Fatalf("clock %q shown while the wall clock is not synced", b.Clock)
	}
	if len(b.Rows) != 0 || b.Footer != nil || len(b.Live) != 0 || b.Title != "Summit" || b.Ranking != "BEST LAP" {
		t.Fatalf("empty board %+v", b)
	}
	if b := s.Board(t0, t0, true); b.Clock != "14:02" {
		t.Fatalf("clock %q, want 14:02", b.Clock)
	}
	avg := standings("1", 1, ranked(e(0, "a", 9000), e(0, "b", 9500))...)
	avg.Ranking, avg.RankLaps = "best-average", 3
	avg.Entries[0].BestMS = 8765
	apply(t, s, standingsMsg(t, avg, t0))
	b = s.Board(t0, t0, true)
	if b.Ranking != "BEST AVG OF 3" || b.ExtraCaption != "BEST LAP" || b.Rows[0].Extra != "8.765" || b.Rows[1].Gap != 500*time.Millisecond || b.Rows[0].Gap != 0 {
		t.Fatalf("best-average board %+v", b)
	}
	if b.Rows[0].Track != "" {
		t.Fatalf("track column %q filled with one track", b.Rows[0].Track)
	}
}

func TestTrackColumnAndBoards(t *testing.T) {
	s := newTestScene(SceneConfig{Title: "T", Boards: []string{BoardCombined, "2"}, RotateEvery: 10 * time.Second})
	apply(t, s, standingsMsg(t, standings("1", 1, ranked(e(0, "a", 9000))...), t0))
	apply(t, s, standingsMsg(t, standings("2", 1, ranked(e(0, "b", 9500))...), t0))
	b := s.Board(t0, t0, false)
	if len(b.Rows) != 2 || b.Rows[0].Track != "1" || b.Rows[1].Track != "2" || b.Title != "T" {
		t.Fatalf("combined board %+v", b)
	}
	if got := s.Shows(t0); got != "combined (tracks 1, 2): 2 racers; rotating 2 boards" {
		t.Fatalf("shows %q", got)
	}
	later := t0.Add(11 * time.Second)
	b = s.Board(later, later, false)
	if len(b.Rows) != 1 || b.Rows[0].Name != "Racer b" || b.Rows[0].Track != "" || b.Title != "T — Track 2" {
		t.Fatalf("track 2 board %+v", b)
	}
	if got := s.Shows(later); got != "track 2: 1 racers; rotating 2 boards" {
		t.Fatalf("shows %q", got)
	}
	if s.Current(t0.Add(21*time.Second)) != BoardCombined {
		t.Fatal("rotation does not come back to the combined board")
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 s", 59 * time.Second: "59 s", time.Minute: "1 min", 59*time.Minute + 59*time.Second: "59 min",
		time.Hour: "1 h 0 min", 25*time.Hour + 3*time.Minute: "25 h 3 min",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestNextUpAndQR: the queue of a track's race state is named under its
// strip ("NEXT: …"), the first three and how many more; the configured
// public URL goes on the board as its QR code.
func TestNextUpAndQR(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := NewScene(SceneConfig{Title: "Cup", QR: "http://10.0.0.9:8081/"}, t0)
	apply(t, s, msg(t, mqtt.TrackRace("1"), &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 1},
		Race:  &mqtt.LiveRace{ID: "r", RacerID: "a", Name: "Ann", State: "running", Running: true, DurationMS: 60000},
		Queue: []string{"Bob", "Zoë", "Dan", "Eve"}}, t0))
	apply(t, s, msg(t, mqtt.TrackRace("2"), &mqtt.RaceState{Header: mqtt.Header{Track: "2", Seq: 1}, Queue: []string{"Fay"}}, t0))
	apply(t, s, msg(t, mqtt.TrackRace("3"), &mqtt.RaceState{Header: mqtt.Header{Track: "3", Seq: 1}}, t0))
	b := s.Board(t0, t0, false)
	if b.QR != "http://10.0.0.9:8081/" {
		t.Errorf("QR %q", b.QR)
	}
	var got []string
	for _, l := range b.Live {
		got = append(got, l.Next)
	}
	if want := []string{"Bob · Zoë · Dan +1", "Fay", ""}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("next up %q, want %q", got, want)
	}
}
