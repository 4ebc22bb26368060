package light

import (
	"testing"
	"time"
)

func TestPatternLevel(t *testing.T) {
	const ms = time.Millisecond
	slow, _ := PatternFor("degraded")
	fast, _ := PatternFor("down")
	ok, _ := PatternFor("ok")
	racing, _ := PatternFor("racing")
	off, _ := PatternFor("off")
	tests := []struct {
		name    string
		p       Pattern
		elapsed time.Duration
		want    bool
		until   time.Duration
	}{
		{"ok on at start", ok, 0, true, 24 * time.Hour},
		{"ok on an hour later", ok, time.Hour, true, 24 * time.Hour},
		{"racing on", racing, 1234 * ms, true, 24 * time.Hour},
		{"off", off, 700 * ms, false, 24 * time.Hour},
		{"slow: on at start", slow, 0, true, 500 * ms},
		{"slow: still on", slow, 499 * ms, true, 1 * ms},
		{"slow: off at half period", slow, 500 * ms, false, 500 * ms},
		{"slow: off late in the period", slow, 999 * ms, false, 1 * ms},
		{"slow: on again", slow, 1000 * ms, true, 500 * ms},
		{"slow: late tick keeps phase", slow, 2650 * ms, false, 350 * ms},
		{"fast: on", fast, 50 * ms, true, 50 * ms},
		{"fast: off", fast, 150 * ms, false, 50 * ms},
		{"fast: on in 6th period", fast, 1000 * ms, true, 100 * ms},
		{"negative elapsed is the start", slow, -5 * ms, true, 500 * ms},
		{"uneven duty", Pattern{On: 100 * ms, Off: 900 * ms}, 150 * ms, false, 850 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Level(tt.elapsed); got != tt.want {
				t.Errorf("Level(%v) = %v, want %v", tt.elapsed, got, tt.want)
			}
			if got := tt.p.untilChange(tt.elapsed); got != tt.until {
				t.Errorf("untilChange(%v) = %v, want %v", tt.elapsed, got, tt.until)
			}
		})
	}
}

func TestPatternFor(t *testing.T) {
	for _, state := range []string{"ok", "degraded", "down", "racing", "off"} {
		if _, err := PatternFor(state); err != nil {
			t.Errorf("PatternFor(%q): %v", state, err)
		}
	}
	for _, state := range []string{"", "OK", "connecting", "blink"} {
		if _, err := PatternFor(state); err == nil {
			t.Errorf("PatternFor(%q) succeeded", state)
		}
	}
	slow, _ := PatternFor("degraded")
	fast, _ := PatternFor("down")
	if slow.On+slow.Off <= fast.On+fast.Off {
		t.Errorf("degraded blinks at %v, not slower than down at %v", slow.On+slow.Off, fast.On+fast.Off)
	}
}
