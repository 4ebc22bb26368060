package input

import (
	"fmt"
	"io"
	"time"
)

// AbsInfo is struct input_absinfo: an axis' current value and range.
type AbsInfo struct {
	Value, Minimum, Maximum, Fuzz, Flat, Resolution int32
}

// Device is one opened evdev node: the narrow slice of the evdev ioctls this
// package needs. The Linux implementation talks to /dev/input/event*; tests
// use a fake that replays a recorded byte stream.
type Device interface {
	// Read returns whole input_event records in Layout's shape. An error
	// wrapping ENODEV means the device was unplugged.
	io.ReadCloser
	// Layout is the shape of the records Read returns.
	Layout() Layout
	// Name is EVIOCGNAME ("ILITEK ILITEK-TP").
	Name() (string, error)
	// Bits is EVIOCGBIT: the bitmap of supported event types (evType 0) or
	// of supported codes of one type (EvKey, EvAbs).
	Bits(evType uint16) ([]byte, error)
	// AbsInfo is EVIOCGABS: an axis' range and current value.
	AbsInfo(code uint16) (AbsInfo, error)
	// MTSlots is EVIOCGMTSLOTS: the current value of an ABS_MT_* axis in
	// each of the first n slots.
	MTSlots(code uint16, n int) ([]int32, error)
	// KeyState is EVIOCGKEY: the bitmap of keys and buttons held down now.
	KeyState() ([]byte, error)
}

// eventClock is implemented by devices whose timestamps come from a clock
// that can be read now (the Linux device switches to CLOCK_MONOTONIC). With
// it a long-press fires while the finger is still held; without it (a
// replay) it fires at the first event after the hold time, or at the lift.
type eventClock interface {
	Now() time.Duration
}

// Source lists and opens devices: /dev/input on Linux, fakes in tests.
type Source interface {
	// List returns the paths of the event devices present now.
	List() ([]string, error)
	Open(path string) (Device, error)
}

// Kind says what a device is good for; a device can be both.
type Kind uint8

const (
	KindTouch Kind = 1 << iota
	KindKeyboard
)

func (k Kind) String() string {
	switch k {
	case 0:
		return "none"
	case KindTouch:
		return "touch"
	case KindKeyboard:
		return "keyboard"
	case KindTouch | KindKeyboard:
		return "touch+keyboard"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

func bit(bits []byte, n int) bool {
	return n/8 < len(bits) && bits[n/8]&(1<<(n%8)) != 0
}

// Capabilities is what discovery learnt about a device.
type Capabilities struct {
	Kind Kind
	// MultiTouch is true for protocol B (ABS_MT_SLOT and
	// ABS_MT_POSITION_X); such devices usually emulate single-touch as well,
	// which is then ignored.
	MultiTouch bool
}

// probe classifies a device from its EVIOCGBIT bitmaps:
//   - touch: EV_ABS with ABS_MT_POSITION_X+Y and ABS_MT_SLOT (protocol B), or
//     ABS_X+ABS_Y together with BTN_TOUCH (single-touch). Protocol A devices
//     (MT positions without slots) are driven through their single-touch
//     emulation when they have it.
//   - keyboard: EV_KEY with letter keys (A, Z, SPACE) or the keypad digits
//     and KPENTER. Power buttons, remote controls and mice have EV_KEY too,
//     but none of these keys.
func probe(d Device) (Capabilities, error) {
	var c Capabilities
	types, err := d.Bits(0)
	if err != nil {
		return c, fmt.Errorf("EVIOCGBIT(0): %w", err)
	}
	var keys, abs []byte
	if bit(types, EvKey) {
		if keys, err = d.Bits(EvKey); err != nil {
			return c, fmt.Errorf("EVIOCGBIT(EV_KEY): %w", err)
		}
	}
	if bit(types, EvAbs) {
		if abs, err = d.Bits(EvAbs); err != nil {
			return c, fmt.Errorf("EVIOCGBIT(EV_ABS): %w", err)
		}
	}
	if bit(abs, AbsMTPositionX) && bit(abs, AbsMTPositionY) && bit(abs, AbsMTSlot) && bit(abs, AbsMTTrackingID) {
		c.Kind |= KindTouch
		c.MultiTouch = true
	} else if bit(abs, AbsX) && bit(abs, AbsY) && bit(keys, BtnTouch) {
		c.Kind |= KindTouch
	}
	letters := bit(keys, keyA) && bit(keys, keyZ) && bit(keys, keySpace)
	keypad := bit(keys, keyKP0) && bit(keys, keyKP9) && bit(keys, keyKPEnter)
	if letters || keypad {
		c.Kind |= KindKeyboard
	}
	return c, nil
}
