// Package gpio reads beam-break sensors and pressure strips wired to GPIO
// inputs through the Linux GPIO character device (uAPI v2, via go-gpiocdev).
//
// Every crossing carries the kernel's CLOCK_MONOTONIC stamp of its edge, so
// lap times (differences of stamps) do not depend on when Go got to read
// the event. Chatter of one physical crossing is removed per timing LINE:
// an edge on any strip of a line within the hold-off of that line's last
// accepted crossing is dropped, so a car touching both strips of a pair is
// one crossing. Kernel debounce is off unless configured (Config.Debounce
// says why: it delays and jitters the stamps). Events the kernel
// had to drop (its buffer overflowed) show up as gaps in the per-line
// sequence numbers and are reported in Health.Lost.
//
// The hardware sits behind the small Chip and Lines interfaces: OpenChip
// gives the real one on Linux, tests use a fake.
package gpio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"pitwall/trackside/crossing"
)

var _ crossing.Source = (*Source)(nil)

// Retry delays: reopening a missing chip and re-offering a crossing to a
// failing sink.
const (
	openRetryMin = time.Second
	openRetryMax = 10 * time.Second
	sinkRetryMin = 50 * time.Millisecond
	sinkRetryMax = 5 * time.Second
)

var errEdgesEnded = errors.New("gpio line events ended")

// Source is a crossing.Source reading GPIO beam-breaks or pressure strips.
type Source struct {
	name    string
	chip    Chip
	cfg     Config
	log     *slog.Logger
	lineOf  map[int]int // GPIO offset → timing line
	offsets []int       // all offsets, sorted

	// Owned by Run (one at a time, guarded by running).
	running  atomic.Bool
	accepted map[int]int64  // timing line → kernel ns of its last accepted crossing
	lineSeq  map[int]uint32 // offset → last LineSeqno seen in the current request

	mu     sync.Mutex
	health crossing.Health

	// Seams for tests.
	now              func() time.Time
	openMin, openMax time.Duration
	sinkMin, sinkMax time.Duration
}

// New validates cfg and returns a source reading chip. It touches no
// hardware; Run requests the lines.
func New(name string, chip Chip, cfg Config) (*Source, error) {
	if name == "" {
		return nil, errors.New("new gpio source: empty name")
	}
	if chip == nil {
		return nil, fmt.Errorf("new gpio source %s: nil chip", name)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new gpio source %s: %w", name, err)
	}
	s := &Source{
		name:     name,
		chip:     chip,
		cfg:      cfg,
		log:      cfg.Logger.With("source", name),
		lineOf:   make(map[int]int),
		accepted: make(map[int]int64),
		now:      time.Now,
		openMin:  openRetryMin,
		openMax:  openRetryMax,
		sinkMin:  sinkRetryMin,
		sinkMax:  sinkRetryMax,
	}
	for _, l := range cfg.Lines {
		for _, off := range l.Offsets {
			s.lineOf[off] = l.Line
			s.offsets = append(s.offsets, off)
		}
	}
	slices.Sort(s.offsets)
	s.health = crossing.Health{Name: name, State: crossing.StateConnecting, Detail: s.describe()}
	return s, nil
}

// Name of the source.
func (s *Source) Name() string { return s.name }

// Health returns a snapshot of the source's self-report.
func (s *Source) Health() crossing.Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

func (s *Source) describe() string {
	chip := s.cfg.ChipLabel
	if st, ok := s.chip.(fmt.Stringer); ok {
		chip = st.String()
	}
	if chip == "" {
		return fmt.Sprintf("offsets %v", s.offsets)
	}
	return fmt.Sprintf("%s offsets %v", chip, s.offsets)
}

func (s *Source) update(f func(h *crossing.Health)) {
	s.mu.Lock()
	f(&s.health)
	s.mu.Unlock()
}

