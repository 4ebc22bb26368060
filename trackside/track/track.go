// Package track runs one timed track: it is the single writer that takes
// crossings from the sensors and actions from the officials and admins,
// applies them to the race engine, and records each batch — crossings,
// their effects, audit entries and the outbound MQTT messages — in ONE
// fsynced bbolt transaction before anyone is told it happened.
package track

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"pitwall/internal/heartbeat"
	"pitwall/internal/monoclock"
	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/standings"
	"pitwall/trackside/store"
)

// Config of a Track.
type Config struct {
	ID    string       // track id, as in topics
	Store *store.Store // opened by the caller
	Rules race.Config  // used when the store holds no engine snapshot yet
	Boot  string       // boot id stamped on payloads
	Clock func() int64 // host monotonic ns; default MonoNow
	// ClockBoot names Clock's timeline (monoclock.Boot), so that a store
	// last used on another boot goes on from where its clock stopped
	// (timeline.go). Default with Clock nil: the kernel's boot id. With a
	// Clock of the caller's own and no ClockBoot, stamps are taken as they
	// are.
	ClockBoot string
	Tick      time.Duration // race clock tick (expiry, live race state), default 100ms
	Batch     int           // most requests per transaction (group commit), default 256
	Logger    *slog.Logger
	// LivePeriod is how often the retained race state is refreshed while a
	// race runs, so late joiners see a fresh clock; default 5s (kiosks
	// extrapolate between updates).
	LivePeriod time.Duration
}

// ErrStopped is returned to requests made after the Track stopped.
var ErrStopped = errors.New("track stopped")

// request is one unit of work for the writer: crossings (in order) or an action.
type request struct {
	crossings []crossing.Crossing
	act       *action
	done      chan result
}

type result struct {
	eff race.Effect
	err error
}

// Track is one timed track. Create it with Open, run it with Run.
type Track struct {
	cfg  Config
	beat heartbeat.Beat // one mark per pass of the writer loop (the watchdog)
	log  *slog.Logger
	st   *store.Store
	reqs chan request

	// Owned by the writer goroutine (Run) once it starts.
	eng    *race.Engine
	board  *standings.Board
	racers map[string]racerInfo // names and disqualification, for payloads and the board

	// offset places Clock on the track's timeline (timeline.go); set in
	// Open, never changed after.
	offset int64

	mu       sync.Mutex // guards the fields below, read by Health and views
	last     crossing.Crossing
	lastAt   time.Time
	recorded uint64
	rejected uint64            // crossings refused as malformed (never recorded)
	foreign  map[string]uint64 // recorded crossings of a transponder the race is not bound to, by source
	live     *race.Race
	rules    race.Config    // the engine's, for views
	runs     map[string]int // racer → runs started, replaced (never changed) when a run starts or moves
	// Last payloads built, for local views (demo table, console).
	lastRace      mqtt.RaceState
	lastStandings mqtt.Standings
	runErr        error
	done          chan struct{}
	noSpace       uint64                       // commits rolled back for lack of space (armguard.go)
	armGuard      atomic.Pointer[func() error] // refuses arming a race (armguard.go)
}

type racerInfo struct {
	name        string
	dq          bool
	transponder string // bound to the racer's races at load
}

