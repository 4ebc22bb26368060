package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pitwall/display"
	"pitwall/kiosk/model"
	"pitwall/mqtt"
)

// searchLimit bounds the results of one search.
const searchLimit = 100

// overlayTop is how many leaders the overlay lists.
const overlayTop = 5

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

func lapTime(v int64) string {
	if v <= 0 {
		return "—"
	}
	return string(display.AppendLapTime(nil, ms(v)))
}

// signedGap is "+0.412", "-0.120" or "" for none.
func signedGap(v int64) string {
	switch {
	case v > 0:
		return string(display.AppendGap(nil, ms(v)))
	case v < 0:
		return "-" + string(display.AppendLapTime(nil, ms(-v)))
	}
	return "±0.000"
}

func racerURL(id string) string { return "/racer/" + url.PathEscape(id) }

// raceStates are the wire's race states as shown.
var raceStates = map[string]string{
	"ready": "Ready", "running": "Racing", "paused": "Paused", "over": "Finished",
	"submitted": "Submitted", "discarded": "Discarded",
}

// trackView is one track's race on track and queue.
type trackView struct {
	ID, Racer, RacerURL, State, StateClass string
	HasRace, Running, Offline              bool
	Laps, Resets                           int
	Best                                   string
	// LapMS and LeftMS are the clocks as of At (Unix ms); the page's
	// script runs them on while Running.
	LapMS, LeftMS, At int64
	Next              []string
	// NextShown are the first of Next, NextMore how many more.
	NextShown []string
	NextMore  int
}

// nextShown is how many queued racers the leaderboard page names.
const nextShown = 5

func trackViews(p *model.Snapshot) []trackView {
	out := make([]trackView, 0, len(p.Tracks))
	for _, t := range p.Tracks {
		tv := trackView{ID: t.ID, Offline: t.Offline, Next: t.Queue}
		tv.NextShown = t.Queue[:min(len(t.Queue), nextShown)]
		tv.NextMore = len(t.Queue) - len(tv.NextShown)
		if r := t.Race; r != nil {
			tv.HasRace = true
			tv.Racer, tv.RacerURL = r.Name, racerURL(r.RacerID)
			if tv.Racer == "" {
				tv.Racer = r.RacerID
			}
			tv.State = raceStates[r.State]
			if tv.State == "" {
				tv.State = r.State
			}
			tv.StateClass = r.State
			tv.Running = r.Running && !t.Offline
			tv.Resets = r.Resets
			tv.Best = lapTime(r.BestMS)
			for _, l := range r.Laps {
				if l.Valid {
					tv.Laps++
				}
			}
			tv.LapMS = r.LapElapsedMS
			tv.LeftMS = max(r.DurationMS-r.ElapsedMS, 0)
			tv.At = t.RaceAt.UnixMilli()
		}
		out = append(out, tv)
	}
	return out
}

// rowView is one leaderboard row.
type rowView struct {
	Rank                                int
	Tie                                 bool
	Name, URL, Result, Gap, Best, Track string
	Laps                                int
}

func rowOf(e, leader mqtt.StandingsEntry) rowView {
	r := rowView{Rank: e.Rank, Tie: e.Tie, Name: e.Name, URL: racerURL(e.RacerID), Result: lapTime(e.ResultMS),
		Best: lapTime(e.BestMS), Track: e.Track, Laps: e.Laps}
	if r.Name == "" {
		r.Name = e.RacerID
	}
	if g := e.ResultMS - leader.ResultMS; g > 0 {
		r.Gap = string(display.AppendGap(nil, ms(g)))
	}
	return r
}

// lapView is one lap of a run.
type lapView struct {
	No, Resets    int
	Time, Penalty string
	Valid, Best   bool
	Note          string
}

