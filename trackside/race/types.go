// Package race is the timekeeper: pure rules that turn crossings and the
// official's actions into laps and race state (docs/rules.md describes them).
// It does no I/O and reads no clock: every call carries the monotonic time
// it happens at, so the same inputs always give the same race.
package race

import (
	"fmt"
	"strconv"
	"time"
)

// State of a race. Ready → Running ⇄ Paused → Over → Submitted | Discarded.
type State string

const (
	Ready     State = "ready"
	Running   State = "running"
	Paused    State = "paused"
	Over      State = "over"
	Submitted State = "submitted"
	Discarded State = "discarded"
)

// Final reports whether the race can no longer change by timing (only by
// corrections).
func (s State) Final() bool { return s == Submitted || s == Discarded }

// StartMode says what starts the race clock.
type StartMode string

const (
	StartOnCrossing StartMode = "crossing" // default: the car's first crossing starts the clock, records no lap
	StartByOfficial StartMode = "official" // the official's Start starts the clock
)

// ExpiryMode says what happens when race time runs out.
type ExpiryMode string

const (
	FinishLap ExpiryMode = "finish-lap" // default: the next crossing closes the lap in progress and ends the race
	HardStop  ExpiryMode = "hard-stop"  // the race ends at expiry; the lap in progress is not recorded
	Grace     ExpiryMode = "grace"      // a crossing within Grace after expiry closes the lap; then the race ends
)

// ResetMode says what off-track resets cost.
type ResetMode string

const (
	ResetsInvalidate ResetMode = "invalidate" // default: a lap with more than MaxResetsPerLap resets is invalid
	ResetsPenalty    ResetMode = "penalty"    // each reset adds ResetPenalty to the lap time
)

// Ranking is how the standings rank racers.
type Ranking string

const (
	BestLap     Ranking = "best-lap"     // default: best single valid lap
	BestAverage Ranking = "best-average" // best average of RankLaps consecutive valid laps of one race
	TotalTime   Ranking = "total-time"   // total time of the first RankLaps valid laps of one race
)

// Unlimited is the value of MaxResetsPerLap / MaxRuns that sets no limit.
const Unlimited = -1

// Config is the event's race rules. It is snapshotted into a race when the
// race is created, so a config change never alters a race in progress.
type Config struct {
	Duration        time.Duration `json:"duration"`           // race time, 1–10 min
	StartMode       StartMode     `json:"start_mode"`         // what starts the clock
	Expiry          ExpiryMode    `json:"expiry"`             // what happens at expiry
	Grace           time.Duration `json:"grace,omitempty"`    // for Expiry == Grace
	CrossingResumes bool          `json:"crossing_resumes"`   // a crossing while paused resumes the race
	ResetMode       ResetMode     `json:"reset_mode"`         // invalidate or penalty
	MaxResetsPerLap int           `json:"max_resets_per_lap"` // 0–10 or Unlimited (ResetsInvalidate)
	ResetPenalty    time.Duration `json:"reset_penalty"`      // per reset (ResetsPenalty)
	MinLap          time.Duration `json:"min_lap"`            // shorter laps are kept, flagged Short, not counted
	MaxRuns         int           `json:"max_runs"`           // 1–5 or Unlimited
	EnforceMaxRuns  bool          `json:"enforce_max_runs"`   // refuse (true) or only warn (false)
	Ranking         Ranking       `json:"ranking"`
	RankLaps        int           `json:"rank_laps"` // N for BestAverage (3–7) and TotalTime
}

// DefaultConfig is what DeepRacer event staff expect out of the box.
func DefaultConfig() Config {
	return Config{
		Duration:        3 * time.Minute,
		StartMode:       StartOnCrossing,
		Expiry:          FinishLap,
		CrossingResumes: true,
		ResetMode:       ResetsInvalidate,
		MaxResetsPerLap: 3,
		ResetPenalty:    2 * time.Second,
		MinLap:          3 * time.Second,
		MaxRuns:         Unlimited,
		Ranking:         BestLap,
		RankLaps:        3,
	}
}

