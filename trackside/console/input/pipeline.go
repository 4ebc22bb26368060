package input

import (
	"fmt"
	"time"
)

type slot struct {
	id   int32 // tracking id, trackingIDLifted when empty
	x, y int32
}

// counters are the per-device figures Stats adds up.
type counters struct {
	synDropped uint64 // SYN_DROPPED seen (kernel buffer overflowed)
	malformed  uint64 // events that cannot be right (slot out of range, ...)
	offPanel   uint64 // touches outside the controller's range
	resyncFail uint64 // re-syncs that had to fall back to "all lifted"
}

// pipeline holds one device's state: SYN_REPORT framing, SYN_DROPPED
// recovery, touch slots (protocol B) or the single-touch pointer, and keys.
// It is fed decoded events and emits high-level events; it is not safe for
// concurrent use.
type pipeline struct {
	dev  Device
	caps Capabilities
	hot  hotkeyMap
	emit func(Event)
	c    counters

	rec      recognizer
	slots    []slot
	cur      int // current MT slot, -1 after an out-of-range ABS_MT_SLOT
	stX, stY int32
	stDown   bool
	stID     int32 // single-touch has no tracking id; each press gets the next one
	dropping bool
	contacts []contact // scratch for frames
}

// newPipeline reads the device's ranges and current state.
func newPipeline(d Device, caps Capabilities, cfg Config, hot hotkeyMap, emit func(Event)) (*pipeline, error) {
	p := &pipeline{dev: d, caps: caps, hot: hot, emit: emit}
	if caps.Kind&KindTouch == 0 {
		return p, nil
	}
	xc, yc := uint16(AbsX), uint16(AbsY)
	if caps.MultiTouch {
		xc, yc = AbsMTPositionX, AbsMTPositionY
	}
	xi, err := d.AbsInfo(xc)
	if err != nil {
		return nil, fmt.Errorf("EVIOCGABS(%#x): %w", xc, err)
	}
	yi, err := d.AbsInfo(yc)
	if err != nil {
		return nil, fmt.Errorf("EVIOCGABS(%#x): %w", yc, err)
	}
	tf, err := newTransform(cfg, xi, yi)
	if err != nil {
		return nil, fmt.Errorf("touch ranges: %w", err)
	}
	p.rec = recognizer{tf: tf, slop: cfg.TapSlop, hold: cfg.LongPress, emit: emit, offPanel: &p.c.offPanel}
	if caps.MultiTouch {
		n := 1
		if si, err := d.AbsInfo(AbsMTSlot); err == nil && si.Maximum >= 0 {
			n = int(si.Maximum) + 1
		}
		if n > maxSlots {
			n = maxSlots
		}
		p.slots = make([]slot, n)
	}
	p.resync()
	return p, nil
}

// resync reads the touch state the kernel holds now (after SYN_DROPPED, or
// at open). Fingers already down are remembered so they cannot start a
// gesture; if the device cannot say, every contact counts as lifted.
func (p *pipeline) resync() {
	if p.caps.Kind&KindTouch == 0 {
		return
	}
	if p.caps.MultiTouch {
		n := len(p.slots)
		ids, err1 := p.dev.MTSlots(AbsMTTrackingID, n)
		xs, err2 := p.dev.MTSlots(AbsMTPositionX, n)
		ys, err3 := p.dev.MTSlots(AbsMTPositionY, n)
		cur, err4 := p.dev.AbsInfo(AbsMTSlot)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || len(ids) < n || len(xs) < n || len(ys) < n {
			p.c.resyncFail++
			for i := range p.slots {
				p.slots[i].id = trackingIDLifted
			}
			p.cur = 0
		} else {
			for i := range p.slots {
				p.slots[i] = slot{id: max(ids[i], trackingIDLifted), x: xs[i], y: ys[i]}
			}
			p.cur = int(cur.Value)
			if p.cur < 0 || p.cur >= n {
				p.cur = -1
			}
		}
	} else {
		xi, err1 := p.dev.AbsInfo(AbsX)
		yi, err2 := p.dev.AbsInfo(AbsY)
		keys, err3 := p.dev.KeyState()
		if err1 != nil || err2 != nil || err3 != nil {
			p.c.resyncFail++
			p.stDown = false
		} else {
			p.stX, p.stY = xi.Value, yi.Value
			if down := bit(keys, BtnTouch); down != p.stDown {
				p.stDown = down
				p.stID++
			}
		}
	}
	p.rec.abort(p.current())
}

