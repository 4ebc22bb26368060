// Package monoclock reads the clocks a timing appliance cares about: the
// kernel's CLOCK_MONOTONIC (the timeline of GPIO event timestamps, so host
// stamps and kernel stamps can be compared) and whether the wall clock has
// been synchronised (a Raspberry Pi has no RTC and boots with a stale date).
package monoclock

import "time"

// Now returns CLOCK_MONOTONIC in nanoseconds.
func Now() int64 { return now() }

// Boot names the timeline Now reads: CLOCK_MONOTONIC starts again near zero
// at every boot, so a stamp is only comparable with stamps of the same
// Boot. On Linux it is the kernel's boot id; elsewhere (where Now counts
// from process start) a random id made once per process. An error means
// the timeline cannot be named; callers then cannot tell a restart of the
// process from a reboot.
func Boot() (string, error) { return boot() }

// Synced reports whether the wall clock is known to be right: the kernel
// says NTP (or chrony, or systemd-timesyncd) has disciplined it.
func Synced() bool {
	if time.Now().Year() < 2025 {
		return false
	}
	return synced()
}
