package model

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"pitwall/mqtt"
)

// Kind is one of the retained states a track publishes.
type Kind uint8

const (
	KindStatus Kind = iota + 1
	KindStandings
	KindRace
)

func (k Kind) String() string {
	switch k {
	case KindStatus:
		return "status"
	case KindStandings:
		return "standings"
	case KindRace:
		return "race"
	}
	return "unknown"
}

// Message is one MQTT publication as the kiosk received it, copied out of
// paho's handler.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
	// At is when it was received (with Go's monotonic reading): the live
	// race clock is extrapolated from it.
	At time.Time
}

// ParseTopic splits a track topic the kiosk reads into the track id and
// the kind of state.
func ParseTopic(topic string) (track string, kind Kind, err error) {
	rest, ok := strings.CutPrefix(topic, mqtt.Root+"/track/")
	if !ok {
		return "", 0, fmt.Errorf("topic %q is not under %s/track/", topic, mqtt.Root)
	}
	track, leaf, ok := strings.Cut(rest, "/")
	if !ok {
		return "", 0, fmt.Errorf("topic %q has no state after the track id", topic)
	}
	if err := mqtt.ValidID(track); err != nil {
		return "", 0, fmt.Errorf("topic %q: track %w", topic, err)
	}
	switch leaf {
	case "status":
		return track, KindStatus, nil
	case "standings":
		return track, KindStandings, nil
	case "race":
		return track, KindRace, nil
	}
	return "", 0, fmt.Errorf("topic %q: %q is not status, standings or race", topic, leaf)
}

// TrackState is the latest of each retained state of one track. Raw holds
// the payloads as received so the cache stores exactly what was checked.
type TrackState struct {
	ID        string
	Standings *mqtt.Standings
	Race      *mqtt.RaceState
	Status    *mqtt.Status
	Raw       map[Kind][]byte

	// RaceAt is when Race was received. RaceLive is false for a race state
	// loaded from the cache and not yet confirmed by the broker in this
	// run: its clock cannot be extrapolated (the monotonic clock restarted)
	// and it may be long over, so it is not shown.
	RaceAt   time.Time
	RaceLive bool

	// seq is the seq of the snapshot held per kind. A trackside's LWT
	// carries seq 0 and never lowers it.
	seq map[Kind]uint64
	// epoch is the trackside database the seqs count in (mqtt.Header.Epoch)
	// and epochAt its creation time (mqtt.Header.EpochAt, 0: unknown).
	epoch   string
	epochAt int64
	// payload and status are the ordering state of the writer's two
	// sequence counters: standings and race state share the store's
	// payload counter, status counts boot<<32 | n.
	payload, status seqCounter
}

// Jump bounds: how far ahead of a track's held snapshots a seq may be and
// still be taken at once. The payload counter advances with every
// standings, race state and lap event (a busy track: about a thousand an
// hour), so 65,536 is days of racing; status seqs are boot<<32 | n, so
// 16<<32 is 16 trackside restarts. A larger jump is held back until a
// second snapshot corroborates it.
const (
	seqJumpPayload uint64 = 1 << 16
	seqJumpStatus  uint64 = 16 << 32
)

// seqCounter is the kiosk's view of one of a writer's sequence counters.
type seqCounter struct {
	// ahead holds, per kind, a snapshot whose seq jumped implausibly far
	// ahead of the track's held snapshots, until another snapshot (of any
	// kind counting in the same counter, or the next one of its kind)
	// lands within the jump bound of it.
	ahead map[Kind]decoded
	// below is the last snapshot seen far below a held one. A second,
	// distinct snapshot close to it shows the stream has moved on without
	// the held one: that one is dropped (it came from a forged or broken
	// writer, and would otherwise freeze the board and the cache).
	below    decoded
	hasBelow bool
}

func (c *seqCounter) reset() { *c = seqCounter{} }

// decoded is a decoded, checked message.
type decoded struct {
	kind      Kind
	h         mqtt.Header
	standings *mqtt.Standings
	race      *mqtt.RaceState
	status    *mqtt.Status
	msg       Message
}

// sameAs reports whether two snapshots are the same publication (a broker
// repeating a retained message): that is no corroboration.
func (s decoded) sameAs(o decoded) bool { return s.kind == o.kind && s.h.Seq == o.h.Seq }

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// counter returns the ordering state, the kinds and the jump bound of the
// counter that kind k's seqs come from.
func (ts *TrackState) counter(k Kind) (*seqCounter, []Kind, uint64) {
	if k == KindStatus {
		return &ts.status, []Kind{KindStatus}, seqJumpStatus
	}
	return &ts.payload, []Kind{KindStandings, KindRace}, seqJumpPayload
}

