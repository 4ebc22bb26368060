//go:build !linux

package gpio

import (
	"fmt"
	"runtime"
)

// FindChip needs the Linux GPIO character device.
func FindChip(label string) (string, error) {
	return "", fmt.Errorf("find gpio chip %q: the GPIO character device needs Linux, not %s", label, runtime.GOOS)
}

// OpenChip needs the Linux GPIO character device; use a fake Chip (tests) or
// the simulator elsewhere.
func OpenChip(label string) (Chip, error) {
	return nil, fmt.Errorf("open gpio chip %q: the GPIO character device needs Linux, not %s", label, runtime.GOOS)
}
