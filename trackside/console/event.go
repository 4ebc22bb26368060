package console

import "time"

// Event is one input to the console: a touch gesture or a key. The evdev
// reader (package input) and the browser preview produce them; tests make
// them by hand. Coordinates are screen pixels.
type Event interface{ consoleEvent() }

// Tap is a touch lifted where it went down.
type Tap struct{ X, Y int }

// LongPress is a touch held in place.
type LongPress struct{ X, Y int }

// Drag is a finger moving: DY scrolls lists. End or Cancel says it is over.
type Drag struct {
	X, Y, DX, DY int
	End          bool
}

// Key is a key press: its kernel name ("KPENTER", "A") and its hotkey
// action ("reset_plus", "digit_7", "confirm", ...; see docs/console.md).
type Key struct {
	Name   string
	Action string
}

// Timed is an event with the time it happened (left the device or the
// browser). The run loop judges floods and settling by it, not by when it
// got round to the event: taps that waited while a command ran are still
// taps, not a flood.
type Timed struct {
	Event Event
	At    time.Time
}

func (Timed) consoleEvent()     {}
func (Tap) consoleEvent()       {}
func (LongPress) consoleEvent() {}
func (Drag) consoleEvent()      {}
func (Key) consoleEvent()       {}

// Hotkey actions the console acts on (the input package's names).
const (
	ActConfirm         = "confirm"
	ActErase           = "erase"
	ActCancel          = "cancel"
	ActResetPlus       = "reset_plus"
	ActResetMinus      = "reset_minus"
	ActCapture         = "capture_lap"
	ActStart           = "start"
	ActPause           = "pause"
	ActDNF             = "dnf"
	ActEnd             = "end"
	ActUndoFalseFinish = "undo_false_finish"
	actDigitPrefix     = "digit_"
)
