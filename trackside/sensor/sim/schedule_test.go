package sim

import (
	"math"
	"testing"
	"time"
)

func TestLapTimeDistribution(t *testing.T) {
	car := Car{Transponder: "A", Mean: 10 * time.Second, Jitter: 400 * time.Millisecond}
	cfg := Config{Cars: []Car{car}, OffTrack: 0.2, Chatter: 0.1, Seed: 7}
	sched := newSchedule(cfg, 0)

	const laps = 3000
	lo, hi := car.Mean-jitterClip*car.Jitter, car.Mean+jitterClip*car.Jitter
	var clean []float64
	offLaps, echoes, crossings := 0, 0, 0
	prev := time.Duration(-1)
	offInLap := false
	for crossings < laps+1 {
		e := sched.next()
		switch e.kind {
		case kindOffTrack:
			if prev < 0 || e.at <= prev {
				t.Fatalf("off-track at %v outside a lap (last crossing %v)", e.at, prev)
			}
			offInLap = true
		case kindEcho:
			echoes++
			if d := e.at - prev; d < echoMin || d > echoMax {
				t.Fatalf("echo %v after its crossing, want %v..%v", d, echoMin, echoMax)
			}
		case kindCrossing:
			crossings++
			if prev >= 0 {
				lap := e.at - prev
				if offInLap {
					offLaps++
					if lap < lo+offTrackMin || lap > hi+offTrackMax {
						t.Fatalf("off-track lap %v outside [%v, %v]", lap, lo+offTrackMin, hi+offTrackMax)
					}
				} else {
					if lap < lo || lap > hi {
						t.Fatalf("lap %v outside [%v, %v]", lap, lo, hi)
					}
					clean = append(clean, lap.Seconds())
				}
			} else if e.at != startDelay {
				t.Fatalf("first crossing at %v, want %v", e.at, startDelay)
			}
			prev, offInLap = e.at, false
		}
	}
	mean, sd := meanSD(clean)
	if math.Abs(mean-car.Mean.Seconds()) > 0.05 {
		t.Errorf("mean clean lap %.3fs, want %.3fs ± 0.05", mean, car.Mean.Seconds())
	}
	if j := car.Jitter.Seconds(); sd < 0.85*j || sd > 1.1*j {
		t.Errorf("lap spread %.3fs, want about %.3fs", sd, j)
	}
	if r := float64(offLaps) / laps; r < 0.15 || r > 0.25 {
		t.Errorf("off-track rate %.3f, want about 0.2", r)
	}
	if r := float64(echoes) / (laps + 1); r < 0.07 || r > 0.13 {
		t.Errorf("echo rate %.3f, want about 0.1", r)
	}
}

func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

func TestScheduleRotatesCars(t *testing.T) {
	cars := []Car{
		{Transponder: "A", Mean: 9 * time.Second},
		{Transponder: "B", Mean: 12 * time.Second},
		{Transponder: "C", Mean: 10 * time.Second},
	}
	tests := []struct {
		name       string
		lapsPerRun int
		first      int
		want       []int // car of each crossing
	}{
		{name: "never switch", lapsPerRun: 0, first: 1, want: []int{1, 1, 1, 1, 1, 1, 1}},
		{name: "two laps each", lapsPerRun: 2, first: 0, want: []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 0}},
		{name: "one lap each from the last car", lapsPerRun: 1, first: 2, want: []int{2, 2, 0, 0, 1, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched := newSchedule(Config{Cars: cars, LapsPerRun: tt.lapsPerRun, Seed: 1}, tt.first)
			var prev event
			for i, want := range tt.want {
				e := sched.next()
				if e.kind != kindCrossing || e.car != want {
					t.Fatalf("event %d = %+v, want a crossing of car %d", i, e, want)
				}
				if i == 0 {
					prev = e
					continue
				}
				gap := e.at - prev.at
				switch {
				case e.car != prev.car && gap != changeover:
					t.Errorf("next car starts %v after the last crossing, want the changeover %v", gap, changeover)
				case e.car == prev.car && gap != cars[e.car].Mean:
					t.Errorf("lap of car %d = %v, want %v (no jitter)", e.car, gap, cars[e.car].Mean)
				}
				prev = e
			}
		})
	}
}

func TestScheduleSwitchDropsTheLapInProgress(t *testing.T) {
	cars := []Car{{Transponder: "A", Mean: 10 * time.Second}, {Transponder: "B", Mean: 11 * time.Second}}
	sched := newSchedule(Config{Cars: cars, OffTrack: 1, Seed: 3}, 0)
	if e := sched.next(); e.kind != kindCrossing || e.car != 0 {
		t.Fatalf("first event %+v", e)
	}
	sched.peek() // car 0's next lap (with its off-track) is queued…
	sched.switchTo(1, 5*time.Second)
	e := sched.next() // …and dropped
	if e.kind != kindCrossing || e.car != 1 || e.at != 5*time.Second+changeover {
		t.Fatalf("after switch: %+v, want car 1 crossing at %v", e, 5*time.Second+changeover)
	}
}
