package mqtt

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Version is the major version of every payload this package writes. A
// reader refuses any other major version with ErrVersion rather than guess.
const Version = 1

// MaxPayload bounds any payload pitwall reads or writes. The full standings
// of 10,000 racers encode to about 1.2 MB.
const MaxPayload = 4 << 20

// ErrVersion is wrapped when a payload's major version is not Version.
var ErrVersion = errors.New("unsupported payload version")

// Header opens every payload.
type Header struct {
	V     int    `json:"v"`
	Track string `json:"track,omitempty"`
	// Boot identifies the process lifetime that wrote the payload; Seq
	// increases across boots (it is persisted), so a reader keeps the
	// snapshot with the highest Seq and drops older or repeated ones.
	Boot string `json:"boot,omitempty"`
	Seq  uint64 `json:"seq"`
	// Epoch identifies the writer's database. Seq increases within an
	// epoch; a new epoch (a trackside whose store was replaced) restarts
	// it, so a reader that sees a new epoch resets its ordering.
	Epoch string `json:"epoch,omitempty"`
	// EpochAt is when the writer's database was created, Unix ms by a
	// synced clock (for a database created while the clock was not
	// synced: the first synced moment it was in use); 0 while unknown.
	// When a broker holds retained messages of two epochs, a reader keeps
	// the one created later, whatever order they arrive in.
	EpochAt int64 `json:"epoch_at,omitempty"`
	// At is the writer's wall clock in Unix ms, 0 while its clock is not
	// synced (Pis have no RTC).
	At int64 `json:"at,omitempty"`
}

// SensorStatus is one timing input's health as published.
type SensorStatus struct {
	Name      string `json:"name"`
	State     string `json:"state"` // connecting | ok | down
	Detail    string `json:"detail,omitempty"`
	Crossings uint64 `json:"crossings"`
	Rejects   uint64 `json:"rejects"`
	Lost      uint64 `json:"lost"`
	Chatter   uint64 `json:"chatter"`
	Reconnect uint64 `json:"reconnects"`
	// Foreign counts this input's crossings of a transponder other than
	// the one the race is bound to: recorded, never timed.
	Foreign uint64 `json:"foreign"`
}

// Status is a unit's retained status; the broker publishes the LWT form
// (Online false) when the unit vanishes.
type Status struct {
	Header
	Online         bool           `json:"online"`
	Version        string         `json:"version,omitempty"`
	ClockSynced    bool           `json:"clock_synced"`
	Sensors        []SensorStatus `json:"sensors,omitempty"`
	OutboxDepth    int            `json:"outbox_depth"`
	Foreign        uint64         `json:"foreign"`                    // crossings of transponders the race is not bound to (all inputs)
	Rejected       uint64         `json:"rejected"`                   // malformed crossings the track refused (never recorded)
	LastCrossingAt int64          `json:"last_crossing_at,omitempty"` // Unix ms, when the clock is synced
	Shows          string         `json:"shows,omitempty"`            // kiosks: what the screen shows
	Storage        *StorageStatus `json:"storage,omitempty"`          // trackside: its data partition
}

// Storage states of StorageStatus.
const (
	StorageOK   = "ok"
	StorageLow  = "low"  // below the warning level (4 × the floor): make room soon
	StorageFull = "full" // below the floor: races are not armed
)

// StorageStatus is the health of a trackside's database storage.
type StorageStatus struct {
	State        string `json:"state"` // ok | low | full
	FreeBytes    uint64 `json:"free_bytes"`
	MinFreeBytes uint64 `json:"min_free_bytes"` // the floor (storage.min_free)
	Detail       string `json:"detail,omitempty"`
	// LastWriteError is the last failed commit (disk full, I/O error) and
	// LastWriteErrorAt its Unix ms; both empty once a commit succeeds again.
	LastWriteError   string `json:"last_write_error,omitempty"`
	LastWriteErrorAt int64  `json:"last_write_error_at,omitempty"`
}

// StandingsEntry is one racer's ranked result. Public fields only.
type StandingsEntry struct {
	Rank     int    `json:"rank"`
	RacerID  string `json:"racer_id"`
	Name     string `json:"name"`
	ResultMS int64  `json:"result_ms"`       // best lap, best average or total, by Ranking
	Laps     int    `json:"laps"`            // valid laps in the race the result comes from
	BestMS   int64  `json:"best_ms"`         // best single valid lap in that race
	RaceID   string `json:"race_id"`         // race the result comes from
	Tie      bool   `json:"tie,omitempty"`   // same ResultMS as the entry above
	Track    string `json:"track,omitempty"` // filled in by kiosks merging tracks
}

