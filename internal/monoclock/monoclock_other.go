//go:build !linux

package monoclock

import "time"

var start = time.Now()

// now falls back to Go's monotonic reading, which has the same properties
// (never steps) but a different origin from any kernel event stamp.
func now() int64 { return int64(time.Since(start)) }

func synced() bool { return true }
