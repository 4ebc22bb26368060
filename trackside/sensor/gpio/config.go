package gpio

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultHoldOff is the hold-off New applies when Config.HoldOff is 0.
// Kernel debounce has no default period: it is off unless asked for (see
// Config.Debounce).
const DefaultHoldOff = 300 * time.Millisecond

// Bounds that catch unit mistakes (5e9 meant as milliseconds) in the config.
const (
	maxDebounce = time.Second
	maxHoldOff  = 10 * time.Second
)

// LineConfig maps one timing line to its strips.
type LineConfig struct {
	// Line is the timing line number: 0 is start/finish, others are splits.
	Line int
	// Offsets of the GPIO lines of the line's strips on the chip: one for a
	// single beam or strip, two for a pair of strips. An edge on either is
	// a crossing of the same line.
	Offsets []int
}

// Config of a GPIO source.
type Config struct {
	// ChipLabel names the chip (LabelPi5, LabelPi4…); the caller opens it
	// with OpenChip, the source shows it in its health detail.
	ChipLabel string
	Lines     []LineConfig
	// ActiveLow: the sensor pulls the line low when the beam is broken or the
	// strip pressed. The crossing is the edge to the active level.
	ActiveLow bool
	// Debounce is the kernel debounce period; 0 (the default) leaves kernel
	// debounce off, a negative value is an error.
	//
	// Off is the default because a debounced edge is stamped late and
	// unevenly: the kernel stamps it when the line has been stable for the
	// period, from a workqueue (debounce_work_func in gpiolib-cdev.c), so
	// every stamp is late by the period rounded up to whole jiffies plus up
	// to a jiffy of jitter (4 ms at HZ=250), and that jitter lands in the lap
	// times. Without debounce the stamp is taken in the hard IRQ handler, and
	// chatter of one crossing is absorbed by HoldOff (and the race's minimum
	// lap). Turn it on only for glitches on a long, noisy cable, with a
	// period shorter than the shortest real pulse (a wheel on a pressure
	// strip is a few ms at speed).
	Debounce time.Duration
	// HoldOff: an edge on any strip of a line less than HoldOff after the
	// line's last accepted crossing (by kernel timestamp) is chatter of that
	// crossing. 0 means DefaultHoldOff.
	HoldOff time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// withDefaults validates c and returns it with defaults filled in. It
// returns an error for a config no source should run with.
func (c Config) withDefaults() (Config, error) {
	if len(c.Lines) == 0 {
		return c, errors.New("no timing lines configured")
	}
	lines := make(map[int]bool, len(c.Lines))
	offsets := make(map[int]int)
	for i, l := range c.Lines {
		if l.Line < 0 {
			return c, fmt.Errorf("lines[%d]: timing line %d is negative", i, l.Line)
		}
		if lines[l.Line] {
			return c, fmt.Errorf("lines[%d]: timing line %d configured twice", i, l.Line)
		}
		lines[l.Line] = true
		if n := len(l.Offsets); n < 1 || n > 2 {
			return c, fmt.Errorf("lines[%d]: timing line %d has %d strips, want 1 or 2", i, l.Line, n)
		}
		for _, off := range l.Offsets {
			if off < 0 {
				return c, fmt.Errorf("lines[%d]: gpio offset %d is negative", i, off)
			}
			if prev, dup := offsets[off]; dup {
				return c, fmt.Errorf("lines[%d]: gpio offset %d already used by timing line %d", i, off, prev)
			}
			offsets[off] = l.Line
		}
	}
	switch {
	case c.Debounce < 0:
		return c, fmt.Errorf("debounce %v is negative (0 leaves kernel debounce off)", c.Debounce)
	case c.Debounce > maxDebounce:
		return c, fmt.Errorf("debounce %v is longer than %v", c.Debounce, maxDebounce)
	}
	switch {
	case c.HoldOff == 0:
		c.HoldOff = DefaultHoldOff
	case c.HoldOff < 0:
		return c, fmt.Errorf("hold-off %v is negative", c.HoldOff)
	case c.HoldOff > maxHoldOff:
		return c, fmt.Errorf("hold-off %v is longer than %v", c.HoldOff, maxHoldOff)
	}
	// Copy the line table so a caller mutating its slices later cannot
	// change a running source.
	own := make([]LineConfig, len(c.Lines))
	for i, l := range c.Lines {
		own[i] = LineConfig{Line: l.Line, Offsets: append([]int(nil), l.Offsets...)}
	}
	c.Lines = own
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