// Standings is a track's full ranked board (submitted races only).
type Standings struct {
	Header
	Ranking  string           `json:"ranking"`
	RankLaps int              `json:"rank_laps,omitempty"`
	Entries  []StandingsEntry `json:"entries"`
}

// LapInfo is a lap as shown publicly.
type LapInfo struct {
	No        int   `json:"no"`
	TimeMS    int64 `json:"time_ms"`
	PenaltyMS int64 `json:"penalty_ms,omitempty"`
	Resets    int   `json:"resets,omitempty"`
	Valid     bool  `json:"valid"`
	Short     bool  `json:"short,omitempty"`
	Manual    bool  `json:"manual,omitempty"`
	DNF       bool  `json:"dnf,omitempty"`
	Deleted   bool  `json:"deleted,omitempty"`
	// HostTimed: the lap spans a restart or reconnect of the decoder, so
	// its time is partly host arrival time, not the decoder's clock.
	HostTimed bool `json:"host_timed,omitempty"`
	// Review: host-timed and not yet edited or deleted by an official.
	Review bool `json:"review,omitempty"`
}

// LiveRace is the race in progress on a track.
type LiveRace struct {
	ID         string `json:"id"`
	RacerID    string `json:"racer_id"`
	Name       string `json:"name"`
	Run        int    `json:"run"`
	State      string `json:"state"`
	DurationMS int64  `json:"duration_ms"`
	// ElapsedMS and LapElapsedMS are as of Header.Seq's publication; a
	// reader with Running set extrapolates them with its own clock.
	ElapsedMS    int64     `json:"elapsed_ms"`
	LapElapsedMS int64     `json:"lap_elapsed_ms"`
	Running      bool      `json:"running"`
	Resets       int       `json:"resets"` // on the lap in progress
	BestMS       int64     `json:"best_ms,omitempty"`
	Laps         []LapInfo `json:"laps"`
	// Transponder the race is bound to ("" until bound): crossings of
	// other transponders do not time it. Binding is "preset" (the racer's
	// transponder or an official's choice) or "learned" (the first
	// transponder that crossed after the load).
	Transponder string `json:"transponder,omitempty"`
	Binding     string `json:"binding,omitempty"`
	// Review counts the laps an official should review (LapInfo.Review).
	Review int `json:"review,omitempty"`
}

// RaceState is a track's retained current race (nil Race: none) and queue.
type RaceState struct {
	Header
	Race  *LiveRace `json:"race,omitempty"`
	Queue []string  `json:"queue,omitempty"` // display names of queued racers
}

// LapEvent is published (not retained) each time a lap is recorded or changed.
type LapEvent struct {
	Header
	ID      string  `json:"id"` // "{race id}/{lap seq}", stable across changes (Lap.No is not: see race.AddLap)
	RaceID  string  `json:"race_id"`
	RacerID string  `json:"racer_id"`
	Name    string  `json:"name"`
	Change  string  `json:"change"` // recorded | changed
	Lap     LapInfo `json:"lap"`
}

// Encode marshals a payload after stamping its version.
func Encode(v interface{ setVersion() }) ([]byte, error) {
	v.setVersion()
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("encode payload: %d bytes exceeds the %d byte limit", len(b), MaxPayload)
	}
	return b, nil
}

func (h *Header) setVersion() { h.V = Version }

// Decode unmarshals a payload into v, refusing oversized payloads and other
// major versions with an error that says which. v must embed Header (every
// payload type does). The payload is parsed once: the version is checked on
// the decoded header, and only a payload that fails to decode is parsed
// again for its version, so the error names a version mismatch rather than
// a field. On error, v may be partly filled: decode into a fresh value.
func Decode(b []byte, v Payload) error {
	if len(b) > MaxPayload {
		return fmt.Errorf("payload of %d bytes exceeds the %d byte limit", len(b), MaxPayload)
	}
	*v.version() = 0
	if err := json.Unmarshal(b, v); err != nil {
		var h struct {
			V *int `json:"v"`
		}
		if json.Unmarshal(b, &h) == nil && h.V != nil && *h.V != Version {
			return fmt.Errorf("decode payload: v=%d, this build reads v=%d: %w", *h.V, Version, ErrVersion)
		}
		return fmt.Errorf("decode payload: %w", err)
	}
	switch got := *v.version(); got {
	case Version:
		return nil
	case 0:
		return fmt.Errorf("decode payload: no \"v\" field: %w", ErrVersion)
	default:
		return fmt.Errorf("decode payload: v=%d, this build reads v=%d: %w", got, Version, ErrVersion)
	}
}

// Payload is any pitwall payload type: a pointer to a struct embedding Header.
type Payload interface{ version() *int }

func (h *Header) version() *int { return &h.V }