// has reports whether a snapshot of kind k is held.
func (ts *TrackState) has(k Kind) bool {
	switch k {
	case KindStandings:
		return ts.Standings != nil
	case KindRace:
		return ts.Race != nil
	case KindStatus:
		return ts.Status != nil
	}
	return false
}

// empty reports whether nothing at all is held for the track.
func (ts *TrackState) empty() bool {
	return ts.Standings == nil && ts.Race == nil && ts.Status == nil
}

// top is the highest seq held among kinds (0: none).
func (ts *TrackState) top(kinds []Kind) uint64 {
	var hi uint64
	for _, k := range kinds {
		if ts.has(k) && ts.seq[k] > hi {
			hi = ts.seq[k]
		}
	}
	return hi
}

// compareEpoch orders the epoch of h against the one held: -1 older (drop
// the snapshot), 0 the same (or no epoch to compare), 1 newer (reset the
// track to it). Which database is newer is decided from the headers, not
// from arrival order, so a broker holding retained messages of both gives
// the same answer whatever order it delivers them in:
//   - both creation times known (mqtt.Header.EpochAt): the later one;
//     equal times, the greater epoch id;
//   - otherwise a live (not retained) message's epoch wins: a trackside
//     is publishing under it right now; a retained one cannot displace the
//     epoch held.
func (ts *TrackState) compareEpoch(h mqtt.Header, retained bool) int {
	if h.Epoch == "" || ts.epoch == "" || h.Epoch == ts.epoch {
		return 0
	}
	if h.EpochAt > 0 && ts.epochAt > 0 {
		switch {
		case h.EpochAt > ts.epochAt:
			return 1
		case h.EpochAt < ts.epochAt:
			return -1
		case h.Epoch > ts.epoch:
			return 1
		}
		return -1
	}
	if !retained {
		return 1
	}
	return -1
}

// noteEpoch records the epoch of a snapshot taken under compareEpoch 0.
func (ts *TrackState) noteEpoch(h mqtt.Header) {
	if h.Epoch == "" {
		return
	}
	if ts.epoch == "" {
		ts.epoch = h.Epoch
	}
	if h.Epoch == ts.epoch && h.EpochAt > ts.epochAt {
		ts.epochAt = h.EpochAt
	}
}

// Update says what applying a message changed.
type Update struct {
	Track string
	Kind  Kind
	// Changed is false for a duplicate or stale snapshot, which is dropped.
	Changed bool
	// StandingsChanged is set when the track's standings changed: taken
	// from this message, from one held back before and now corroborated,
	// or dropped (contradicted by the stream, or of a superseded epoch).
	StandingsChanged bool
	// HeldBack is set when the message jumped implausibly far ahead and
	// waits for corroboration (nothing changed yet).
	HeldBack bool
	// Previous is the track's standings before this update (nil: none
	// were held, so nothing can be called new or improved).
	Previous *mqtt.Standings
}

// ErrIgnored is wrapped when a message is for a track this kiosk does not
// show; it is not counted as a bad payload.
var ErrIgnored = errors.New("track not shown on this kiosk")

// ErrTooManyTracks is wrapped (with ErrIgnored) when a message names a new
// track while the kiosk already holds max_tracks tracks.
var ErrTooManyTracks = errors.New("track limit reached")

// ErrOversized is wrapped when a payload is larger than its kind's limit.
var ErrOversized = errors.New("payload too large")

// Payload limits per kind, well under mqtt.MaxPayload: a payload is
// refused by its size before it is decoded or queued. Standings of 10,000
// racers encode to about 1.2 MB; a race state holds one race's laps and
// the queue's names; a status a few sensors.
const (
	MaxStandingsPayload = 2 << 20
	MaxRacePayload      = 256 << 10
	MaxStatusPayload    = 64 << 10
)

// MaxPayload is the size limit of a payload of kind k.
func MaxPayload(k Kind) int {
	switch k {
	case KindStandings:
		return MaxStandingsPayload
	case KindRace:
		return MaxRacePayload
	case KindStatus:
		return MaxStatusPayload
	}
	return mqtt.MaxPayload
}

// DefaultMaxTracks is how many tracks a kiosk that lists none takes.
const DefaultMaxTracks = 16

