package kiosk

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

	// seq is the highest sequence number seen per kind. A trackside's LWT
	// carries seq 0 and never lowers it.
	seq map[Kind]uint64
	// epoch is the trackside database the seqs count in (mqtt.Header.Epoch).
	epoch string
}

// adoptEpoch resets the ordering of a track whose snapshots now come from a
// new database (a trackside whose store was replaced restarts its seq), and
// returns the seq to compare against.
func (ts *TrackState) adoptEpoch(epoch string, held uint64) uint64 {
	if ts == nil || epoch == "" {
		return held
	}
	if ts.epoch != "" && ts.epoch != epoch {
		clear(ts.seq)
		held = 0
	}
	ts.epoch = epoch
	return held
}

// Update says what applying a message changed.
type Update struct {
	Track string
	Kind  Kind
	// Changed is false for a duplicate or stale snapshot, which is dropped.
	Changed bool
	// Previous is the track's standings before this update (nil: none
	// were held, so nothing can be called new or improved).
	Previous *mqtt.Standings
}

// ErrIgnored is wrapped when a message is for a track this kiosk does not
// show; it is not counted as a bad payload.
var ErrIgnored = errors.New("track not shown on this kiosk")

// Inputs holds every track's latest retained state. It is not safe for
// concurrent use: the kiosk's own goroutine owns it.
//
// Ordering: each snapshot carries a Seq that, by contract, increases
// across the writer's restarts (it is persisted in the trackside's store).
// The kiosk keeps the highest Seq per track and kind and drops lower or
// equal ones, whatever their Boot: a lower Seq from a different boot is a
// late delivery of an older snapshot (paho delivers concurrently, and an
// outbox drained after a reboot still holds the previous boot's payloads).
// A trackside whose store was replaced starts again at low Seq numbers
// under a new Epoch; a new epoch resets the track's ordering.
type Inputs struct {
	tracks map[string]*TrackState
	// allow, when set, limits the tracks taken; order is the configured
	// display order (else tracks are shown by id).
	allow map[string]bool
	order []string
}

// NewInputs returns empty inputs taking only the listed tracks, in that
// display order, or every track (ordered by id) when tracks is empty.
func NewInputs(tracks []string) *Inputs {
	in := &Inputs{tracks: map[string]*TrackState{}}
	if len(tracks) > 0 {
		in.allow = map[string]bool{}
		for _, t := range tracks {
			in.allow[t] = true
		}
		in.order = append([]string(nil), tracks...)
	}
	return in
}

// Track returns the state of a track, or nil when nothing was received.
func (in *Inputs) Track(id string) *TrackState { return in.tracks[id] }

// Order lists the tracks that have any state, in display order.
func (in *Inputs) Order() []string {
	if in.allow != nil {
		out := make([]string, 0, len(in.order))
		for _, t := range in.order {
			if in.tracks[t] != nil {
				out = append(out, t)
			}
		}
		return out
	}
	out := make([]string, 0, len(in.tracks))
	for t := range in.tracks {
		out = append(out, t)
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
	if in.allow != nil && !in.allow[track] {
		return u, fmt.Errorf("%s: %w", m.Topic, ErrIgnored)
	}
	ts := in.tracks[track]
	var held uint64
	if ts != nil {
		held = ts.seq[kind]
	}
	switch kind {
	case KindStandings:
		var s mqtt.Standings
		if err := decode(m, track, &s, &s.Header); err != nil {
			return u, err
		}
		if err := checkStandings(&s); err != nil {
			return u, fmt.Errorf("%s: %w", m.Topic, err)
		}
		held = ts.adoptEpoch(s.Epoch, held)
		if ts != nil && ts.Standings != nil && s.Seq <= held {
			return u, nil
		}
		ts = in.track(track)
		u.Previous = ts.Standings
		ts.Standings = &s
		ts.seq[kind] = s.Seq
	case KindRace:
		var r mqtt.RaceState
		if err := decode(m, track, &r, &r.Header); err != nil {
			return u, err
		}
		if err := checkRace(&r); err != nil {
			return u, fmt.Errorf("%s: %w", m.Topic, err)
		}
		held = ts.adoptEpoch(r.Epoch, held)
		if ts != nil && ts.Race != nil && r.Seq <= held {
			// The broker repeating the snapshot the cache holds confirms
			// it is still current: show it from now on.
			if r.Seq == held && !ts.RaceLive && !m.At.IsZero() {
				ts.RaceAt, ts.RaceLive = m.At, true
				u.Changed = true
			}
			return u, nil
		}
		ts = in.track(track)
		ts.Race = &r
		ts.RaceAt, ts.RaceLive = m.At, !m.At.IsZero()
		ts.seq[kind] = r.Seq
	case KindStatus:
		var s mqtt.Status
		if err := decode(m, track, &s, &s.Header); err != nil {
			return u, err
		}
		var cur *mqtt.Status
		if ts != nil {
			cur = ts.Status
		}
		if !isWill(&s) {
			held = ts.adoptEpoch(s.Epoch, held)
		}
		if isWill(&s) {
			// The LWT is encoded when the trackside connects, with seq 0,
			// so it cannot be ordered by seq. It says the connection of
			// its boot died: current unless the status held is already
			// offline, or online from another boot (a restarted trackside
			// reconnects before the broker gives up on the old
			// connection, whose LWT then arrives late).
			if cur != nil && (!cur.Online || (cur.Boot != "" && cur.Boot != s.Boot)) {
				return u, nil
			}
		} else if cur != nil && s.Seq <= held {
			return u, nil
		}
		ts = in.track(track)
		ts.Status = &s
		if s.Seq > ts.seq[kind] {
			ts.seq[kind] = s.Seq
		}
	}
	if ts.epoch == "" {
		ts.epoch = headerEpoch(kind, ts)
	}
	ts.Raw[kind] = m.Payload
	u.Changed = true
	return u, nil
}

// headerEpoch is the epoch of the snapshot of kind just kept.
func headerEpoch(kind Kind, ts *TrackState) string {
	switch {
	case kind == KindStandings && ts.Standings != nil:
		return ts.Standings.Epoch
	case kind == KindRace && ts.Race != nil:
		return ts.Race.Epoch
	case kind == KindStatus && ts.Status != nil:
		return ts.Status.Epoch
	}
	return ""
}

// isWill reports whether a status is a last will: offline, without a seq.
func isWill(s *mqtt.Status) bool { return !s.Online && s.Seq == 0 }

func (in *Inputs) track(id string) *TrackState {
	ts := in.tracks[id]
	if ts == nil {
		ts = &TrackState{ID: id, Raw: map[Kind][]byte{}, seq: map[Kind]uint64{}}
		in.tracks[id] = ts
	}
	return ts
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
