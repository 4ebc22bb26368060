package decoded

import (
	"sync/atomic"
	"time"
)

// watchdog closes a link that stayed silent too long. A serial decoder
// whose adapter is still plugged but whose decoder lost power, or a TCP
// peer behind a dead switch, can look connected forever otherwise.
type watchdog struct {
	after time.Duration
	timer *time.Timer // nil when the watchdog is off
	bit   atomic.Bool
}

// newWatchdog calls bite once after a silence of after; after <= 0 makes a
// watchdog that never bites.
func newWatchdog(after time.Duration, bite func()) *watchdog {
	w := &watchdog{after: after}
	if after > 0 {
		w.timer = time.AfterFunc(after, func() {
			w.bit.Store(true)
			bite()
		})
	}
	return w
}

// feed restarts the silence period.
func (w *watchdog) feed() {
	if w.timer != nil && !w.bit.Load() {
		w.timer.Reset(w.after)
	}
}

// pause stops the clock while the source is busy with its sink.
func (w *watchdog) pause() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// stop ends the watchdog.
func (w *watchdog) stop() { w.pause() }

// fired reports whether the watchdog bit.
func (w *watchdog) fired() bool { return w.bit.Load() }
