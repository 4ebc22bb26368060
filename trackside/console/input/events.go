package input

import "fmt"

// Event is one high-level input event: Tap, Drag, LongPress or Key.
// Coordinates are screen pixels, 0 <= X < Config.Width, 0 <= Y < Config.Height.
type Event interface{ inputEvent() }

// Tap is a touch released within the tap slop before the long-press time,
// at the point it went down.
type Tap struct{ X, Y int }

// LongPress is a touch held within the tap slop for the long-press time, at
// the point it went down. Its release produces nothing more.
type LongPress struct{ X, Y int }

// Phase is where a drag is.
type Phase uint8

const (
	// DragBegin: the finger left the tap slop. DX/DY are from the touch-down point.
	DragBegin Phase = iota + 1
	// DragMove: DX/DY since the previous Drag event (moves the console has
	// not taken yet are merged, so DX/DY always add up).
	DragMove
	// DragEnd: the finger lifted at X/Y; DX = DY = 0.
	DragEnd
	// DragCancel: the drag ended without a lift the console should act on
	// (finger slid off the panel, events were lost, device unplugged).
	DragCancel
)

func (p Phase) String() string {
	switch p {
	case DragBegin:
		return "begin"
	case DragMove:
		return "move"
	case DragEnd:
		return "end"
	case DragCancel:
		return "cancel"
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// Drag is a finger moving beyond the tap slop: scroll by DX/DY.
type Drag struct {
	X, Y, DX, DY int
	Phase        Phase
}

// Key is a key press from a keyboard or keypad. Name is the kernel key name
// without KEY_ ("KPENTER", "S", "7"); Action is its hotkey binding or "".
// Repeat is an autorepeat of a held key; keys bound to an action never
// repeat (holding "+" must count one reset, not twenty).
type Key struct {
	Name   string
	Action Action
	Repeat bool
}

func (Tap) inputEvent()       {}
func (LongPress) inputEvent() {}
func (Drag) inputEvent()      {}
func (Key) inputEvent()       {}
