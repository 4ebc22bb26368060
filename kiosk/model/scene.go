package model

import (
	"fmt"
	"strings"
	"time"

	"pitwall/display"
	"pitwall/mqtt"
)

// Scene defaults.
const (
	// DefaultHighlightFor is how long a new or improved result stays
	// highlighted, fading out: long enough for a racer walking from the
	// track to the screen to spot their row.
	DefaultHighlightFor = 12 * time.Second
	// DefaultOfflineGrace is how long the broker may be unreachable before
	// the screen says so: a reconnect after a blip must not flash a notice.
	DefaultOfflineGrace = 5 * time.Second
	// Redraw periods: the running race clock shows tenths and highlights
	// fade smoothly at 10 Hz; otherwise only the wall clock (minutes) and
	// the board rotation move.
	LiveTick = 100 * time.Millisecond
	IdleTick = time.Second
)

// SceneConfig says what a Scene shows.
type SceneConfig struct {
	Title string
	// Tracks limits the tracks taken, in display order; empty: up to
	// MaxTracks (0: DefaultMaxTracks), by id, the boards' tracks first.
	Tracks    []string
	MaxTracks int
	// Boards are shown in turn, RotateEvery each; one board: no rotation.
	Boards      []string
	RotateEvery time.Duration
	// Focus is a racer id kept in the footer when they rank below the rows.
	Focus        string
	HighlightFor time.Duration // 0: DefaultHighlightFor
	OfflineGrace time.Duration // 0: DefaultOfflineGrace
	// Location of the wall clock; nil: time.Local.
	Location *time.Location
	// QR is the public pages' URL, drawn as a QR code ("" draws none).
	QR string
}

// Scene is the kiosk's model: the inputs, the boards built from them,
// what changed lately and whether the broker is reachable. It is mutable
// and owned by one goroutine; every change is published as an immutable
// Snapshot (Scene.Snapshot), which is what the screen, the web pages and
// the overlay read.
type Scene struct {
	cfg    *SceneConfig // never modified after NewScene: snapshots share it
	in     *Inputs
	boards map[string]*boardState
	start  time.Time
	link   Link

	// seen are the last RecentRaceStates race states taken from the
	// broker, oldest first (Snapshot.Seen); seenNo numbers them.
	seen   []Run
	seenNo uint64

	// snap is the last snapshot built; dirty says the inputs changed
	// since, standingsDirty that the merged board must be built again.
	snap                  *Snapshot
	dirty, standingsDirty bool
}

// Link is whether this kiosk hears the broker, for the header's
// "offline" notice. The zero Link has never connected.
type Link struct {
	connected bool
	// lostAt is when the broker was last lost (or the kiosk started);
	// lostWall is the wall time of the last contact recorded by a previous
	// run (from the cache), zero when unknown.
	lostAt   time.Time
	lostWall time.Time
	contacts int           // connections made in this run
	grace    time.Duration // how long a loss goes unmentioned
}

// boardState is one board as last built, with its recent changes.
type boardState struct {
	ranked Ranked
	index  map[string]int // racer id → position in ranked.Entries
	marks  map[string]mark
	// latest is the racer of the most recent change, kept for the footer.
	latest string
}

// mark is a highlighted change of one racer's row.
type mark struct {
	at         time.Time
	rankChange int
}