func lapViews(r *mqtt.LiveRace) []lapView {
	out := make([]lapView, 0, len(r.Laps))
	for _, l := range r.Laps {
		lv := lapView{No: l.No, Resets: l.Resets, Time: lapTime(l.TimeMS + l.PenaltyMS), Valid: l.Valid,
			Best: l.Valid && l.TimeMS+l.PenaltyMS == r.BestMS}
		if l.PenaltyMS > 0 {
			lv.Penalty = "+" + lapTime(l.PenaltyMS)
		}
		var notes []string
		for _, n := range []struct {
			on   bool
			text string
		}{{l.Deleted, "deleted"}, {l.DNF, "DNF"}, {l.Short, "short"}, {l.Manual, "manual"}, {l.Review, "under review"}} {
			if n.on {
				notes = append(notes, n.text)
			}
		}
		lv.Note = strings.Join(notes, ", ")
		out = append(out, lv)
	}
	return out
}

func validLaps(r *mqtt.LiveRace) int {
	n := 0
	for _, l := range r.Laps {
		if l.Valid {
			n++
		}
	}
	return n
}

// runView is one run of a racer seen by this kiosk.
type runView struct {
	Run          int
	Track, State string
	Laps         int
	Best         string
	LapList      []lapView
}

func runViews(runs []run) []runView {
	out := make([]runView, 0, len(runs))
	for _, r := range runs {
		rv := runView{Run: r.Race.Run, Track: r.Track, State: raceStates[r.Race.State], Best: lapTime(r.Race.BestMS), LapList: lapViews(r.Race)}
		for _, l := range r.Race.Laps {
			if l.Valid {
				rv.Laps++
			}
		}
		out = append(out, rv)
	}
	return out
}

// base is what every page's frame shows.
type base struct {
	Title, Page string
	Gen         uint64
	Tracks      []trackView
}

func baseOf(v *view, page string) base {
	t := v.pub.Title
	if t == "" {
		t = "pitwall"
	}
	return base{Title: t, Page: page, Gen: v.pub.Gen, Tracks: trackViews(v.pub)}
}

type boardData struct {
	base
	Caption, Query      string
	Rows                []rowView
	Total, Page, Pages  int
	PrevURL, NextURL    string
	Searched, Truncated bool
}

func (s *Server) boardPage(v *view, r *http.Request, buf *bytes.Buffer) int {
	b := v.pub.Board
	d := boardData{base: baseOf(v, "board"), Caption: model.RankingCaption(b.Ranking, b.RankLaps), Total: len(b.Entries)}
	var leader mqtt.StandingsEntry
	if len(b.Entries) > 0 {
		leader = b.Entries[0]
	}
	entries := b.Entries
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		d.Searched, d.Query = true, q
		entries = v.search(q, searchLimit+1)
		if len(entries) > searchLimit {
			entries, d.Truncated = entries[:searchLimit], true
		}
	} else {
		d.Pages = max(1, (len(entries)+PageSize-1)/PageSize)
		d.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
		d.Page = min(max(d.Page, 1), d.Pages)
		from := (d.Page - 1) * PageSize
		entries = entries[from:min(from+PageSize, len(entries))]
		if d.Page > 1 {
			d.PrevURL = "/?page=" + strconv.Itoa(d.Page-1)
		}
		if d.Page < d.Pages {
			d.NextURL = "/?page=" + strconv.Itoa(d.Page+1)
		}
	}
	d.Rows = make([]rowView, len(entries))
	for i, e := range entries {
		d.Rows[i] = rowOf(e, leader)
	}
	return execute(buf, "board", d)
}

type racerData struct {
	base
	Found             bool
	ID, Name, Caption string
	Row               rowView
	Of                int
	BestRun           []lapView
	BestRunSeen       bool
	OnTrack           *trackView
	Runs              []runView
}

