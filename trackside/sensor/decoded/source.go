// Package decoded reads a timing decoder (ZRound, MyLaps P3, …) over a
// serial port or TCP and turns its passings into crossings.
//
// A Source owns one decoder link: it opens the Transport, decodes the byte
// stream with the Protocol's codec, places each passing's decoder time on
// the host monotonic timeline (see decoderClock), filters chatter, and
// hands the crossing to the sink, retrying until it is recorded. When the
// link fails (USB unplugged, TCP closed) it reports down and reopens with
// backoff until its context ends.
//
// Lap times are differences of decoder times, never of host arrival times:
// the decoder clock is anchored with one offset, taken again only when the
// decoder clock itself is known to have moved.
package decoded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"pitwall/internal/monoclock"
	"pitwall/trackside/crossing"
	"pitwall/trackside/decoder"
)

// Backoff bounds the delays between attempts to reopen a link or to hand a
// crossing to a failing sink; delays double from Min up to Max, jittered.
type Backoff struct {
	Min, Max time.Duration
}

// Config of a Source. The zero value gets the defaults listed per field.
type Config struct {
	// Line is the timing line the decoder's loop is on (0: start/finish).
	Line int
	// Debounce is the per-transponder chatter filter: a passing of the same
	// transponder within Debounce of its last accepted one is chatter
	// (counted in Health.Chatter) and not a crossing. 0 means 1 s; a
	// negative value turns the filter off.
	Debounce time.Duration
	// MaxJump is how far ahead of the host's elapsed time a decoder time
	// may run before the passing is absurd. 0 means 1 h.
	MaxJump time.Duration
	// Backoff between reopen attempts and sink retries. 0 means 250 ms to
	// 10 s.
	Backoff Backoff
	// Silence is the longest the link may stay without a decoded message
	// before it counts as dead and is reopened. 0 means the Protocol's
	// Silence (15 s for P3 and AMB, which send status regularly; off for
	// ZRound and I-Lap, which may be silent between passings); a negative
	// value turns the watchdog off.
	Silence time.Duration
	// Logger for link and input problems; nil means slog.Default().
	Logger *slog.Logger
	// HostClock returns host monotonic ns. nil means CLOCK_MONOTONIC (the
	// timeline of kernel GPIO stamps). Tests replace it.
	HostClock func() int64
}

func (c Config) withDefaults(p Protocol) Config {
	switch {
	case c.Silence == 0:
		c.Silence = p.Silence
	case c.Silence < 0:
		c.Silence = 0
	}
	switch {
	case c.Debounce == 0:
		c.Debounce = time.Second
	case c.Debounce < 0:
		c.Debounce = 0
	}
	if c.MaxJump <= 0 {
		c.MaxJump = time.Hour
	}
	if c.Backoff.Min <= 0 {
		c.Backoff.Min = 250 * time.Millisecond
	}
	if c.Backoff.Max <= 0 {
		c.Backoff.Max = 10 * time.Second
	}
	c.Backoff.Max = max(c.Backoff.Max, c.Backoff.Min)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.HostClock == nil {
		c.HostClock = monoclock.Now
	}
	return c
}

// Source reads one decoder. It implements crossing.Source.
type Source struct {
	name      string
	transport Transport
	proto     Protocol
	cfg       Config
	log       *slog.Logger
	running   atomic.Bool

	mu     sync.Mutex
	health crossing.Health

	// Owned by the goroutine in Run.
	clock     *decoderClock
	anchors   anchorMemory
	chatter   *chatterFilter
	numbers   passingNumbers
	counter   uint64 // Crossing.Seq for protocols without passing numbers
	rejectLog logLimiter
}

var _ crossing.Source = (*Source)(nil)

// New returns a Source named name (also Crossing.Source) that reads
// protocol p over transport t.
func New(name string, t Transport, p Protocol, cfg Config) *Source {
	cfg = cfg.withDefaults(p)
	return &Source{
		name:      name,
		transport: t,
		proto:     p,
		cfg:       cfg,
		log:       cfg.Logger.With("source", name, "protocol", p.Name),
		health:    crossing.Health{Name: name, State: crossing.StateDown, Detail: "not running"},
		clock:     newDecoderClock(cfg.MaxJump),
		chatter:   newChatterFilter(cfg.Debounce),
		rejectLog: logLimiter{every: time.Second},
	}
}

