// Package heartbeat lets a long-running loop say "I went round": the
// watchdog (internal/sdnotify) pings systemd only while every loop that
// matters has gone round recently, so a loop stuck on a lock, a full disk
// or a blocked write stops the pings and systemd restarts the daemon.
package heartbeat

import (
	"fmt"
	"sync/atomic"
	"time"
)

// origin anchors beats to the monotonic clock.
var origin = time.Now()

// Beat records when a loop last went round. The zero value is a loop that
// has not gone round yet; its age counts from the process start. Safe for
// concurrent use.
type Beat struct{ at atomic.Int64 } // nanoseconds since origin

// Mark records one pass of the loop.
func (b *Beat) Mark() { b.at.Store(int64(time.Since(origin))) }

// Age is how long ago the loop last went round.
func (b *Beat) Age() time.Duration {
	return time.Since(origin) - time.Duration(b.at.Load())
}

// Check is one loop the daemon's health depends on.
type Check struct {
	Name string        // "writer", "publisher", "render"
	Beat *Beat         // nil: not running (not checked)
	Max  time.Duration // the longest a healthy pass takes, with margin
}

// Stuck returns an error naming the first loop whose beat is older than
// its Max, or nil when every loop is alive.
func Stuck(checks ...Check) error {
	for _, c := range checks {
		if c.Beat == nil {
			continue
		}
		if age := c.Beat.Age(); age > c.Max {
			return fmt.Errorf("%s loop stuck: no pass for %s (limit %s)", c.Name, age.Round(time.Millisecond), c.Max)
		}
	}
	return nil
}