// racerOf gathers what is known of a racer: their merged entry, the runs
// seen, the track they are on.
func (s *Server) racerOf(v *view, id string) racerData {
	d := racerData{base: baseOf(v, "racer"), ID: id, Of: len(v.pub.Board.Entries),
		Caption: model.RankingCaption(v.pub.Board.Ranking, v.pub.Board.RankLaps)}
	if e, ok := v.entry(id); ok {
		d.Found, d.Name = true, e.Name
		d.Row = rowOf(e, v.pub.Board.Entries[0])
		// Only a run seen to its end: the race states seen may stop
		// short of it (the next racer loaded at once).
		if r, ok := s.history.race(e.RaceID); ok && validLaps(r.Race) == e.Laps && r.Race.BestMS == e.BestMS {
			d.BestRun, d.BestRunSeen = lapViews(r.Race), true
		}
	}
	runs := s.history.runs(id)
	if len(runs) > 0 {
		d.Found = true
		if d.Name == "" {
			d.Name = runs[0].Race.Name
		}
	}
	d.Runs = runViews(runs)
	for i := range d.Tracks {
		if t := &d.Tracks[i]; t.HasRace && t.RacerURL == racerURL(id) {
			d.OnTrack = t
			d.Found = true
			if d.Name == "" {
				d.Name = t.Racer
			}
		}
	}
	if d.Name == "" {
		d.Name = id
	}
	return d
}

func (s *Server) racerPage(v *view, r *http.Request, buf *bytes.Buffer) int {
	d := s.racerOf(v, r.PathValue("id"))
	status := http.StatusOK
	if !d.Found {
		status = http.StatusNotFound
	}
	execute(buf, "racer", d)
	return status
}

type overlayData struct {
	base
	Caption string
	Top     []rowView
	URL     string
}

func (s *Server) overlayPage(v *view, r *http.Request, buf *bytes.Buffer) int {
	b := v.pub.Board
	d := overlayData{base: baseOf(v, "overlay"), Caption: model.RankingCaption(b.Ranking, b.RankLaps), URL: s.opt.PublicURL}
	for i := 0; i < len(b.Entries) && i < overlayTop; i++ {
		d.Top = append(d.Top, rowOf(b.Entries[i], b.Entries[0]))
	}
	return execute(buf, "overlay", d)
}

// commentaryTrack is everything a commentator wants about one track.
type commentaryTrack struct {
	trackView
	LapList                       []lapView
	Standing                      *rowView
	GapLeader, GapPodium, GapNote string
	Previous                      []runView
}

type commentaryData struct {
	base
	Caption string
	Top     []rowView
	Live    []commentaryTrack
}

func (s *Server) commentaryPage(v *view, r *http.Request, buf *bytes.Buffer) int {
	b := v.pub.Board
	d := commentaryData{base: baseOf(v, "commentary"), Caption: model.RankingCaption(b.Ranking, b.RankLaps)}
	for i := 0; i < len(b.Entries) && i < overlayTop; i++ {
		d.Top = append(d.Top, rowOf(b.Entries[i], b.Entries[0]))
	}
	for i, t := range v.pub.Tracks {
		ct := commentaryTrack{trackView: d.Tracks[i]}
		if lr := t.Race; lr != nil {
			ct.LapList = lapViews(lr)
			if e, ok := v.entry(lr.RacerID); ok {
				row := rowOf(e, b.Entries[0])
				ct.Standing = &row
			}
			for _, rn := range s.history.runs(lr.RacerID) {
				if rn.Race.ID != lr.ID {
					ct.Previous = append(ct.Previous, runViews([]run{rn})...)
				}
			}
			ct.GapLeader, ct.GapPodium, ct.GapNote = gaps(b, lr, ct.Standing != nil, v)
		}
		d.Live = append(d.Live, ct)
	}
	return execute(buf, "commentary", d)
}

// gaps are a racer's gaps to the leader and to third place: their best lap
// in this run when the board ranks by best lap (what the run could change),
// else their result on the board.
func gaps(b model.Ranked, lr *mqtt.LiveRace, ranked bool, v *view) (leader, podium, note string) {
	if len(b.Entries) == 0 {
		return "", "", "no results on the board yet"
	}
	var mine int64
	switch {
	case (b.Ranking == "best-lap" || b.Ranking == "") && lr.BestMS > 0:
		mine, note = lr.BestMS, "best lap of this run"
	case ranked:
		e, _ := v.entry(lr.RacerID)
		mine, note = e.ResultMS, "result on the board"
	default:
		return "", "", "no valid lap yet"
	}
	leader = signedGap(mine - b.Entries[0].ResultMS)
	if len(b.Entries) >= 3 {
		podium = signedGap(mine - b.Entries[2].ResultMS)
	}
	return leader, podium, note
}

