// Package sim is a simulated timing input for demos and tests: DeepRacer
// cars lapping one timing line, one car on track at a time, with realistic
// lap-time spread, occasional off-tracks (slower laps, and a hook for a
// simulated official's Reset) and occasional chatter echoes that downstream
// filtering (hold-off, minimum lap) must catch.
//
// Time can be compressed (Config.Speed): the session plays Speed times
// faster than real time, but Crossing.MonoNS advances in simulated time,
// anchored at the host monotonic reading when Run starts. Lap times, which
// are differences of MonoNS, therefore come out at realistic 8–15 s values
// even in a 10× demo, while MonoNS runs ahead of the host clock by
// (Speed−1) × the elapsed time: a consumer must not compare a simulated
// MonoNS with its own host clock when Speed ≠ 1.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"pitwall/trackside/crossing"
)

var _ crossing.Source = (*Source)(nil)

const (
	sinkRetryMin = 50 * time.Millisecond
	sinkRetryMax = 5 * time.Second
)

// Source is a simulated crossing.Source.
type Source struct {
	name string
	cfg  Config
	log  *slog.Logger

	running atomic.Bool

	mu      sync.Mutex
	health  crossing.Health
	car     int  // car to put on track at Run's start
	pending int  // car SetCar asked for while running
	switchQ bool // pending is set
	wake    chan struct{}

	sinkMin, sinkMax time.Duration // seams for tests
}

// New validates cfg and returns a simulated source.
func New(name string, cfg Config) (*Source, error) {
	if name == "" {
		return nil, errors.New("new sim source: empty name")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new sim source %s: %w", name, err)
	}
	return &Source{
		name:    name,
		cfg:     cfg,
		log:     cfg.Logger.With("source", name),
		health:  crossing.Health{Name: name, State: crossing.StateConnecting},
		wake:    make(chan struct{}, 1),
		sinkMin: sinkRetryMin,
		sinkMax: sinkRetryMax,
	}, nil
}

// Name of the source.
func (s *Source) Name() string { return s.name }

// Health returns a snapshot of the source's self-report.
func (s *Source) Health() crossing.Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

// SetCar puts car i (index into Config.Cars) on track, as an official does
// between races: the car on track leaves at once (its lap in progress is
// abandoned) and car i crosses the line to start its run after a 20 s
// (simulated) changeover. Before Run it picks the first car.
func (s *Source) SetCar(i int) error {
	if i < 0 || i >= len(s.cfg.Cars) {
		return fmt.Errorf("sim %s: car %d out of range [0, %d)", s.name, i, len(s.cfg.Cars))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running.Load() {
		s.car = i
		return nil
	}
	s.pending, s.switchQ = i, true
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// takeSwitch returns a car SetCar asked for, if any.
func (s *Source) takeSwitch() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.pending, s.switchQ
	s.switchQ = false
	return i, ok
}

func (s *Source) update(f func(h *crossing.Health)) {
	s.mu.Lock()
	f(&s.health)
	s.mu.Unlock()
}

// Run plays the session, handing each crossing to sink, until ctx is done;
// it returns nil then. Each Run replays the session from the seed. A
// crossing the sink refuses is offered again (same Seq), never dropped.
func (s *Source) Run(ctx context.Context, sink crossing.Sink) error {
	if sink == nil {
		return fmt.Errorf("run sim source %s: nil sink", s.name)
	}
	s.mu.Lock()
	if !s.running.CompareAndSwap(false, true) {
		s.mu.Unlock()
		return fmt.Errorf("run sim source %s: already running", s.name)
	}
	first := s.car
	s.switchQ = false
	s.health.State = crossing.StateOK
	s.health.Detail = fmt.Sprintf("simulated, %d cars, speed ×%g", len(s.cfg.Cars), s.cfg.Speed)
	s.health.Reconnect++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running.Store(false)
		s.health.State, s.health.Detail = crossing.StateDown, "stopped"
		s.mu.Unlock()
	}()

	anchor := s.cfg.Clock()
	startReal := time.Now()
	simNow := func() time.Duration {
		return time.Duration(float64(time.Since(startReal)) * s.cfg.Speed)
	}
	sched := newSchedule(s.cfg, first)
	var seq uint64
	var last time.Duration // simulated time of the last event played
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if car, ok := s.takeSwitch(); ok {
			sched.switchTo(car, max(simNow(), last))
			s.log.Info("sim: car change", "car", s.cfg.Cars[car].Transponder)
		}
		ev := sched.peek()
		if wait := time.Duration(float64(ev.at)/s.cfg.Speed) - time.Since(startReal); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return nil
			case <-s.wake:
				continue
			case <-timer.C:
			}
		}
		if ctx.Err() != nil { // select picks at random when both are ready
			return nil
		}
		sched.next()
		last = ev.at
		car := s.cfg.Cars[ev.car]
		if ev.kind == kindOffTrack {
			s.log.Info("sim: off track", "car", car.Transponder)
			if s.cfg.OnOffTrack != nil {
				s.cfg.OnOffTrack(car.Transponder)
			}
			continue
		}
		seq++
		c := crossing.Crossing{
			Source:      s.name,
			Line:        s.cfg.Line,
			Transponder: car.Transponder,
			MonoNS:      anchor + int64(ev.at),
			Clock:       crossing.ClockHost,
			Seq:         seq,
			Host:        time.Now(),
		}
		if err := s.deliver(ctx, sink, c); err != nil {
			return nil
		}
	}
}

// deliver offers c to sink until it is recorded or ctx is done.
func (s *Source) deliver(ctx context.Context, sink crossing.Sink, c crossing.Crossing) error {
	if err := crossing.Deliver(ctx, sink, c, s.sinkMin, s.sinkMax, s.log); err != nil {
		return err
	}
	s.update(func(h *crossing.Health) {
		h.Crossings++
		h.Last = c.Host
	})
	return nil
}