// NewScene returns an empty scene; now is the kiosk's start (the broker
// counts as lost since then until SetConnected).
func NewScene(cfg SceneConfig, now time.Time) *Scene {
	if cfg.HighlightFor <= 0 {
		cfg.HighlightFor = DefaultHighlightFor
	}
	if cfg.OfflineGrace <= 0 {
		cfg.OfflineGrace = DefaultOfflineGrace
	}
	if len(cfg.Boards) == 0 {
		cfg.Boards = []string{BoardCombined}
	}
	if cfg.RotateEvery <= 0 {
		cfg.RotateEvery = 20 * time.Second
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	in := NewInputs(cfg.Tracks)
	in.limit(cfg.MaxTracks, cfg.Boards)
	return &Scene{cfg: &cfg, in: in, boards: map[string]*boardState{}, start: now,
		link: Link{lostAt: now, grace: cfg.OfflineGrace}}
}

// Inputs are the scene's inputs (for the cache).
func (s *Scene) Inputs() *Inputs { return s.in }

// Apply takes one message. Update.Changed reports whether anything shown
// may have changed; a bad payload returns an error and changes nothing.
// A race state received from the broker (m.At set; a cached one has
// none) is kept among the recent ones (Snapshot.Seen).
func (s *Scene) Apply(m Message) (Update, error) {
	u, err := s.in.Apply(m)
	if err != nil || !u.Changed {
		return u, err
	}
	s.dirty = true
	if u.StandingsChanged {
		s.standingsDirty = true
		s.rebuild(u, m.At)
	}
	if u.Kind == KindRace && !u.HeldBack && !m.At.IsZero() {
		if ts := s.in.Track(u.Track); ts != nil && ts.Race != nil && ts.Race.Race != nil {
			s.seenNo++
			if len(s.seen) == RecentRaceStates {
				s.seen = append(s.seen[:0], s.seen[1:]...)
			}
			s.seen = append(s.seen, Run{No: s.seenNo, Track: u.Track, Race: ts.Race.Race, At: ts.RaceAt})
		}
	}
	return u, nil
}

// rebuild builds again the shown boards that track u.Track feeds and marks
// the racers whose result is new or better than on the board before.
func (s *Scene) rebuild(u Update, now time.Time) {
	changed := changedRacers(u.Previous, s.in.Track(u.Track).Standings)
	built := map[string]bool{}
	for _, key := range s.cfg.Boards {
		if (key != BoardCombined && key != u.Track) || built[key] {
			continue
		}
		built[key] = true
		old := s.boards[key]
		nb := &boardState{ranked: s.rank(key), marks: map[string]mark{}}
		nb.index = make(map[string]int, len(nb.ranked.Entries))
		for i, e := range nb.ranked.Entries {
			nb.index[e.RacerID] = i
		}
		if old != nil {
			nb.latest = old.latest
			for id, mk := range old.marks {
				if _, ok := nb.index[id]; ok && now.Sub(mk.at) < s.cfg.HighlightFor {
					nb.marks[id] = mk
				}
			}
			// Marks go only to racers whose row on THIS board changed: a
			// racer improving on track 2 but still best on track 1 keeps
			// the same combined row.
			for _, e := range nb.ranked.Entries {
				if !changed[e.RacerID] {
					continue
				}
				i, was := old.index[e.RacerID]
				if was && old.ranked.Entries[i].ResultMS <= e.ResultMS {
					continue
				}
				mk := mark{at: now}
				if was {
					mk.rankChange = old.ranked.Entries[i].Rank - e.Rank
				}
				nb.marks[e.RacerID] = mk
				nb.latest = e.RacerID
			}
		}
		s.boards[key] = nb
	}
}

// changedRacers lists the racers whose result is new or better in cur than
// in prev; nil when prev is nil (a first snapshot is a baseline, not news).
func changedRacers(prev, cur *mqtt.Standings) map[string]bool {
	if prev == nil || cur == nil {
		return nil
	}
	before := make(map[string]int64, len(prev.Entries))
	for _, e := range prev.Entries {
		before[e.RacerID] = e.ResultMS
	}
	out := map[string]bool{}
	for _, e := range cur.Entries {
		if r, ok := before[e.RacerID]; !ok || e.ResultMS < r {
			out[e.RacerID] = true
		}
	}
	return out
}

// rank builds a board's ranking from the inputs.
func (s *Scene) rank(key string) Ranked {
	if key != BoardCombined {
		if ts := s.in.Track(key); ts != nil {
			return single(key, ts.Standings)
		}
		return Ranked{}
	}
	order := s.in.Order()
	ts := make([]TrackStandings, 0, len(order))
	for _, id := range order {
		ts = append(ts, TrackStandings{Track: id, Standings: s.in.Track(id).Standings})
	}
	return Merge(ts)
}

// SetConnected records that the broker answered.
func (s *Scene) SetConnected(now time.Time) {
	s.link.connected = true
	s.link.contacts++
	s.link.lostWall = time.Time{}
}

// SetDisconnected records that the broker connection dropped at now.
func (s *Scene) SetDisconnected(now time.Time) {
	if s.link.connected {
		s.link.connected, s.link.lostAt = false, now
	}
}

// SetOfflineGrace changes how long the broker may be unreachable before
// the board says so (a one-shot frame has waited long enough).
func (s *Scene) SetOfflineGrace(d time.Duration) { s.link.grace = d }

// Link is the state of the connection to the broker, as a board shows it.
func (s *Scene) Link() Link { return s.link }

// SetLastContact gives the wall time a previous run last heard from the
// broker (from the cache), so a kiosk rebooted during an outage can say
// since when it is offline.
func (s *Scene) SetLastContact(wall time.Time) {
	if !s.link.connected && s.link.contacts == 0 {
		s.link.lostWall = wall
	}
}

// LastContact is the wall time of the last contact with the broker: now
// while connected, else the loss (zero when not known).
func (s *Scene) LastContact(now, wall time.Time) time.Time {
	switch {
	case s.link.connected:
		return wall
	case s.link.contacts == 0:
		return s.link.lostWall
	}
	return wall.Add(-now.Sub(s.link.lostAt))
}

// RecordedContact is the last contact a previous run recorded (from the
// cache) while this run has not reached the broker; zero otherwise.
func (s *Scene) RecordedContact() time.Time {
	if s.link.connected {
		return time.Time{}
	}
	return s.link.lostWall
}

// Snapshot is the model as of the last change. It builds a new one (the
// next Gen, stamped wall) only when something changed since the last.
func (s *Scene) Snapshot(wall time.Time) *Snapshot {
	if s.snap != nil && !s.dirty {
		return s.snap
	}
	p := &Snapshot{Title: s.cfg.Title, Changed: wall, Seen: append([]Run(nil), s.seen...),
		cfg: s.cfg, start: s.start, boards: make(map[string]*boardState, len(s.cfg.Boards))}
	if s.snap != nil {
		p.Gen, p.Board = s.snap.Gen+1, s.snap.Board
	} else {
		p.Gen = 1
	}
	if s.standingsDirty || s.snap == nil {
		// The combined board, when shown, was built by the change.
		if bs := s.boards[BoardCombined]; bs != nil {
			p.Board = bs.ranked
		} else {
			p.Board = s.rank(BoardCombined)
		}
	}
	for _, key := range s.cfg.Boards {
		if bs := s.boards[key]; bs != nil {
			p.boards[key] = bs
		} else {
			p.boards[key] = &boardState{ranked: s.rank(key)}
		}
	}
	for _, id := range s.in.Order() {
		ts := s.in.Track(id)
		t := Track{ID: id, Offline: trackOffline(ts), StorageFull: trackStorageFull(ts)}
		if ts.Standings != nil {
			t.ranking, t.rankLaps = ts.Standings.Ranking, ts.Standings.RankLaps
		}
		if ts.Race != nil && ts.RaceLive {
			t.live = true
			t.Race, t.RaceAt, t.Queue = ts.Race.Race, ts.RaceAt, ts.Race.Queue
		}
		p.Tracks = append(p.Tracks, t)
	}
	s.snap, s.dirty, s.standingsDirty = p, false, false
	return p
}

// Current is the board shown at now.
func (s *Scene) Current(now time.Time) string { return s.Snapshot(now).Current(now) }

// TickEvery is Snapshot.TickEvery of the current model.
func (s *Scene) TickEvery(now time.Time) time.Duration { return s.Snapshot(now).TickEvery(now) }

// Board is Snapshot.Screen of the current model with the scene's link.
func (s *Scene) Board(now, wall time.Time, synced bool) display.Board {
	return s.Snapshot(wall).Screen(s.link, now, wall, synced)
}

// Shows is Snapshot.Shows of the current model.
func (s *Scene) Shows(now time.Time) string { return s.Snapshot(now).Shows(now) }

// Current is the board shown at now.
func (p *Snapshot) Current(now time.Time) string {
	if len(p.cfg.Boards) == 1 {
		return p.cfg.Boards[0]
	}
	n := int(now.Sub(p.start) / p.cfg.RotateEvery)
	return p.cfg.Boards[n%len(p.cfg.Boards)]
}

// TickEvery is how often the screen must be redrawn at now for its clocks
// and fades to move: LiveTick while a race runs or a highlight fades.
func (p *Snapshot) TickEvery(now time.Time) time.Duration {
	key := p.Current(now)
	for _, t := range p.liveTracks(key) {
		if t.Race != nil && t.Race.Running && !t.Offline {
			return LiveTick
		}
	}
	if bs := p.boards[key]; bs != nil {
		for _, mk := range bs.marks {
			if now.Sub(mk.at) < p.cfg.HighlightFor {
				return LiveTick
			}
		}
	}
	return IdleTick
}

// Screen is the board to draw at now (monotonic) and wall (the wall
// clock, shown only when synced), with the kiosk's link to the broker.
func (p *Snapshot) Screen(link Link, now, wall time.Time, synced bool) display.Board {
	key := p.Current(now)
	bs := p.boards[key]
	if bs == nil {
		bs = &boardState{}
	}
	b := display.Board{Title: p.cfg.Title, QR: p.cfg.QR}
	if key != BoardCombined {
		b.Title = p.cfg.Title + " — Track " + key
	}
	if synced {
		b.Clock = wall.In(p.cfg.Location).Format("15:04")
	}
	r := bs.ranked
	b.Ranking = RankingCaption(r.Ranking, r.RankLaps)
	withBest := r.Ranking != "" && r.Ranking != "best-lap"
	if withBest {
		b.ExtraCaption = "BEST LAP"
	}
	withTrack := key == BoardCombined && len(r.Tracks) > 1
	n := min(len(r.Entries), display.MaxRows)
	b.Rows = make([]display.Row, n)
	for i := 0; i < n; i++ {
		b.Rows[i] = p.row(bs, i, now, withBest, withTrack)
	}
	footer := p.cfg.Focus
	if i, ok := bs.index[footer]; !ok || i < display.MaxRows {
		footer = bs.latest
	}
	if i, ok := bs.index[footer]; ok && i >= display.MaxRows {
		row := p.row(bs, i, now, withBest, withTrack)
		b.Footer = &row
	}
	for _, t := range p.liveTracks(key) {
		b.Live = append(b.Live, liveStrip(t, now))
	}
	b.Notices = p.notices(link, key, r, now, wall, synced)
	return b
}

func (p *Snapshot) row(bs *boardState, i int, now time.Time, withBest, withTrack bool) display.Row {
	e := bs.ranked.Entries[i]
	row := display.Row{
		Rank: e.Rank, Name: e.Name, Result: msDuration(e.ResultMS), Laps: e.Laps, Tie: e.Tie,
		Gap: msDuration(e.ResultMS - bs.ranked.Entries[0].ResultMS),
	}
	if row.Name == "" {
		row.Name = e.RacerID
	}
	if withBest && e.BestMS > 0 {
		row.Extra = string(display.AppendLapTime(nil, msDuration(e.BestMS)))
	}
	if withTrack {
		row.Track = e.Track
	}
	if mk, ok := bs.marks[e.RacerID]; ok {
		if age := now.Sub(mk.at); age < p.cfg.HighlightFor {
			row.Highlight = 1 - float64(age)/float64(p.cfg.HighlightFor)
			row.RankChange = mk.rankChange
		}
	}
	return row
}

// liveTracks are the tracks whose race in progress a board shows: all for
// the combined board, the board's own for a track board. A race state from
// the cache is not shown until the broker confirms it.
func (p *Snapshot) liveTracks(key string) []*Track {
	var out []*Track
	for i := range p.Tracks {
		t := &p.Tracks[i]
		if key != BoardCombined && t.ID != key {
			continue
		}
		if t.live {
			out = append(out, t)
		}
	}
	return out
}

func trackOffline(ts *TrackState) bool { return ts.Status != nil && !ts.Status.Online }

// trackStorageFull: the trackside's disk is below its floor, so it arms no
// new race; the board says so where it says "offline".
func trackStorageFull(ts *TrackState) bool {
	return ts.Status != nil && ts.Status.Storage != nil && ts.Status.Storage.State == mqtt.StorageFull
}

// raceStates maps the wire's race states to the strip's labels.
var raceStates = map[string]string{
	"ready": "READY", "running": "RACING", "paused": "PAUSED", "over": "FINISHED",
	"submitted": "SUBMITTED", "discarded": "DISCARDED",
}

// liveStrip is a track's race at now, its clocks run on from the moment the
// state was received while the race runs (the trackside refreshes it every
// few seconds). The clocks stop while the trackside is offline: its race
// may be paused or over without the kiosk hearing of it.
func liveStrip(t *Track, now time.Time) display.LiveStrip {
	st := display.LiveStrip{Track: "TRACK " + strings.ToUpper(t.ID), Next: nextUp(t.Queue)}
	r := t.Race
	if r == nil {
		return st // the display says "No racer on track"
	}
	st.Racer = r.Name
	if st.Racer == "" {
		st.Racer = r.RacerID
	}
	st.State = raceStates[r.State]
	if st.State == "" {
		st.State = strings.ToUpper(r.State)
	}
	elapsed, lap := msDuration(r.ElapsedMS), msDuration(r.LapElapsedMS)
	if r.Running && !t.Offline {
		if d := now.Sub(t.RaceAt); d > 0 {
			elapsed += d
			lap += d
		}
	}
	st.Left = max(msDuration(r.DurationMS)-elapsed, 0)
	st.Lap = lap
	st.Best = msDuration(r.BestMS)
	st.Resets = r.Resets
	for _, l := range r.Laps {
		if l.Valid {
			st.Laps++
		}
	}
	return st
}

// nextUpShown is how many queued racers a strip names: more would not fit
// a strip's width anyway.
const nextUpShown = 3

// nextUp names the first queued racers: "Bob · Carol · Dan +4".
func nextUp(queue []string) string {
	if len(queue) == 0 {
		return ""
	}
	n := min(len(queue), nextUpShown)
	s := strings.Join(queue[:n], " · ")
	if len(queue) > n {
		s += fmt.Sprintf(" +%d", len(queue)-n)
	}
	return s
}

// notices are the warnings of the header: the kiosk offline, tracks
// offline or with a full disk, tracks left out of the combined board.
func (p *Snapshot) notices(link Link, key string, r Ranked, now, wall time.Time, synced bool) []string {
	var out []string
	if !link.connected && now.Sub(link.lostAt) >= link.grace {
		// Since the loss, or since this kiosk started; a kiosk that has
		// not reached the broker since it rebooted knows from its cache
		// when the previous run last did.
		since := wall.Add(-now.Sub(link.lostAt))
		if link.contacts == 0 && !link.lostWall.IsZero() {
			since = link.lostWall
		}
		if synced {
			out = append(out, "offline since "+since.In(p.cfg.Location).Format("15:04"))
		} else {
			out = append(out, "offline for "+humanDuration(now.Sub(link.lostAt)))
		}
	}
	for _, t := range p.Tracks {
		if key != BoardCombined && t.ID != key {
			continue
		}
		if t.Offline {
			out = append(out, "track "+t.ID+" offline")
		} else if t.StorageFull {
			out = append(out, "track "+t.ID+" storage full")
		}
	}
	for _, id := range r.Excluded {
		if t := p.track(id); t != nil {
			out = append(out, fmt.Sprintf("track %s ranks by %s: not merged", id, strings.ToLower(RankingCaption(t.ranking, t.rankLaps))))
		}
	}
	return out
}

// track is the track with this id, nil when none.
func (p *Snapshot) track(id string) *Track {
	for i := range p.Tracks {
		if p.Tracks[i].ID == id {
			return &p.Tracks[i]
		}
	}
	return nil
}

// Shows describes the screen for the kiosk's status: "combined (tracks 1,
// 2): 37 racers", "track 2: 12 racers; offline".
func (p *Snapshot) Shows(now time.Time) string {
	key := p.Current(now)
	var b strings.Builder
	var r Ranked
	if bs := p.boards[key]; bs != nil {
		r = bs.ranked
	}
	if key == BoardCombined {
		b.WriteString("combined")
		if len(r.Tracks) > 0 {
			fmt.Fprintf(&b, " (tracks %s)", strings.Join(r.Tracks, ", "))
		}
	} else {
		b.WriteString("track " + key)
	}
	if len(r.Entries) == 0 {
		b.WriteString(": no results yet")
	} else {
		fmt.Fprintf(&b, ": %d racers", len(r.Entries))
	}
	if len(p.cfg.Boards) > 1 {
		fmt.Fprintf(&b, "; rotating %d boards", len(p.cfg.Boards))
	}
	return b.String()
}

// humanDuration says how long, coarsely: "40 s", "5 min", "2 h 5 min".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
