package track

import "pitwall/internal/monoclock"

// MonoNow is the host CLOCK_MONOTONIC in ns: the timeline of crossings.
func MonoNow() int64 { return monoclock.Now() }

// ClockSynced reports whether the wall clock can be shown and stamped.
func ClockSynced() bool { return monoclock.Synced() }