// Run requests the lines and hands each crossing to sink until ctx is done;
// it returns nil then. If the request fails (chip missing, lines busy) the
// source reports itself down and retries with a growing delay (1 s to
// 10 s). A crossing the sink refuses is offered again, never dropped. The
// lines are released before Run returns.
func (s *Source) Run(ctx context.Context, sink crossing.Sink) error {
	if sink == nil {
		return fmt.Errorf("run gpio source %s: nil sink", s.name)
	}
	if !s.running.CompareAndSwap(false, true) {
		return fmt.Errorf("run gpio source %s: already running", s.name)
	}
	defer s.running.Store(false)
	defer s.update(func(h *crossing.Health) { h.State, h.Detail = crossing.StateDown, "stopped" })

	wait := s.openMin
	for ctx.Err() == nil {
		lines, err := s.chip.Request(s.offsets, s.cfg.ActiveLow, s.debounce())
		if err != nil {
			s.update(func(h *crossing.Health) { h.State, h.Detail = crossing.StateDown, err.Error() })
			s.log.Warn("gpio: request lines failed", "offsets", s.offsets, "retry_in", wait, "err", err)
			if !sleep(ctx, wait) {
				return nil
			}
			wait = min(2*wait, s.openMax)
			continue
		}
		wait = s.openMin
		s.update(func(h *crossing.Health) {
			h.State, h.Detail = crossing.StateOK, s.describe()
			h.Reconnect++
		})
		s.log.Info("gpio: lines requested", "offsets", s.offsets, "active_low", s.cfg.ActiveLow,
			"debounce", s.debounce(), "hold_off", s.cfg.HoldOff)
		err = s.serve(ctx, lines, sink)
		if cerr := lines.Close(); cerr != nil {
			s.log.Warn("gpio: release lines", "err", cerr)
		}
		if ctx.Err() != nil {
			return nil
		}
		s.update(func(h *crossing.Health) { h.State, h.Detail = crossing.StateDown, err.Error() })
		s.log.Warn("gpio: lines lost, requesting again", "retry_in", wait, "err", err)
		if !sleep(ctx, wait) {
			return nil
		}
	}
	return nil
}

func (s *Source) debounce() time.Duration { return s.cfg.Debounce }

// serve reads one request's edges until ctx is done or the edges end.
func (s *Source) serve(ctx context.Context, lines Lines, sink crossing.Sink) error {
	// Sequence numbers restart with every request.
	s.lineSeq = make(map[int]uint32, len(s.offsets))
	edges := lines.Edges()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-edges:
			if !ok {
				return errEdgesEnded
			}
			c, ok := s.accept(e)
			if !ok {
				continue
			}
			if err := s.deliver(ctx, sink, c); err != nil {
				return err
			}
		}
	}
}

// accept applies sequence-gap accounting, the active-edge rule and the
// per-line hold-off to one edge, and returns the crossing it makes, if any.
func (s *Source) accept(e Edge) (crossing.Crossing, bool) {
	line, known := s.lineOf[e.Offset]
	if !known {
		s.update(func(h *crossing.Health) { h.Rejects++ })
		s.log.Warn("gpio: edge on an offset not requested", "offset", e.Offset)
		return crossing.Crossing{}, false
	}
	s.countGap(e)
	if !e.Rising {
		return crossing.Crossing{}, false // release of the beam or strip
	}
	if last, ok := s.accepted[line]; ok && e.TimestampNS-last < int64(s.cfg.HoldOff) {
		// Also catches a stamp earlier than the last crossing: two strips'
		// edges can reach us in either order.
		s.update(func(h *crossing.Health) { h.Chatter++ })
		s.log.Debug("gpio: chatter within hold-off", "line", line, "offset", e.Offset,
			"after", time.Duration(e.TimestampNS-last))
		return crossing.Crossing{}, false
	}
	s.accepted[line] = e.TimestampNS
	return crossing.Crossing{
		Source: s.name,
		Line:   line,
		MonoNS: e.TimestampNS,
		Clock:  crossing.ClockKernel,
		Seq:    uint64(e.LineSeqno),
		Host:   s.now(),
	}, true
}

// countGap reports events the kernel dropped: each line's LineSeqno counts
// 1, 2, 3… within a request, so a jump means its buffer overflowed.
func (s *Source) countGap(e Edge) {
	if e.LineSeqno == 0 {
		return // uAPI v1 has no sequence numbers
	}
	last := s.lineSeq[e.Offset]
	s.lineSeq[e.Offset] = e.LineSeqno
	if e.LineSeqno <= last {
		s.log.Warn("gpio: line sequence went backwards", "offset", e.Offset,
			"last", last, "got", e.LineSeqno)
		return
	}
	if gap := e.LineSeqno - last - 1; gap > 0 {
		s.update(func(h *crossing.Health) { h.Lost += uint64(gap) })
		s.log.Warn("gpio: events lost (kernel buffer overflow)", "offset", e.Offset,
			"lost", gap, "line_seqno", e.LineSeqno)
	}
}

// deliver offers c to sink until it is recorded (crossing.Deliver).
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

// sleep waits d or until ctx is done; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
