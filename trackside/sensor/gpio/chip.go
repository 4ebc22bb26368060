package gpio

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Edge is one line event as the kernel reports it.
type Edge struct {
	// Offset of the GPIO line on its chip.
	Offset int
	// Rising is true for a transition to the line's ACTIVE level, after the
	// active-low inversion (the kernel's own convention: with active-low
	// configured, a physical high→low transition is reported as rising).
	Rising bool
	// TimestampNS is the kernel's CLOCK_MONOTONIC stamp of the edge.
	TimestampNS int64
	// Seqno counts events of the whole request; LineSeqno counts events of
	// this line. Both start at 1 for a new request and are 0 on the old v1
	// uAPI, which has no sequence numbers.
	Seqno, LineSeqno uint32
}

// Lines is a granted request of input lines: their edges, until Close.
// Edges is closed once the request ends (after Close, or if the lines go
// away on their own).
type Lines interface {
	Edges() <-chan Edge
	Close() error
}

// Chip is a GPIO chip that can grant input lines with edge events.
// Implementations apply activeLow so that Edge.Rising is always "became
// active", and apply the kernel debounce when debounce > 0.
type Chip interface {
	Request(offsets []int, activeLow bool, debounce time.Duration) (Lines, error)
}

// chipLister is the part of the GPIO character device FindChip needs:
// which chips exist and what each one calls itself. It lets the label scan
// run against fake Raspberry Pi layouts in tests.
type chipLister interface {
	// Chips returns the device names ("gpiochip0") found under /dev.
	Chips() []string
	// Label opens the named chip and returns its label ("pinctrl-rp1").
	Label(name string) (string, error)
}

// ErrChipNotFound is wrapped by FindChip when no chip has the label.
var ErrChipNotFound = errors.New("gpio chip not found")

// Labels of the chip that drives the 40-pin header on Raspberry Pi boards.
// The chip NUMBER differs between boards and kernels (Pi 5: gpiochip4 on
// kernels before 6.6.45, gpiochip0 after, with a compatibility symlink), so
// pitwall always looks the chip up by label.
const (
	LabelPi5 = "pinctrl-rp1"
	LabelPi4 = "pinctrl-bcm2711"
	LabelPi3 = "pinctrl-bcm2835"
)

// findChip returns the /dev path of the first chip, in numeric order, whose
// label is label.
func findChip(l chipLister, label string) (string, error) {
	if label == "" {
		return "", errors.New("find gpio chip: empty label")
	}
	names := append([]string(nil), l.Chips()...)
	// Numeric order so that gpiochip0 wins over its gpiochip4 alias on a
	// Pi 5 and over gpiochip10.
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) < len(names[j])
		}
		return names[i] < names[j]
	})
	var seen []string
	var failed []error
	for _, name := range names {
		got, err := l.Label(name)
		if err != nil {
			// One unreadable chip (permissions, a chip being unbound) must not
			// hide the one we want.
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if got == label {
			return devPath(name), nil
		}
		seen = append(seen, name+"="+got)
	}
	msg := "none present"
	if len(seen) > 0 {
		msg = "present: " + strings.Join(seen, ", ")
	}
	err := fmt.Errorf("find gpio chip %q (%s): %w", label, msg, ErrChipNotFound)
	if len(failed) > 0 {
		err = errors.Join(err, fmt.Errorf("unreadable chips: %w", errors.Join(failed...)))
	}
	return "", err
}

func devPath(name string) string {
	if strings.HasPrefix(name, "/dev/") {
		return name
	}
	return "/dev/" + name
}