// BoardCombined is the board that merges every track into one ranking;
// any other board is one track's, named by its id.
const BoardCombined = "combined"

// Inputs holds every track's latest retained state. It is not safe for
// concurrent use: the kiosk's own goroutine owns it.
//
// Ordering: each snapshot carries a Seq that, by contract, increases
// across the writer's restarts (it is persisted in the trackside's store).
// The kiosk keeps the highest Seq per track and kind and drops lower or
// equal ones, whatever their Boot: a lower Seq from a different boot is a
// late delivery of an older snapshot (paho delivers concurrently, and an
// outbox drained after a reboot still holds the previous boot's payloads).
// A Seq is not taken blindly: see seqCounter and docs/kiosk.md. A
// trackside whose store was replaced starts again at low Seq numbers
// under a new Epoch; a newer epoch (compareEpoch) resets the track.
type Inputs struct {
	tracks map[string]*TrackState
	// allow, when set, limits the tracks taken; order is the configured
	// display order (else tracks are shown by id).
	allow map[string]bool
	order []string
	// Without allow: at most max tracks, of which the preferred ones
	// (named by the configured boards) always have a place.
	max    int
	prefer map[string]bool
	others int // tracks held that are not preferred
}

// NewInputs returns empty inputs taking only the listed tracks, in that
// display order, or up to DefaultMaxTracks tracks (ordered by id) when
// tracks is empty.
func NewInputs(tracks []string) *Inputs {
	in := &Inputs{tracks: map[string]*TrackState{}, max: DefaultMaxTracks}
	if len(tracks) > 0 {
		in.allow = map[string]bool{}
		for _, t := range tracks {
			in.allow[t] = true
		}
		in.order = append([]string(nil), tracks...)
	}
	return in
}

// limit sets how many tracks inputs without a track list take, and the
// tracks that always have a place among them (the boards' tracks).
func (in *Inputs) limit(max int, prefer []string) {
	if max > 0 {
		in.max = max
	}
	in.prefer = map[string]bool{}
	for _, t := range prefer {
		if t != BoardCombined && len(in.prefer) < in.max {
			in.prefer[t] = true
		}
	}
}

// admit reports whether a message of track id may be taken, making room
// for it in the count of tracks.
func (in *Inputs) admit(id string) error {
	if in.allow != nil {
		if !in.allow[id] {
			return ErrIgnored
		}
		return nil
	}
	if in.tracks[id] != nil || in.prefer[id] {
		return nil
	}
	if in.others >= in.max-len(in.prefer) {
		return fmt.Errorf("%w (%d): %w", ErrTooManyTracks, in.max, ErrIgnored)
	}
	return nil
}

// Track returns the state of a track, or nil when nothing is held.
func (in *Inputs) Track(id string) *TrackState {
	if ts := in.tracks[id]; ts != nil && !ts.empty() {
		return ts
	}
	return nil
}

// Order lists the tracks that have any state, in display order.
func (in *Inputs) Order() []string {
	if in.allow != nil {
		out := make([]string, 0, len(in.order))
		for _, t := range in.order {
			if in.Track(t) != nil {
				out = append(out, t)
			}
		}
		return out
	}
	out := make([]string, 0, len(in.tracks))
	for t := range in.tracks {
		if in.Track(t) != nil {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessTrack(out[i], out[j]) })
	return out
}

