package decoded

import "time"

// logLimiter lets at most one log line through per interval and counts the
// ones it held back, so a decoder spewing garbage cannot flood the log (on
// an SD card) while the count still tells how bad it was.
type logLimiter struct {
	every      time.Duration
	last       time.Time
	suppressed int
}

// allow reports whether a line may be logged at now, and how many lines
// were suppressed since the last one that was.
func (l *logLimiter) allow(now time.Time) (ok bool, suppressed int) {
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		return false, 0
	}
	l.last = now
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}
