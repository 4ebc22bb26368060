package input

import "time"

// contact is one finger in a frame, in raw controller coordinates.
type contact struct {
	id   int32
	x, y int32
}

type gestureState uint8

const (
	statePending  gestureState = iota // down, within slop, before the hold time
	stateDragging                     // moved beyond the slop
	stateHeld                         // long-press delivered; waits for the lift
	stateDead                         // off the panel or interrupted: nothing more comes of it
)

// recognizer turns frames of contacts into taps, drags and long-presses.
// One finger drives a gesture: the first to touch down while no gesture is
// running. Fingers that touch down during a gesture, or that were already
// down when the device was opened or re-synchronised, are ignored until
// they lift, so a palm or a second finger never acts.
type recognizer struct {
	tf   transform
	slop int
	hold time.Duration
	emit func(Event)
	// offPanel counts touches dropped for being outside the controller's range.
	offPanel *uint64

	seen, next []int32 // contact ids of the previous frame / being built

	on             bool
	id             int32
	state          gestureState
	t0             time.Duration
	x0, y0, lx, ly int
}

func (r *recognizer) wasSeen(id int32) bool {
	for _, s := range r.seen {
		if s == id {
			return true
		}
	}
	return false
}

// frame takes the contacts after a SYN_REPORT stamped t.
func (r *recognizer) frame(t time.Duration, cs []contact) {
	if r.on {
		found := false
		for _, c := range cs {
			if c.id == r.id {
				r.move(t, c)
				found = true
				break
			}
		}
		if !found {
			r.lift(t)
		}
	}
	if !r.on {
		for _, c := range cs {
			if !r.wasSeen(c.id) {
				r.start(t, c)
				break
			}
		}
	}
	r.remember(cs)
}

func (r *recognizer) remember(cs []contact) {
	r.next = r.next[:0]
	for _, c := range cs {
		r.next = append(r.next, c.id)
	}
	r.seen, r.next = r.next, r.seen
}

func (r *recognizer) start(t time.Duration, c contact) {
	x, y, ok := r.tf.screen(c.x, c.y)
	r.on, r.id, r.t0 = true, c.id, t
	r.x0, r.y0, r.lx, r.ly = x, y, x, y
	r.state = statePending
	if !ok {
		r.state = stateDead
		*r.offPanel++
	}
}

func (r *recognizer) move(t time.Duration, c contact) {
	if r.state == stateDead || r.state == stateHeld {
		return
	}
	x, y, ok := r.tf.screen(c.x, c.y)
	if !ok {
		// Sliding off the panel ends the gesture: whatever the finger does
		// out there (or garbage coordinates) must not finish a tap or drag.
		if r.state == stateDragging {
			r.emit(Drag{X: r.lx, Y: r.ly, Phase: DragCancel})
		}
		r.state = stateDead
		*r.offPanel++
		return
	}
	switch r.state {
	case statePending:
		// The hold time is checked first: this frame's timestamp says the
		// finger was still until now, so with a live clock the long-press
		// would already have fired.
		if t-r.t0 >= r.hold {
			r.emit(LongPress{X: r.x0, Y: r.y0})
			r.state = stateHeld
			return
		}
		dx, dy := x-r.x0, y-r.y0
		if dx*dx+dy*dy > r.slop*r.slop {
			r.emit(Drag{X: x, Y: y, DX: dx, DY: dy, Phase: DragBegin})
			r.lx, r.ly = x, y
			r.state = stateDragging
		}
	case stateDragging:
		if x != r.lx || y != r.ly {
			r.emit(Drag{X: x, Y: y, DX: x - r.lx, DY: y - r.ly, Phase: DragMove})
			r.lx, r.ly = x, y
		}
	}
}

func (r *recognizer) lift(t time.Duration) {
	switch r.state {
	case statePending:
		if t-r.t0 >= r.hold {
			r.emit(LongPress{X: r.x0, Y: r.y0})
		} else {
			r.emit(Tap{X: r.x0, Y: r.y0})
		}
	case stateDragging:
		r.emit(Drag{X: r.lx, Y: r.ly, Phase: DragEnd})
	}
	r.on = false
}

// tick fires a pending long-press when the device's clock says the hold
// time has passed with no event since (a finger held still sends nothing).
func (r *recognizer) tick(now time.Duration) {
	if r.on && r.state == statePending && now-r.t0 >= r.hold {
		r.emit(LongPress{X: r.x0, Y: r.y0})
		r.state = stateHeld
	}
}

// deadline is when tick would fire a long-press, in the event clock.
func (r *recognizer) deadline() (time.Duration, bool) {
	if r.on && r.state == statePending {
		return r.t0 + r.hold, true
	}
	return 0, false
}

// abort ends the running gesture without acting on it (events were lost or
// the device went away); cs are the contacts still down, which must lift
// before they can start a gesture.
func (r *recognizer) abort(cs []contact) {
	if r.on && r.state == stateDragging {
		r.emit(Drag{X: r.lx, Y: r.ly, Phase: DragCancel})
	}
	r.on = false
	r.remember(cs)
}