// Validate reports the first field out of range, named as in the config file.
func (c Config) Validate() error {
	switch {
	case c.Duration < time.Minute || c.Duration > 10*time.Minute:
		return fmt.Errorf("duration: %v is outside 1m..10m", c.Duration)
	case c.StartMode != StartOnCrossing && c.StartMode != StartByOfficial:
		return fmt.Errorf("start_mode: %q is not %q or %q", c.StartMode, StartOnCrossing, StartByOfficial)
	case c.Expiry != FinishLap && c.Expiry != HardStop && c.Expiry != Grace:
		return fmt.Errorf("expiry: %q is not %q, %q or %q", c.Expiry, FinishLap, HardStop, Grace)
	case c.Expiry == Grace && (c.Grace <= 0 || c.Grace > 5*time.Minute):
		return fmt.Errorf("grace: %v must be in (0, 5m] when expiry is %q", c.Grace, Grace)
	case c.ResetMode != ResetsInvalidate && c.ResetMode != ResetsPenalty:
		return fmt.Errorf("reset_mode: %q is not %q or %q", c.ResetMode, ResetsInvalidate, ResetsPenalty)
	case c.MaxResetsPerLap != Unlimited && (c.MaxResetsPerLap < 0 || c.MaxResetsPerLap > 10):
		return fmt.Errorf("max_resets_per_lap: %d is outside 0..10 (or -1 for unlimited)", c.MaxResetsPerLap)
	case c.ResetPenalty < 0 || c.ResetPenalty > time.Minute:
		return fmt.Errorf("reset_penalty: %v is outside 0..1m", c.ResetPenalty)
	case c.MinLap < 0 || c.MinLap > time.Minute:
		return fmt.Errorf("min_lap: %v is outside 0..1m", c.MinLap)
	case c.MaxRuns != Unlimited && (c.MaxRuns < 1 || c.MaxRuns > 5):
		return fmt.Errorf("max_runs: %d is outside 1..5 (or -1 for unlimited)", c.MaxRuns)
	case c.Ranking != BestLap && c.Ranking != BestAverage && c.Ranking != TotalTime:
		return fmt.Errorf("ranking: %q is not %q, %q or %q", c.Ranking, BestLap, BestAverage, TotalTime)
	case c.Ranking == BestAverage && (c.RankLaps < 3 || c.RankLaps > 7):
		return fmt.Errorf("rank_laps: %d is outside 3..7 for ranking %q", c.RankLaps, c.Ranking)
	case c.Ranking == TotalTime && (c.RankLaps < 1 || c.RankLaps > 100):
		return fmt.Errorf("rank_laps: %d is outside 1..100 for ranking %q", c.RankLaps, c.Ranking)
	}
	return nil
}

// Racer is a person who races. Email and Phone are personal data: they are
// stored, exported to admins, and never published.
type Racer struct {
	ID    string `json:"id"`
	Name  string `json:"name"` // display name shown on boards
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// FullName (private, like Email and Phone) and Country (public, ISO
	// 3166-1 alpha-2) are set by admins.
	FullName     string `json:"full_name,omitempty"`
	Country      string `json:"country,omitempty"`
	Disqualified bool   `json:"disqualified,omitempty"`
	// Transponder is the id of the transponder on the car this racer
	// drives, as the decoder reports it ("" when unknown). A race loaded
	// for the racer is bound to it; see Race.Transponder.
	Transponder string `json:"transponder,omitempty"`
}

// Lap is one lap of a race. Laps are never removed from a race: deletion is
// a flag, so every change can be audited and undone.
type Lap struct {
	No      int           `json:"no"`                // 1-based, stable within the race
	StartNS int64         `json:"start_ns"`          // monotonic stamp of the crossing that opened it
	EndNS   int64         `json:"end_ns"`            // monotonic stamp of the crossing that closed it
	Time    time.Duration `json:"time"`              // measured (or corrected) lap time, without penalty
	Penalty time.Duration `json:"penalty,omitempty"` // reset penalties (ResetsPenalty)
	Resets  int           `json:"resets,omitempty"`
	Valid   bool          `json:"valid"`             // by the rules or by the official's toggle
	Short   bool          `json:"short,omitempty"`   // under MinLap: kept, not counted
	Manual  bool          `json:"manual,omitempty"`  // captured by hand by the official
	DNF     bool          `json:"dnf,omitempty"`     // closed by DNF
	Deleted bool          `json:"deleted,omitempty"` // soft-deleted correction
	Edited  bool          `json:"edited,omitempty"`  // time corrected after the fact
	// HostTimed marks a lap whose closing crossing came after the
	// decoder's clock was placed anew on the host timeline (a decoder
	// restart or reconnect mid-lap): its time is partly host arrival
	// time, not the decoder's own, and an official should review it.
	HostTimed bool   `json:"host_timed,omitempty"`
	Seq       uint64 `json:"seq"` // engine-wide recording order: ties rank the earlier one higher
}