// lessTrack orders track ids naturally: "2" before "10".
func lessTrack(a, b string) bool {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return len(a) < len(b)
	}
	return a < b
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Apply decodes and checks a message and, when it is newer than what is
// held, keeps it. A bad payload returns an error and changes nothing.
func (in *Inputs) Apply(m Message) (Update, error) {
	track, kind, err := ParseTopic(m.Topic)
	if err != nil {
		return Update{}, err
	}
	u := Update{Track: track, Kind: kind}
	if n, max := len(m.Payload), MaxPayload(kind); n > max {
		return u, fmt.Errorf("%s: %w: %d bytes, %s payloads are limited to %d", m.Topic, ErrOversized, n, kind, max)
	}
	if err := in.admit(track); err != nil {
		return u, fmt.Errorf("%s: %w", m.Topic, err)
	}
	sn := decoded{kind: kind, msg: m}
	switch kind {
	case KindStandings:
		var s mqtt.Standings
		if err := decode(m, track, &s, &s.Header); err != nil {
			return u, err
		}
		if err := checkStandings(&s); err != nil {
			return u, fmt.Errorf("%s: %w", m.Topic, err)
		}
		sn.standings, sn.h = &s, s.Header
	case KindRace:
		var r mqtt.RaceState
		if err := decode(m, track, &r, &r.Header); err != nil {
			return u, err
		}
		if err := checkRace(&r); err != nil {
			return u, fmt.Errorf("%s: %w", m.Topic, err)
		}
		sn.race, sn.h = &r, r.Header
	case KindStatus:
		var s mqtt.Status
		if err := decode(m, track, &s, &s.Header); err != nil {
			return u, err
		}
		sn.status, sn.h = &s, s.Header
	}
	ts := in.track(track)
	if kind == KindStatus && isWill(sn.status) {
		// The LWT is encoded when the trackside connects, with seq 0,
		// so it cannot be ordered by seq. It says the connection of its
		// boot died: current unless the status held is already offline,
		// or online from another boot (a restarted trackside reconnects
		// before the broker gives up on the old connection, whose LWT
		// then arrives late).
		if cur := ts.Status; cur != nil && (!cur.Online || (cur.Boot != "" && cur.Boot != sn.status.Boot)) {
			in.forgetIfEmpty(ts)
			return u, nil
		}
		ts.keep(sn, &u)
		return u, nil
	}
	switch ts.compareEpoch(sn.h, m.Retained) {
	case -1:
		in.forgetIfEmpty(ts)
		return u, nil
	case 1:
		ts.resetEpoch(sn.h, &u)
	default:
		ts.noteEpoch(sn.h)
	}
	ts.order(sn, &u)
	in.forgetIfEmpty(ts)
	return u, nil
}

// order takes sn when its seq is newer than the one held of its kind and
// plausible (see seqCounter), holds it back when it jumped too far ahead,
// and drops held snapshots that the stream has contradicted.
func (ts *TrackState) order(sn decoded, u *Update) {
	c, kinds, jump := ts.counter(sn.kind)
	s := sn.h.Seq
	if ref := ts.top(kinds); ref > 0 && s > ref && s-ref > jump {
		corroborated := false
		for _, hb := range c.ahead {
			if !hb.sameAs(sn) && absDiff(hb.h.Seq, s) <= jump {
				corroborated = true
			}
		}
		if !corroborated {
			if c.ahead == nil {
				c.ahead = map[Kind]decoded{}
			}
			if hb, ok := c.ahead[sn.kind]; !ok || !hb.sameAs(sn) {
				c.ahead[sn.kind] = sn
			}
			u.HeldBack = true
			return
		}
	}
	if hi := ts.top(kinds); hi > s && hi-s > jump {
		if c.hasBelow && !c.below.sameAs(sn) && absDiff(c.below.h.Seq, s) <= jump {
			floor := max(c.below.h.Seq, s)
			for _, k := range kinds {
				if ts.has(k) && ts.seq[k] > floor && ts.seq[k]-floor > jump {
					ts.drop(k, u)
				}
			}
			c.hasBelow = false
		} else {
			c.below, c.hasBelow = sn, true
		}
	}
	if ts.has(sn.kind) && s <= ts.seq[sn.kind] {
		// The broker repeating the race state the cache holds confirms
		// it is still current: show it from now on.
		if sn.kind == KindRace && s == ts.seq[sn.kind] && !ts.RaceLive && !sn.msg.At.IsZero() {
			ts.RaceAt, ts.RaceLive = sn.msg.At, true
			u.Changed = true
		}
		return
	}
	ts.keep(sn, u)
	// What was held back may be plausible now; what is older than what
	// is held is stale.
	for _, k := range kinds {
		hb, ok := c.ahead[k]
		if !ok {
			continue
		}
		ref := ts.top(kinds)
		switch {
		case ts.has(k) && hb.h.Seq <= ts.seq[k]:
			delete(c.ahead, k)
		case !(hb.h.Seq > ref && hb.h.Seq-ref > jump):
			delete(c.ahead, k)
			ts.order(hb, u)
		}
	}
}

// keep makes sn the held snapshot of its kind.
func (ts *TrackState) keep(sn decoded, u *Update) {
	switch sn.kind {
	case KindStandings:
		if !u.StandingsChanged {
			u.Previous = ts.Standings
		}
		ts.Standings, u.StandingsChanged = sn.standings, true
	case KindRace:
		ts.Race = sn.race
		ts.RaceAt, ts.RaceLive = sn.msg.At, !sn.msg.At.IsZero()
	case KindStatus:
		ts.Status = sn.status
	}
	if !(sn.kind == KindStatus && isWill(sn.status)) {
		ts.seq[sn.kind] = sn.h.Seq
	}
	ts.Raw[sn.kind] = sn.msg.Payload
	u.Changed = true
}