// Name of the input.
func (s *Source) Name() string { return s.name }

// Health returns a snapshot of the input's state and counters.
func (s *Source) Health() crossing.Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

func (s *Source) update(f func(h *crossing.Health)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.health)
}

func (s *Source) setState(st crossing.State, detail string) {
	s.update(func(h *crossing.Health) { h.State, h.Detail = st, detail })
}

// Run reads the decoder until ctx is done, reopening the link whenever it
// fails, and returns nil then. It returns an error at once only when it
// cannot work at all: no sink, no transport or codec, or a transport
// configuration that retrying cannot fix (ErrConfig).
func (s *Source) Run(ctx context.Context, sink crossing.Sink) error {
	switch {
	case sink == nil:
		return fmt.Errorf("decoder input %s: %w: no sink", s.name, ErrConfig)
	case s.transport == nil:
		return fmt.Errorf("decoder input %s: %w: no transport", s.name, ErrConfig)
	case s.proto.New == nil:
		return fmt.Errorf("decoder input %s: %w: protocol %q has no codec", s.name, ErrConfig, s.proto.Name)
	}
	if !s.running.CompareAndSwap(false, true) {
		return fmt.Errorf("decoder input %s: already running", s.name)
	}
	defer s.running.Store(false)

	retry := newBackoff(s.cfg.Backoff.Min, s.cfg.Backoff.Max)
	opened := false
	lastOpenErr := ""
	for ctx.Err() == nil {
		s.setState(crossing.StateConnecting, "")
		rwc, device, err := s.transport.Open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			s.setState(crossing.StateDown, err.Error())
			if errors.Is(err, ErrConfig) {
				s.log.Error("decoder input cannot start", "err", err)
				return fmt.Errorf("decoder input %s: %w", s.name, err)
			}
			d := retry.delay()
			// An unplugged decoder fails the same way every few seconds:
			// say it once, then quietly.
			level := slog.LevelWarn
			if err.Error() == lastOpenErr {
				level = slog.LevelDebug
			}
			lastOpenErr = err.Error()
			s.log.Log(ctx, level, "decoder open failed", "err", err, "retry_in", d)
			sleep(ctx, d)
			continue
		}
		lastOpenErr = ""
		s.update(func(h *crossing.Health) {
			h.State, h.Detail = crossing.StateOK, device
			if opened {
				h.Reconnect++
			}
		})
		opened = true
		s.log.Info("decoder connected", "device", device)

		worked, err := s.session(ctx, rwc, device, sink)
		rwc.Close()
		if ctx.Err() != nil {
			break
		}
		if worked {
			retry.reset()
		}
		s.setState(crossing.StateDown, err.Error())
		d := retry.delay()
		s.log.Warn("decoder link lost", "device", device, "err", err, "retry_in", d)
		sleep(ctx, d)
	}
	s.setState(crossing.StateDown, "stopped")
	return nil
}

// session reads one open link until it fails or ctx is done. worked tells
// whether the decoder produced any event on it (then the reopen backoff
// starts over).
func (s *Source) session(ctx context.Context, rwc io.ReadWriteCloser, device string, sink crossing.Sink) (worked bool, err error) {
	codec := s.proto.New()
	for _, r := range s.clock.linkOpened(len(s.proto.Start) > 0) {
		s.reject(r)
	}
	// Close unblocks a Read that is not bound by a timeout; serial and
	// TCP reads also return every pollInterval, so ctx is seen either way.
	stop := context.AfterFunc(ctx, func() { rwc.Close() })
	defer stop()

	dog := newWatchdog(s.cfg.Silence, func() { rwc.Close() })
	defer dog.stop()

	if len(s.proto.Hello) > 0 {
		if _, err := rwc.Write(s.proto.Hello); err != nil {
			return false, fmt.Errorf("send hello to %s: %w", device, err)
		}
	}
	if len(s.proto.Start) > 0 {
		if _, err := rwc.Write(s.proto.Start); err != nil {
			return false, fmt.Errorf("send start command to %s: %w", device, err)
		}
	}
	buf := make([]byte, 4096)
	for {
		n, err := rwc.Read(buf)
		if n > 0 {
			events, rejects := codec.Feed(buf[:n])
			for _, r := range rejects {
				s.reject(r)
			}
			if len(events) > 0 {
				worked = true
				// A sink that is slow to record must not make a live
				// link look silent.
				dog.pause()
				for _, ev := range events {
					if err := s.handle(ctx, ev, sink); err != nil {
						return worked, err
					}
				}
				dog.feed()
			}
		}
		switch {
		case dog.fired():
			return worked, fmt.Errorf("no data from %s for %v", device, s.cfg.Silence)
		case ctx.Err() != nil:
			return worked, ctx.Err()
		case errors.Is(err, io.EOF):
			return worked, fmt.Errorf("%s closed the link: %w", device, err)
		case err != nil:
			return worked, fmt.Errorf("read %s: %w", device, err)
		}
	}
}

