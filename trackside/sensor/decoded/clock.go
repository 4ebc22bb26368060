package decoded

import (
	"errors"
	"fmt"
	"time"

	"pitwall/trackside/decoder"
)

// ErrAbsurdTime is wrapped by the reject of a passing whose decoder time
// cannot be placed on the anchored timeline: it jumped forward by more than
// Config.MaxJump, or backwards without a plausible decoder restart, and the
// next event did not confirm that the decoder clock really moved.
var ErrAbsurdTime = errors.New("absurd decoder time")

// clockTolerance is how far a decoder time may disagree with the anchor and
// still count as the same clock: passings reported slightly out of order
// (a decoder settles a passing only after the car has left the loop),
// transmission latency, and crystal drift over a long event all fit in it.
const clockTolerance = 5 * time.Second

// decoderClock maps one decoder's relative clock onto the host monotonic
// timeline with a single offset, so the difference of two mapped times is
// exactly the difference of the decoder times: host arrival jitter enters
// only once, when the anchor is taken, and never into a lap time.
//
// The anchor is taken from the first event, and taken again only when the
// decoder clock itself is known to have moved:
//   - a ClockSync that disagrees with the anchor by more than clockTolerance
//     (the decoder states its own current time, so it is authoritative);
//   - the first event after the link was reopened, unless the decoder clock
//     visibly continued through the outage (a cable blip keeps exact laps);
//   - a passing that went backwards by no more than the host time since the
//     last event: the decoder restarted (power cycle, race-start command)
//     while the link stayed up;
//   - a passing that disagreed with the anchor, confirmed by the next
//     passing agreeing with it (an RTC set by GPS, say). Such a passing is
//     held until that next event; if the next event agrees with the old
//     anchor instead, the held one was absurd and is rejected.
//
// decoderClock is pure logic: host times are passed in.
type decoderClock struct {
	maxJump time.Duration

	anchored bool
	at       anchor
	gen      uint64 // counts the anchors taken: crossings placed on different ones are on different clocks
	fresh    bool   // the link was (re)opened and no event has been seen yet
	held     *timed // a passing that disagreed with the anchor, awaiting a verdict
	why      string // why the next anchor is taken while !anchored, "" for the first event
}

// anchor is one placement of the decoder clock on the host timeline.
type anchor struct {
	offset   int64         // host monotonic ns minus decoder ns
	last     time.Duration // latest decoder time seen on this anchor
	lastHost int64         // host monotonic ns of the latest event that fitted
}

// timed is a decoder event with the host monotonic time it was read at and
// the wall time, for Crossing.Host.
type timed struct {
	ev   decoder.Event
	host int64
	read time.Time
}

// placed is a passing placed on the host timeline.
type placed struct {
	ev   decoder.Event
	mono int64
	read time.Time
	gen  uint64 // the anchor it was placed with
}

// verdict is what the clock made of one event.
type verdict struct {
	emit     []placed // passings to hand on, in order
	rejects  []error  // passings dropped as absurd
	reanchor string   // why the anchor was (re)taken by this event, "" if it was not
}

// fit classifies a decoder time against an anchor.
type fit uint8

const (
	fits      fit = iota // same clock
	restarted            // plausible decoder restart: time went back to near zero
	jumped               // disagrees with the anchor
)

func newDecoderClock(maxJump time.Duration) *decoderClock {
	return &decoderClock{maxJump: maxJump}
}

// linkOpened tells the clock a new connection starts: its first event may
// re-anchor. zeroed says the host sent a command that restarts the decoder
// clock (ZRound's race start): the first event then anchors afresh whatever
// it reads, since a clock restarted a moment ago can read close to what the
// old anchor predicts and would otherwise be placed seconds in the past.
// A held passing cannot be confirmed across the gap and is rejected.
func (c *decoderClock) linkOpened(zeroed bool) []error {
	c.fresh = true
	if zeroed && c.anchored {
		c.anchored = false
		c.why = "start command restarted the decoder clock"
	}
	if c.held == nil {
		return nil
	}
	h := c.held
	c.held = nil
	return []error{fmt.Errorf("%w: passing %s at %v held as a possible clock jump, link lost before it was confirmed",
		ErrAbsurdTime, describe(h.ev), h.ev.Time)}
}

// classify places decoder time t, read at host, against anchor a.
func (c *decoderClock) classify(a anchor, t time.Duration, host int64) fit {
	ahead := int64(t) + a.offset - host
	if ahead > int64(c.maxJump) {
		return jumped
	}
	if t < a.last-clockTolerance {
		// A clock that restarted counts from zero, so it cannot read more
		// than the host time since we last heard the old clock. A set epoch
		// RTC never qualifies; an unset one that counts from 1970 after a
		// reboot does, rightly.
		if int64(t) <= host-a.lastHost+int64(clockTolerance) {
			return restarted
		}
		return jumped
	}
	return fits
}

// firstAnchor is the reason logged for an anchor taken while unanchored.
func (c *decoderClock) firstAnchor() string {
	if c.why != "" {
		return c.why
	}
	return "first event"
}

func (c *decoderClock) anchorAt(t time.Duration, host int64) {
	c.anchored = true
	c.gen++
	c.at = anchor{offset: host - int64(t), last: t, lastHost: host}
}

