//go:build linux

package monoclock

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

func now() int64 {
	var ts unix.Timespec
	// CLOCK_MONOTONIC is what the GPIO character device stamps line events
	// with; reading the same clock makes host and kernel stamps comparable.
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("clock_gettime(CLOCK_MONOTONIC): " + err.Error())
	}
	return ts.Nano()
}

func synced() bool {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
}

// bootIDFile is the kernel's random id of the running boot.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

func boot() (string, error) {
	b, err := os.ReadFile(bootIDFile)
	if err != nil {
		return "", fmt.Errorf("boot id: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if id == "" {
		return "", fmt.Errorf("boot id: %s is empty", bootIDFile)
	}
	return id, nil
}