// boardJSON is the merged board and the tracks, as JSON.
type boardJSON struct {
	Gen      uint64                `json:"gen"`
	Title    string                `json:"title"`
	Ranking  string                `json:"ranking"`
	RankLaps int                   `json:"rank_laps,omitempty"`
	Entries  []mqtt.StandingsEntry `json:"entries"`
	Tracks   []trackJSON           `json:"tracks"`
}

type trackJSON struct {
	ID      string         `json:"id"`
	Offline bool           `json:"offline,omitempty"`
	Race    *mqtt.LiveRace `json:"race,omitempty"`
	// RaceAt is when the race state was received, Unix ms by this kiosk's
	// clock: a running race's clocks run on from it.
	RaceAt int64    `json:"race_at,omitempty"`
	Queue  []string `json:"queue,omitempty"`
}

func tracksJSON(p *model.Snapshot) []trackJSON {
	out := make([]trackJSON, 0, len(p.Tracks))
	for _, t := range p.Tracks {
		tj := trackJSON{ID: t.ID, Offline: t.Offline, Race: t.Race, Queue: t.Queue}
		if t.Race != nil {
			tj.RaceAt = t.RaceAt.UnixMilli()
		}
		out = append(out, tj)
	}
	return out
}

func (s *Server) boardJSON(v *view, r *http.Request, buf *bytes.Buffer) int {
	p := v.pub
	entries := p.Board.Entries
	if entries == nil {
		entries = []mqtt.StandingsEntry{}
	}
	return writeJSON(buf, boardJSON{Gen: p.Gen, Title: p.Title, Ranking: p.Board.Ranking, RankLaps: p.Board.RankLaps,
		Entries: entries, Tracks: tracksJSON(p)})
}

func (s *Server) liveJSON(v *view, r *http.Request, buf *bytes.Buffer) int {
	return writeJSON(buf, struct {
		Gen    uint64      `json:"gen"`
		Tracks []trackJSON `json:"tracks"`
	}{v.pub.Gen, tracksJSON(v.pub)})
}

// racerJSON is a racer's entry and the runs this kiosk saw.
type racerJSON struct {
	ID    string               `json:"id"`
	Entry *mqtt.StandingsEntry `json:"entry,omitempty"`
	Of    int                  `json:"of"`
	Runs  []*mqtt.LiveRace     `json:"runs"`
}

func (s *Server) racerJSON(v *view, r *http.Request, buf *bytes.Buffer) int {
	id, ok := strings.CutSuffix(r.PathValue("id"), ".json")
	if !ok {
		return writeJSON(buf, map[string]string{"error": "want /api/racer/<id>.json"}, http.StatusNotFound)
	}
	out := racerJSON{ID: id, Of: len(v.pub.Board.Entries), Runs: []*mqtt.LiveRace{}}
	if e, ok := v.entry(id); ok {
		out.Entry = &e
	}
	for _, rn := range s.history.runs(id) {
		out.Runs = append(out.Runs, rn.Race)
	}
	if out.Entry == nil && len(out.Runs) == 0 {
		return writeJSON(buf, map[string]string{"error": fmt.Sprintf("no racer %q", id)}, http.StatusNotFound)
	}
	return writeJSON(buf, out)
}

func writeJSON(buf *bytes.Buffer, v any, status ...int) int {
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"error":"encoding failed"}`)
		return http.StatusInternalServerError
	}
	if len(status) > 0 {
		return status[0]
	}
	return http.StatusOK
}

func execute(buf *bytes.Buffer, name string, data any) int {
	if err := pages.ExecuteTemplate(buf, name, data); err != nil {
		buf.Reset()
		fmt.Fprintf(buf, "page %s failed: %v", name, err)
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"runclock":  func(v int64) string { return string(display.AppendRunningClock(nil, ms(v))) },
	"countdown": func(v int64) string { return string(display.AppendCountdown(nil, ms(v))) },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}).Parse(templates))