// handle takes one decoded event. It returns an error only when ctx ended
// while a crossing was being recorded.
func (s *Source) handle(ctx context.Context, ev decoder.Event, sink crossing.Sink) error {
	e := timed{ev: ev, host: s.cfg.HostClock(), read: time.Now()}
	var v verdict
	switch ev.Kind {
	case decoder.Passing:
		step := s.numbers.observe(ev.Seq)
		if step.lost > 0 {
			s.update(func(h *crossing.Health) { h.Lost += step.lost })
			s.log.Warn("decoder passings lost", "lost", step.lost, "seq", ev.Seq)
		} else if step.restarted {
			s.log.Info("decoder passing numbers restarted", "seq", ev.Seq)
		}
		v = s.clock.passing(e)
	case decoder.ClockSync:
		v = s.clock.sync(e)
	case decoder.Status, decoder.Ack:
		// Liveness only: the bytes already fed the silence watchdog.
		return nil
	default:
		s.reject(fmt.Errorf("%w: event of unknown kind %d", decoder.ErrFrame, ev.Kind))
		return nil
	}
	if v.reanchor != "" {
		s.log.Info("decoder clock anchored", "reason", v.reanchor, "decoder_time", ev.Time, "event", ev.Kind.String())
	}
	for _, r := range v.rejects {
		s.reject(r)
	}
	for _, p := range v.emit {
		if err := s.emit(ctx, p, sink); err != nil {
			return err
		}
	}
	return nil
}

// emit filters chatter and records the crossing.
func (s *Source) emit(ctx context.Context, p placed, sink crossing.Sink) error {
	if s.chatter.chatter(p.ev.Transponder, p.mono) {
		s.update(func(h *crossing.Health) { h.Chatter++ })
		s.log.Debug("decoder chatter dropped", "passing", describe(p.ev), "decoder_time", p.ev.Time)
		return nil
	}
	seq := p.ev.Seq
	if seq == 0 {
		s.counter++
		seq = s.counter
	}
	hostTimed := s.anchors.hostTimed(p.ev.Transponder, p.gen)
	if hostTimed {
		s.log.Info("lap across a decoder clock re-anchoring is host-timed", "passing", describe(p.ev), "decoder_time", p.ev.Time)
	}
	return s.deliver(ctx, crossing.Crossing{
		Source:      s.name,
		Line:        s.cfg.Line,
		Transponder: p.ev.Transponder,
		MonoNS:      p.mono,
		Clock:       crossing.ClockDecoder,
		Seq:         seq,
		Host:        p.read,
		HostTimed:   hostTimed,
	}, sink)
}

// deliver hands c to the sink until it is recorded (crossing.Deliver): a
// crossing that was read is never dropped while the input runs.
func (s *Source) deliver(ctx context.Context, c crossing.Crossing, sink crossing.Sink) error {
	if err := crossing.Deliver(ctx, sink, c, s.cfg.Backoff.Min, s.cfg.Backoff.Max, s.log); err != nil {
		return err
	}
	s.update(func(h *crossing.Health) {
		h.Crossings++
		h.Last = c.Host
	})
	return nil
}

// reject counts a dropped input and logs it, at most once a second.
func (s *Source) reject(err error) {
	s.update(func(h *crossing.Health) { h.Rejects++ })
	if ok, suppressed := s.rejectLog.allow(time.Now()); ok {
		s.log.Warn("decoder input rejected", "err", err, "suppressed", suppressed)
	}
}
