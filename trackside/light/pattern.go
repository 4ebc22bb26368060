package light

import (
	"fmt"
	"time"
)

// Pattern is a repeating on/off pattern: On, then Off, then again. Off == 0
// is steady on; On == 0 is steady off.
type Pattern struct {
	On, Off time.Duration
}

// Unit states Show knows, and their patterns. A status LED is read from
// across a room: steady means fine, slow blink means look at it, fast blink
// means it is broken.
var patterns = map[string]Pattern{
	"off":      {},
	"ok":       {On: time.Second},
	"racing":   {On: time.Second},
	"degraded": {On: 500 * time.Millisecond, Off: 500 * time.Millisecond},
	"down":     {On: 100 * time.Millisecond, Off: 100 * time.Millisecond},
}

// PatternFor returns the pattern shown for a unit state: "ok" steady on,
// "degraded" slow blink (1 Hz), "down" fast blink (5 Hz), "racing" on,
// "off" off.
func PatternFor(state string) (Pattern, error) {
	p, ok := patterns[state]
	if !ok {
		return Pattern{}, fmt.Errorf("light: unknown state %q (want ok, degraded, down, racing or off)", state)
	}
	return p, nil
}

// Steady reports whether the pattern never changes level.
func (p Pattern) Steady() bool { return p.On <= 0 || p.Off <= 0 }

// Level is the pattern's level (true = on) at elapsed since it started. It
// is a pure function of elapsed so a late timer tick never shifts the
// pattern's phase.
func (p Pattern) Level(elapsed time.Duration) bool {
	switch {
	case p.On <= 0:
		return false
	case p.Off <= 0:
		return true
	}
	return max(elapsed, 0)%(p.On+p.Off) < p.On
}

// untilChange is how long after elapsed the level next changes. Steady
// patterns never change; it returns a day so callers need no special case.
func (p Pattern) untilChange(elapsed time.Duration) time.Duration {
	if p.Steady() {
		return 24 * time.Hour
	}
	phase := max(elapsed, 0) % (p.On + p.Off)
	if phase < p.On {
		return p.On - phase
	}
	return p.On + p.Off - phase
}
