//go:build !linux

package monoclock

import (
	"crypto/rand"
	"fmt"
	"time"
)

var start = time.Now()

// now falls back to Go's monotonic reading, which has the same properties
// (never steps) but a different origin from any kernel event stamp.
func now() int64 { return int64(time.Since(start)) }

func synced() bool { return true }

// process is this process's timeline: now counts from its start.
var process = func() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return fmt.Sprintf("process-%x", b)
}()

func boot() (string, error) { return process, nil }