// current lists the contacts down now.
func (p *pipeline) current() []contact {
	cs := p.contacts[:0]
	if p.caps.MultiTouch {
		for _, s := range p.slots {
			if s.id != trackingIDLifted {
				cs = append(cs, contact{id: s.id, x: s.x, y: s.y})
			}
		}
	} else if p.stDown {
		cs = append(cs, contact{id: p.stID, x: p.stX, y: p.stY})
	}
	p.contacts = cs
	return cs
}

// feed takes one decoded event.
func (p *pipeline) feed(e RawEvent) {
	if p.dropping {
		// After SYN_DROPPED everything up to and including the next
		// SYN_REPORT is an incomplete picture; the state is read back from
		// the kernel instead.
		if e.Type == EvSyn && e.Code == SynReport {
			p.dropping = false
			p.resync()
		}
		return
	}
	switch e.Type {
	case EvSyn:
		switch e.Code {
		case SynReport:
			if p.caps.Kind&KindTouch != 0 {
				p.rec.frame(e.Time, p.current())
			}
		case SynDropped:
			p.c.synDropped++
			p.dropping = true
		}
	case EvAbs:
		if p.caps.Kind&KindTouch != 0 {
			p.abs(e)
		}
	case EvKey:
		p.key(e)
	}
}

func (p *pipeline) abs(e RawEvent) {
	if !p.caps.MultiTouch {
		switch e.Code {
		case AbsX:
			p.stX = e.Value
		case AbsY:
			p.stY = e.Value
		}
		return
	}
	switch e.Code {
	case AbsMTSlot:
		p.cur = int(e.Value)
		if e.Value < 0 || int(e.Value) >= len(p.slots) {
			p.c.malformed++
			p.cur = -1 // ignore this slot's values until a valid slot is selected
		}
		return
	case AbsMTTrackingID, AbsMTPositionX, AbsMTPositionY:
	default:
		return
	}
	if p.cur < 0 {
		p.c.malformed++
		return
	}
	s := &p.slots[p.cur]
	switch e.Code {
	case AbsMTTrackingID:
		s.id = max(e.Value, trackingIDLifted)
	case AbsMTPositionX:
		s.x = e.Value
	case AbsMTPositionY:
		s.y = e.Value
	}
}

func (p *pipeline) key(e RawEvent) {
	if p.caps.Kind&KindTouch != 0 && !p.caps.MultiTouch && e.Code == BtnTouch {
		if e.Value == 2 {
			return
		}
		if down := e.Value != 0; down != p.stDown {
			p.stDown = down
			p.stID++
		}
		return
	}
	// Codes from 0x100 are buttons (BTN_TOUCH, BTN_TOOL_FINGER, mouse
	// buttons), not keys.
	if p.caps.Kind&KindKeyboard == 0 || e.Code >= 0x100 {
		return
	}
	a := p.hot[e.Code]
	switch e.Value {
	case 1:
		p.emit(Key{Name: KeyName(e.Code), Action: a})
	case 2:
		if a == ActionNone {
			p.emit(Key{Name: KeyName(e.Code), Repeat: true})
		}
	}
}

// gone ends the device: a gesture in progress is cancelled, never finished.
func (p *pipeline) gone() {
	if p.caps.Kind&KindTouch != 0 {
		p.rec.abort(nil)
	}
}

// tick and deadline drive a long-press while the finger is held still.
func (p *pipeline) tick(now time.Duration) {
	if !p.dropping {
		p.rec.tick(now)
	}
}

func (p *pipeline) deadline() (time.Duration, bool) {
	if p.caps.Kind&KindTouch == 0 || p.dropping {
		return 0, false
	}
	return p.rec.deadline()
}
