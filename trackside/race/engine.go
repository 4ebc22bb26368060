package race

import (
	"errors"
	"fmt"
	"strings"
)

// Engine is the timekeeper of one track: the race on it, the queue of
// racers waiting, and the counters that keep race ids and lap order unique.
// It is not safe for concurrent use; the trackside app serialises calls, and
// persists Snapshot together with every Effect it applies.
type Engine struct {
	track    string
	cfg      Config
	cur      *Race
	queue    []string
	nextRace uint64
	nextSeq  uint64
	// runs counts the started races of each racer, the current one included
	// once it has started. It is not in the Snapshot (it would grow with the
	// event): the app rebuilds it from the stored races on Restore.
	runs map[string]int
	// seen is the latest clock reading the engine was given (Tick): where
	// the clock was when the unit last committed, so a unit restarted on a
	// new boot can go on from there (LastReading).
	seen int64
}

// Snapshot is what the store persists in the same transaction as every
// change. It stays small: the current race, the queue and the counters.
type Snapshot struct {
	Track    string   `json:"track"`
	Config   Config   `json:"config"`
	Current  *Race    `json:"current,omitempty"`
	Queue    []string `json:"queue"`
	NextRace uint64   `json:"next_race"`
	NextSeq  uint64   `json:"next_seq"`
	// Seen is the latest clock reading the engine was given (0 in
	// snapshots written before it was kept).
	Seen int64 `json:"seen_ns,omitempty"`
}

// Effect tells the caller what to persist and publish after a call.
type Effect struct {
	Race     *Race  // the race after the change (deep copy), nil if nothing changed
	Recorded []int  // lap numbers newly recorded
	Changed  []int  // lap numbers whose data changed (edit, toggle, delete, restore, merge)
	Started  bool   // the race clock started in this call
	Ended    bool   // the race became Over in this call
	Warning  string // something the official should see, e.g. a crossing that was ignored
	// Foreign: the crossing was of a transponder other than the one the
	// race is bound to, and was ignored.
	Foreign bool
}

// ErrMaxRuns is wrapped by Load when a racer has used all runs and the event
// enforces the limit.
var ErrMaxRuns = errors.New("max runs reached")

// StateError is returned for an action the race's state does not allow.
// Its text names the action and the state: "pause: race is over".
type StateError struct {
	Action string
	State  State // "" when no race is loaded
}

func (e *StateError) Error() string {
	if e.State == "" {
		return e.Action + ": no race loaded"
	}
	return fmt.Sprintf("%s: race is %s", e.Action, e.State)
}

// NewEngine returns the engine of track with no race and an empty queue.
func NewEngine(track string, cfg Config) (*Engine, error) {
	if err := validTrack(track); err != nil {
		return nil, fmt.Errorf("new engine: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new engine for track %q: config: %w", track, err)
	}
	return &Engine{track: track, cfg: cfg, nextRace: 1, nextSeq: 1, runs: map[string]int{}}, nil
}

// validTrack refuses track names that cannot be part of an MQTT topic or a
// race id. The app applies the stricter topic rules of package mqtt.
func validTrack(track string) error {
	if track == "" {
		return errors.New("track is empty")
	}
	if strings.ContainsAny(track, "/+#\x00 \t\r\n") {
		return fmt.Errorf("track %q contains '/', '+', '#', NUL or whitespace", track)
	}
	return nil
}

// Track is the track this engine times.
func (e *Engine) Track() string { return e.track }

// Config is the configuration new races are created with.
func (e *Engine) Config() Config { return e.cfg }

// SetConfig changes the configuration of races loaded from now on; a race
// already loaded keeps the config it was created with.
func (e *Engine) SetConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("set config: %w", err)
	}
	e.cfg = cfg
	return nil
}

// Current is a copy of the race on the track (also once it is Submitted or
// Discarded, until the next Load), or nil.
func (e *Engine) Current() *Race { return e.cur.clone() }

// CurrentID is the current race's id ("" when none), without the copy
// Current makes: the writer asks it for every effect it records.
func (e *Engine) CurrentID() string {
	if e.cur == nil {
		return ""
	}
	return e.cur.ID
}

// Runs is how many started races the engine counts for racerID.
func (e *Engine) Runs(racerID string) int { return e.runs[racerID] }

// RunCounts returns a copy of every racer's runs so far.
func (e *Engine) RunCounts() map[string]int {
	m := make(map[string]int, len(e.runs))
	for id, n := range e.runs {
		m[id] = n
	}
	return m
}

// MoveRun moves one counted run from racer from to racer to: the app
// reassigned a started race that is not the current one (Correct does this
// itself for the current race).
func (e *Engine) MoveRun(from, to string) {
	if e.runs[from] > 0 {
		e.runs[from]--
	}
	e.runs[to]++
}

// TakeSeq reserves the next lap sequence number, for AddLap on a race the
// app corrects outside the engine. Persist the Snapshot afterwards.
func (e *Engine) TakeSeq() uint64 {
	s := e.nextSeq
	e.nextSeq++
	return s
}

// Snapshot is a deep copy of the engine's persistent state.
func (e *Engine) Snapshot() Snapshot {
	return Snapshot{
		Track:    e.track,
		Config:   e.cfg,
		Current:  e.cur.clone(),
		Queue:    append([]string{}, e.queue...),
		NextRace: e.nextRace,
		NextSeq:  e.nextSeq,
		Seen:     e.seen,
	}
}