func (c *decoderClock) advance(t time.Duration, host int64) {
	if t > c.at.last {
		c.at.last = t
	}
	c.at.lastHost = host
}

func (c *decoderClock) place(e timed) placed {
	return placed{ev: e.ev, mono: int64(e.ev.Time) + c.at.offset, read: e.read, gen: c.gen}
}

// deviation is how much later than the anchor predicts an event arrived.
func (c *decoderClock) deviation(t time.Duration, host int64) time.Duration {
	return time.Duration(host - (int64(t) + c.at.offset))
}

func outside(d time.Duration) bool { return d > clockTolerance || d < -clockTolerance }

// sync takes a ClockSync: the decoder's current time.
func (c *decoderClock) sync(e timed) (v verdict) {
	t := e.ev.Time
	switch {
	case !c.anchored:
		v.reanchor = c.firstAnchor()
		c.anchorAt(t, e.host)
	case outside(c.deviation(t, e.host)):
		v.reanchor = fmt.Sprintf("decoder clock sync %v off the anchor", c.deviation(t, e.host))
		c.anchorAt(t, e.host)
	default:
		c.advance(t, e.host)
	}
	c.fresh = false
	if h := c.held; h != nil {
		c.held = nil
		// Judge the held passing by the anchor as it stands now: unchanged,
		// it still disagrees; moved by this sync, it agrees when it arrived
		// when the new anchor says it happened.
		if !outside(c.deviation(h.ev.Time, h.host)) {
			v.emit = append(v.emit, c.place(*h))
		} else {
			v.rejects = append(v.rejects, absurd(*h, "the decoder clock sync disagrees with it"))
		}
	}
	return v
}

// passing takes a Passing.
func (c *decoderClock) passing(e timed) (v verdict) {
	t := e.ev.Time
	if !c.anchored {
		v.reanchor = c.firstAnchor()
		c.anchorAt(t, e.host)
		c.fresh = false
		v.emit = append(v.emit, c.place(e))
		return v
	}
	if c.fresh {
		c.fresh = false
		if d := c.deviation(t, e.host); outside(d) {
			v.reanchor = fmt.Sprintf("link reopened, decoder clock %v off the old anchor", d)
			c.anchorAt(t, e.host)
		} else {
			c.advance(t, e.host)
		}
		v.emit = append(v.emit, c.place(e))
		return v
	}
	if h := c.held; h != nil {
		c.held = nil
		if c.classify(c.at, t, e.host) == fits {
			v.rejects = append(v.rejects, absurd(*h, "the next passing agrees with the anchor"))
			c.advance(t, e.host)
			v.emit = append(v.emit, c.place(e))
			return v
		}
		trial := anchor{offset: h.host - int64(h.ev.Time), last: h.ev.Time, lastHost: h.host}
		if c.classify(trial, t, e.host) == fits {
			v.reanchor = fmt.Sprintf("decoder clock jumped to %v, confirmed by the next passing", h.ev.Time)
			c.anchorAt(h.ev.Time, h.host)
			c.advance(t, e.host)
			v.emit = append(v.emit, c.place(*h), c.place(e))
			return v
		}
		v.rejects = append(v.rejects, absurd(*h, "the next passing agrees with neither"))
		// Fall through: judge this passing on its own against the anchor.
	}
	switch c.classify(c.at, t, e.host) {
	case fits:
		c.advance(t, e.host)
		v.emit = append(v.emit, c.place(e))
	case restarted:
		v.reanchor = fmt.Sprintf("decoder clock restarted (went back to %v)", t)
		c.anchorAt(t, e.host)
		v.emit = append(v.emit, c.place(e))
	case jumped:
		held := e
		c.held = &held
	}
	return v
}

func absurd(h timed, why string) error {
	return fmt.Errorf("%w: passing %s at %v disagrees with the anchored decoder clock (%s)",
		ErrAbsurdTime, describe(h.ev), h.ev.Time, why)
}

// describe names a passing for logs and errors.
func describe(ev decoder.Event) string {
	s := "tx " + ev.Transponder
	if ev.Transponder == "" {
		s = "(no transponder)"
	}
	if ev.Seq != 0 {
		s += fmt.Sprintf(" #%d", ev.Seq)
	}
	return s
}

// anchorMemory remembers, per transponder, the anchor its last crossing was
// placed with. The difference of two crossings on different anchors is not
// the decoder's: the second anchor was taken from a host arrival time. So
// the crossing that ends a car's lap across a re-anchoring is HostTimed.
type anchorMemory struct {
	last map[string]uint64 // transponder → anchor generation of its last crossing
}

// hostTimed records tx's crossing placed with anchor gen and reports whether
// its previous crossing was placed with another anchor.
func (m *anchorMemory) hostTimed(tx string, gen uint64) bool {
	prev, seen := m.last[tx]
	if !seen && len(m.last) >= pruneAt {
		// Entries on the current anchor say no more than absent ones; drop
		// them. Garbage ids from a noisy line on older anchors may still
		// fill the map: then forget them all (a real car's next lap may go
		// unflagged once, which beats growing without bound).
		for k, g := range m.last {
			if g == gen {
				delete(m.last, k)
			}
		}
		if len(m.last) >= pruneAt {
			clear(m.last)
		}
	}
	if m.last == nil {
		m.last = make(map[string]uint64)
	}
	m.last[tx] = gen
	return seen && prev != gen
}
