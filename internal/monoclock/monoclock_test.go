package monoclock

import (
	"testing"
	"time"
)

func TestNowIsMonotonicAndTicks(t *testing.T) {
	a := Now()
	time.Sleep(5 * time.Millisecond)
	b := Now()
	if d := time.Duration(b - a); d < 4*time.Millisecond || d > time.Second {
		t.Fatalf("5ms sleep measured as %v", d)
	}
}