// EventID names lap l of race raceID on the wire: "{race}/{seq}". It uses
// the lap's seq, not its number, because a missed lap added before it moves
// its number up (AddLap) while it stays the same lap.
func (l Lap) EventID(raceID string) string { return raceID + "/" + strconv.FormatUint(l.Seq, 10) }

// Counts reports whether the lap counts for ranking.
func (l Lap) Counts() bool { return l.Valid && !l.Short && !l.Deleted }

// Total is the lap's time for ranking: measured time plus penalties.
func (l Lap) Total() time.Duration { return l.Time + l.Penalty }

// EndReason says why a race became Over.
type EndReason string

const (
	EndByOfficial EndReason = "official" // End
	EndByExpiry   EndReason = "expiry"   // race time ran out (HardStop at expiry, Grace at expiry+Grace)
	EndByLap      EndReason = "lap"      // the lap in progress closed after expiry (FinishLap, Grace)
	EndByDNF      EndReason = "dnf"      // DNF after expiry closed the last lap
)

// Race is one racer's run.
type Race struct {
	ID      string `json:"id"`
	Track   string `json:"track"`
	RacerID string `json:"racer_id"`
	Run     int    `json:"run"` // 1 for the racer's first run on this event
	State   State  `json:"state"`
	Config  Config `json:"config"`
	// Clock, all monotonic ns. StartNS is 0 until the race starts.
	StartNS     int64 `json:"start_ns,omitempty"`
	LastCrossNS int64 `json:"last_cross_ns,omitempty"` // stamp that opened the lap in progress
	PausedAtNS  int64 `json:"paused_at_ns,omitempty"`  // when the current pause began
	PausedNS    int64 `json:"paused_ns,omitempty"`     // total paused time so far
	EndNS       int64 `json:"end_ns,omitempty"`        // when the race became Over
	LoadedNS    int64 `json:"loaded_ns,omitempty"`     // when the race was loaded: earlier crossings are not its own
	// EndReason says why the race became Over ("" while it is not).
	EndReason EndReason `json:"end_reason,omitempty"`
	// Resets counted on the lap in progress.
	Resets int `json:"resets,omitempty"`
	// OpenHostTimed: the lap in progress already spans a decoder clock
	// re-anchoring (a host-timed crossing closed only a short lap), so
	// the lap that closes it is host-timed too.
	OpenHostTimed bool   `json:"open_host_timed,omitempty"`
	Laps          []Lap  `json:"laps"`
	Note          string `json:"note,omitempty"` // e.g. "max runs exceeded" warning
	// Transponder is the transponder whose crossings time this race; the
	// crossings of any other transponder are foreign and never become
	// laps. Crossings without a transponder (beam breaks, pressure
	// strips) always count. "" until it is bound.
	Transponder string `json:"transponder,omitempty"`
	// Binding says how Transponder was bound: preset (the racer's, or set
	// by an official before the start) or learned (the first transponder
	// that crossed after the race was loaded). "" while unbound.
	Binding Binding `json:"binding,omitempty"`
}

// Binding says how a race's transponder was bound.
type Binding string

const (
	BoundPreset  Binding = "preset"  // the racer's transponder, or an official's choice
	BoundLearned Binding = "learned" // the first transponder that crossed after the load
)

// Review reports whether the lap needs an official's look before its
// time can be trusted like a decoder lap: it is host-timed and no official
// has corrected or deleted it yet.
func (l Lap) Review() bool { return l.HostTimed && !l.Edited && !l.Deleted }
