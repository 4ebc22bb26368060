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

func TestBootIsStableWithinABoot(t *testing.T) {
	a, err := Boot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Boot()
	if err != nil {
		t.Fatal(err)
	}
	if a == "" || a != b {
		t.Fatalf("Boot() = %q then %q: want one non-empty id", a, b)
	}
}
