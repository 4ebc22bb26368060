package console

import (
	"time"

	"pitwall/trackside/console/input"
)

// FromInput turns an evdev event of package input into the console's own,
// or reports false for events the console must not act on: a drag that was
// cancelled (the finger slid off, events were lost, the device went away)
// and key autorepeats (a held key would look like a flood; keys bound to
// an action never repeat anyway).
func FromInput(ev input.Event) (Event, bool) {
	switch e := ev.(type) {
	case input.Tap:
		return Tap{X: e.X, Y: e.Y}, true
	case input.LongPress:
		return LongPress{X: e.X, Y: e.Y}, true
	case input.Drag:
		switch e.Phase {
		case input.DragCancel:
			return nil, false
		case input.DragEnd:
			return Drag{X: e.X, Y: e.Y, End: true}, true
		}
		return Drag{X: e.X, Y: e.Y, DX: e.DX, DY: e.DY}, true
	case input.Key:
		if e.Repeat {
			return nil, false
		}
		return Key{Name: e.Name, Action: string(e.Action)}, true
	}
	return nil, false
}

// Pump copies the events of in into out until in closes, converting them
// and stamping each with the time it arrived (Timed); when out is full an
// event is dropped rather than waited for, so a flood never holds up the
// evdev reader.
func Pump(in <-chan input.Event, out chan<- Event) {
	for ev := range in {
		if e, ok := FromInput(ev); ok {
			select {
			case out <- Timed{Event: e, At: time.Now()}:
			default:
			}
		}
	}
}
