package race

import (
	"testing"
	"time"
)

// Kernel stamps are ns; recorded lap times are whole ms, so two laps that
// differ by less than a millisecond are equal on the board and in ranking.
func TestLapTimesAreTruncatedToResolution(t *testing.T) {
	e, err := NewEngine("t1", DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Queue("r1"); err != nil {
		t.Fatal(err)
	}
	const t0 = int64(1000 * time.Second)
	if _, err := e.Load(t0); err != nil {
		t.Fatal(err)
	}
	stamps := []int64{t0 + 1, t0 + 1 + int64(9876543210), t0 + 1 + int64(9876543210) + int64(9876999999)}
	for _, s := range stamps {
		if _, err := e.Crossing(s, 0); err != nil {
			t.Fatal(err)
		}
	}
	laps := e.Current().Laps
	if len(laps) != 2 || laps[0].Time != 9876*time.Millisecond || laps[1].Time != 9876*time.Millisecond {
		t.Fatalf("laps %+v, want two 9.876 s laps", laps)
	}
	r := e.Current()
	if _, err := EditLap(r, 1, 9876500*time.Microsecond); err == nil {
		t.Fatal("an entered time with sub-millisecond digits was accepted")
	}
}