// Open recovers the track's state from the store: the engine snapshot, the
// run counts and the standings of every stored race.
func Open(cfg Config) (*Track, error) {
	if cfg.Store == nil {
		return nil, errors.New("track: no store")
	}
	var bootErr error
	if cfg.Clock == nil {
		cfg.Clock = MonoNow
		if cfg.ClockBoot == "" {
			cfg.ClockBoot, bootErr = monoclock.Boot()
		}
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.LivePeriod <= 0 {
		cfg.LivePeriod = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	t := &Track{
		cfg:     cfg,
		log:     cfg.Logger.With("track", cfg.ID),
		st:      cfg.Store,
		reqs:    make(chan request, 1024),
		racers:  make(map[string]racerInfo),
		foreign: make(map[string]uint64),
		done:    make(chan struct{}),
	}
	if err := t.recover(); err != nil {
		return nil, fmt.Errorf("track %s: recover from %s: %w", cfg.ID, cfg.Store.Path(), err)
	}
	if bootErr != nil {
		t.log.Warn("the clock's boot is unknown: a race running at a power cut may not be timed after it", "err", bootErr)
	}
	if err := t.joinTimeline(); err != nil {
		return nil, fmt.Errorf("track %s: %w", cfg.ID, err)
	}
	return t, nil
}

// Sink is the crossing.Sink for this track's sources: it returns once the
// crossing is committed to disk. A malformed crossing (store.ValidateCrossing)
// is refused alone with an error wrapping crossing.ErrRejected, and counted.
func (t *Track) Sink(ctx context.Context, c crossing.Crossing) error {
	_, err := t.submit(ctx, request{crossings: []crossing.Crossing{c}})
	return err
}

// SinkBatch records several crossings of one source, in order, and returns
// once all are committed: a decoder that delivers a burst (P3 sends several
// records per TCP read) pays for one fsync, not one per crossing. If one of
// them is malformed, none is recorded and the error (crossing.ErrRejected)
// names it.
func (t *Track) SinkBatch(ctx context.Context, cs []crossing.Crossing) error {
	if len(cs) == 0 {
		return nil
	}
	_, err := t.submit(ctx, request{crossings: cs})
	return err
}

var _ crossing.Sink = (*Track)(nil).Sink

func (t *Track) submit(ctx context.Context, r request) (race.Effect, error) {
	r.done = make(chan result, 1)
	if cs, ok := commandSeqFrom(ctx); ok && r.act != nil {
		r.act.seq = &cs
	}
	select {
	case t.reqs <- r:
	case <-t.done:
		return race.Effect{}, t.stopErr()
	case <-ctx.Done():
		return race.Effect{}, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res.eff, res.err
	case <-t.done:
		// The writer may have finished our batch just before stopping.
		select {
		case res := <-r.done:
			return res.eff, res.err
		default:
			return race.Effect{}, t.stopErr()
		}
	}
}

func (t *Track) stopErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.runErr != nil {
		return fmt.Errorf("%w: %v", ErrStopped, t.runErr)
	}
	return ErrStopped
}

// Run is the single writer. It returns nil when ctx is done, or the error
// that made it stop: a failed commit stops the track for good, because
// after a failed fsync the kernel may have dropped the dirty pages and the
// only state known to be on disk is the last committed one — the process
// restarts and recovers from there (PostgreSQL's "fsyncgate" lesson).
// Heartbeat is marked at every pass of the writer loop: at least every
// Config.Tick while it is alive.
func (t *Track) Heartbeat() *heartbeat.Beat { return &t.beat }

func (t *Track) Run(ctx context.Context) error {
	err := t.run(ctx)
	t.mu.Lock()
	t.runErr = err
	t.mu.Unlock()
	close(t.done)
	return err
}

func (t *Track) run(ctx context.Context) error {
	tick := time.NewTicker(t.cfg.Tick)
	defer tick.Stop()
	lastLive, lastRelease := time.Now(), time.Now()
	batch := make([]request, 0, t.cfg.Batch)
	for {
		// A pass that blocks (a commit stuck on the disk) stops the
		// beats and, through the watchdog, gets the unit restarted.
		t.beat.Mark()
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return nil
		case r := <-t.reqs:
			batch = append(batch, r)
		drain:
			for len(batch) < cap(batch) {
				select {
				case r := <-t.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			if err := t.commit(batch, false); err != nil {
				return err
			}
		case <-tick.C:
			refresh := time.Since(lastLive) >= t.cfg.LivePeriod
			if refresh {
				lastLive = time.Now()
			}
			if time.Since(lastRelease) >= time.Second {
				// Pages the writer touched stay mapped in this process; hand
				// them back to the page cache every second so RSS reflects
				// what the unit holds, not the size of the DB (the madvise
				// costs microseconds).
				lastRelease = time.Now()
				if err := t.st.ReleasePages(); err != nil {
					t.log.Warn("release store pages", "err", err)
				}
			}
			if err := t.commit(nil, refresh); err != nil {
				return err
			}
		}
	}
}