// Restore rebuilds an engine from a Snapshot. runs is the number of started
// races per racer as the app counts them in its store (RunCounts); whether
// it includes the snapshot's current race or not, the engine counts that
// race once if it has started.
func Restore(s Snapshot, runs map[string]int) (*Engine, error) {
	e, err := NewEngine(s.Track, s.Config)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if s.NextRace < 1 || s.NextSeq < 1 {
		return nil, fmt.Errorf("restore track %q: next_race %d and next_seq %d must be at least 1", s.Track, s.NextRace, s.NextSeq)
	}
	seen := map[string]bool{}
	for i, id := range s.Queue {
		if id == "" {
			return nil, fmt.Errorf("restore track %q: queue entry %d is empty", s.Track, i)
		}
		if seen[id] {
			return nil, fmt.Errorf("restore track %q: racer %q is queued twice", s.Track, id)
		}
		seen[id] = true
	}
	if s.Current != nil {
		if err := checkRace(s.Current, s.Track, s.NextSeq); err != nil {
			return nil, fmt.Errorf("restore track %q: current race: %w", s.Track, err)
		}
	}
	e.cur = s.Current.clone()
	e.queue = append([]string{}, s.Queue...)
	e.nextRace, e.nextSeq = s.NextRace, s.NextSeq
	if s.Seen < 0 {
		return nil, fmt.Errorf("restore track %q: seen_ns %d is negative", s.Track, s.Seen)
	}
	e.seen = s.Seen
	e.setRuns(runs)
	return e, nil
}

// SetRuns replaces the run counts, for instance after the app reassigned a
// stored race to another racer. Same meaning as Restore's runs.
func (e *Engine) SetRuns(runs map[string]int) { e.setRuns(runs) }

func (e *Engine) setRuns(runs map[string]int) {
	e.runs = make(map[string]int, len(runs))
	for id, n := range runs {
		if n > 0 {
			e.runs[id] = n
		}
	}
	// The current race's Run is its racer's count at load plus one, so the
	// maximum counts it exactly once whether or not runs included it.
	if r := e.cur; r != nil && r.Started() {
		e.runs[r.RacerID] = max(e.runs[r.RacerID], r.Run)
	}
}

// checkRace refuses a persisted race the engine could not continue safely.
func checkRace(r *Race, track string, nextSeq uint64) error {
	switch {
	case r.ID == "":
		return errors.New("id is empty")
	case r.Track != track:
		return fmt.Errorf("race %s is of track %q", r.ID, r.Track)
	case r.RacerID == "":
		return fmt.Errorf("race %s has no racer", r.ID)
	case r.Run < 1:
		return fmt.Errorf("race %s: run %d is below 1", r.ID, r.Run)
	case r.StartNS < 0 || r.LastCrossNS < 0 || r.PausedAtNS < 0 || r.PausedNS < 0 || r.EndNS < 0:
		return fmt.Errorf("race %s has a negative clock stamp", r.ID)
	case r.Resets < 0:
		return fmt.Errorf("race %s: resets %d is negative", r.ID, r.Resets)
	}
	switch r.State {
	case Ready, Running, Paused, Over, Submitted, Discarded:
	default:
		return fmt.Errorf("race %s: unknown state %q", r.ID, r.State)
	}
	switch {
	case r.Binding != "" && r.Binding != BoundPreset && r.Binding != BoundLearned:
		return fmt.Errorf("race %s: unknown transponder binding %q", r.ID, r.Binding)
	case (r.Transponder == "") != (r.Binding == ""):
		return fmt.Errorf("race %s: transponder %q with binding %q", r.ID, r.Transponder, r.Binding)
	}
	if err := r.Config.Validate(); err != nil {
		return fmt.Errorf("race %s: config: %w", r.ID, err)
	}
	for i, l := range r.Laps {
		if l.No != i+1 {
			return fmt.Errorf("race %s: lap %d is numbered %d", r.ID, i+1, l.No)
		}
		if l.Seq >= nextSeq {
			return fmt.Errorf("race %s: lap %d has seq %d, not below next_seq %d", r.ID, l.No, l.Seq, nextSeq)
		}
	}
	return nil
}

// Started reports whether the race clock ever ran: such a race counts as one
// of its racer's runs, whatever became of it.
func (r *Race) Started() bool { return r.StartNS != 0 }

// RunCounts counts the started races of each racer, the way the engine does.
func RunCounts(races []Race) map[string]int {
	runs := map[string]int{}
	for i := range races {
		if races[i].Started() {
			runs[races[i].RacerID]++
		}
	}
	return runs
}

// clone is a deep copy (nil stays nil).
func (r *Race) clone() *Race {
	if r == nil {
		return nil
	}
	c := *r
	c.Laps = append(make([]Lap, 0, len(r.Laps)), r.Laps...)
	return &c
}

// changed is the Effect of a call that changed the current race.
func (e *Engine) changed(eff Effect) Effect {
	eff.Race = e.cur.clone()
	return eff
}

// active returns the current race if its state is one of states, else a
// StateError for action.
func (e *Engine) active(action string, states ...State) (*Race, error) {
	if e.cur == nil {
		return nil, &StateError{Action: action}
	}
	for _, s := range states {
		if e.cur.State == s {
			return e.cur, nil
		}
	}
	return nil, &StateError{Action: action, State: e.cur.State}
}

// checkNow refuses a stamp that cannot be a monotonic clock reading.
func checkNow(action string, now int64) error {
	if now <= 0 {
		return fmt.Errorf("%s: time %d ns is not a monotonic stamp (must be positive)", action, now)
	}
	return nil
}
