package input

import (
	"fmt"
	"time"
)

// Config is the console's input configuration. The JSON names are the keys
// proposed for the trackside config under "console" (see docs/console.md).
type Config struct {
	// Width and Height are the screen size in pixels as the console draws
	// it (after any display rotation); touches are scaled to it.
	Width, Height int `json:"-"`
	// Rotate turns touch coordinates clockwise by 0, 90, 180 or 270 degrees
	// after SwapXY and the inversions: the panel is mounted turned by this
	// much relative to the picture.
	Rotate int `json:"rotate"`
	// SwapXY exchanges the controller's axes, InvertX/InvertY mirror them,
	// all in the controller's own frame before Rotate.
	SwapXY  bool `json:"swap_xy"`
	InvertX bool `json:"invert_x"`
	InvertY bool `json:"invert_y"`
	// TapSlop is how far (screen pixels) a finger may wander and still tap;
	// beyond it the touch becomes a drag. Default 16.
	TapSlop int `json:"tap_slop"`
	// LongPress is the hold time of a long-press. Default 600ms.
	LongPress time.Duration `json:"long_press"`
	// Hotkeys overrides DefaultHotkeys: key name -> action, "" unbinds.
	Hotkeys map[string]string `json:"hotkeys"`
	// QueueSize bounds the events waiting for the console. Default 256.
	QueueSize int `json:"-"`
	// Rescan is how often /dev/input is listed for new or re-plugged
	// devices. Default 1s.
	Rescan time.Duration `json:"-"`
}

const (
	defaultTapSlop   = 16
	defaultLongPress = 600 * time.Millisecond
	defaultQueueSize = 256
	defaultRescan    = time.Second
)

// withDefaults fills the zero fields and validates the rest; errors name
// the config key.
func (c Config) withDefaults() (Config, error) {
	if c.Width <= 0 || c.Height <= 0 {
		return c, fmt.Errorf("console input: screen size %dx%d is not positive", c.Width, c.Height)
	}
	switch c.Rotate {
	case 0, 90, 180, 270:
	default:
		return c, fmt.Errorf("console.touch.rotate: %d is not 0, 90, 180 or 270", c.Rotate)
	}
	if c.TapSlop < 0 {
		return c, fmt.Errorf("console.touch.tap_slop: %d px is negative", c.TapSlop)
	}
	if c.TapSlop == 0 {
		c.TapSlop = defaultTapSlop
	}
	if c.LongPress < 0 {
		return c, fmt.Errorf("console.touch.long_press: %s is negative", c.LongPress)
	}
	if c.LongPress == 0 {
		c.LongPress = defaultLongPress
	}
	if c.QueueSize <= 0 {
		c.QueueSize = defaultQueueSize
	}
	if c.Rescan <= 0 {
		c.Rescan = defaultRescan
	}
	return c, nil
}
