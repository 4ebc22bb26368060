package decoded

import (
	"testing"
	"time"
)

func TestLogLimiter(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		at             time.Duration
		ok             bool
		wantSuppressed int
	}{
		{0, true, 0},
		{100 * time.Millisecond, false, 0},
		{900 * time.Millisecond, false, 0},
		{time.Second, true, 2},
		{1500 * time.Millisecond, false, 0},
		{5 * time.Second, true, 1},
		{7 * time.Second, true, 0},
	}
	l := logLimiter{every: time.Second}
	for i, s := range steps {
		ok, n := l.allow(t0.Add(s.at))
		if ok != s.ok || n != s.wantSuppressed {
			t.Errorf("step %d at %v: allow = %v, %d; want %v, %d", i, s.at, ok, n, s.ok, s.wantSuppressed)
		}
	}
}