// drop forgets the held snapshot of kind k.
func (ts *TrackState) drop(k Kind, u *Update) {
	switch k {
	case KindStandings:
		if !u.StandingsChanged {
			u.Previous = ts.Standings
		}
		ts.Standings, u.StandingsChanged = nil, true
	case KindRace:
		ts.Race, ts.RaceLive = nil, false
	case KindStatus:
		ts.Status = nil
	}
	delete(ts.Raw, k)
	delete(ts.seq, k)
	u.Changed = true
}

// resetEpoch drops everything held of the superseded epoch and starts the
// ordering again under h's.
func (ts *TrackState) resetEpoch(h mqtt.Header, u *Update) {
	for _, k := range []Kind{KindStatus, KindStandings, KindRace} {
		if ts.has(k) {
			ts.drop(k, u)
		}
	}
	clear(ts.seq)
	ts.payload.reset()
	ts.status.reset()
	ts.epoch, ts.epochAt = h.Epoch, h.EpochAt
}

// isWill reports whether a status is a last will: offline, without a seq.
func isWill(s *mqtt.Status) bool { return !s.Online && s.Seq == 0 }

func (in *Inputs) track(id string) *TrackState {
	ts := in.tracks[id]
	if ts == nil {
		ts = &TrackState{ID: id, Raw: map[Kind][]byte{}, seq: map[Kind]uint64{}}
		in.tracks[id] = ts
		if in.allow == nil && !in.prefer[id] {
			in.others++
		}
	}
	return ts
}

// forgetIfEmpty removes a track that holds nothing (its first message was
// dropped or held back... unless something is held back for it).
func (in *Inputs) forgetIfEmpty(ts *TrackState) {
	if !ts.empty() || len(ts.payload.ahead) > 0 || len(ts.status.ahead) > 0 || ts.epoch != "" {
		return
	}
	delete(in.tracks, ts.ID)
	if in.allow == nil && !in.prefer[ts.ID] {
		in.others--
	}
}

// decode checks the envelope: size and version (mqtt.Decode), and that a
// payload naming a track names the one of its topic.
func decode(m Message, track string, v mqtt.Payload, h *mqtt.Header) error {
	if err := mqtt.Decode(m.Payload, v); err != nil {
		return fmt.Errorf("%s: %w", m.Topic, err)
	}
	if h.Track != "" && h.Track != track {
		return fmt.Errorf("%s: payload is for track %q", m.Topic, h.Track)
	}
	return nil
}

// checkStandings refuses standings a kiosk cannot show faithfully. The
// contract lists each racer once, best first, with competition ranks.
func checkStandings(s *mqtt.Standings) error {
	seen := make(map[string]bool, len(s.Entries))
	prevRank := 0
	var prevResult int64
	for i, e := range s.Entries {
		switch {
		case e.RacerID == "":
			return fmt.Errorf("entries[%d]: no racer_id", i)
		case seen[e.RacerID]:
			return fmt.Errorf("entries[%d]: racer %q is listed twice", i, e.RacerID)
		case e.ResultMS < 0 || e.BestMS < 0 || e.Laps < 0:
			return fmt.Errorf("entries[%d]: negative result_ms, best_ms or laps", i)
		case e.Rank < 1 || e.Rank < prevRank || e.Rank > i+1:
			return fmt.Errorf("entries[%d]: rank %d after rank %d is not a competition ranking", i, e.Rank, prevRank)
		case i > 0 && e.ResultMS < prevResult:
			return fmt.Errorf("entries[%d]: result_ms %d is better than the entry above (%d)", i, e.ResultMS, prevResult)
		}
		seen[e.RacerID] = true
		prevRank, prevResult = e.Rank, e.ResultMS
	}
	if s.RankLaps < 0 {
		return fmt.Errorf("rank_laps: %d is negative", s.RankLaps)
	}
	return nil
}

func checkRace(r *mqtt.RaceState) error {
	if r.Race == nil {
		return nil
	}
	lr := r.Race
	if lr.DurationMS < 0 || lr.ElapsedMS < 0 || lr.LapElapsedMS < 0 || lr.Resets < 0 || lr.BestMS < 0 {
		return errors.New("race: negative duration_ms, elapsed_ms, lap_elapsed_ms, resets or best_ms")
	}
	return nil
}
