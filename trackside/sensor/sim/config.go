package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"pitwall/internal/monoclock"
)

// maxSpeed bounds the time compression; beyond it every wait is shorter
// than the scheduler can honour and nothing more is gained.
const maxSpeed = 1e6

// maxMean catches a mean lap given in the wrong unit.
const maxMean = time.Hour

// Car is one simulated car.
type Car struct {
	// Transponder the car reports ("" to simulate a beam-break that cannot
	// tell cars apart).
	Transponder string
	// Mean lap time (8–15 s is typical for DeepRacer) and its standard
	// deviation. Laps stay within Mean ± 3·Jitter, plus an off-track's cost.
	Mean   time.Duration
	Jitter time.Duration
}

// Config of a simulated source.
type Config struct {
	// Line is the timing line the cars cross.
	Line int
	Cars []Car
	// Speed compresses time: 1 is real time, 10 runs the session ten times
	// faster. Crossing.MonoNS advances in SIMULATED time from the host
	// monotonic reading at Run's start, so lap times stay realistic (8–15 s)
	// at any Speed. 0 means 1.
	Speed float64
	// OffTrack is the probability that a lap has an off-track (2–5 s slower).
	OffTrack float64
	// Chatter is the probability that a crossing is echoed by a second one
	// 5–50 ms later, as a bouncing beam or a second strip would.
	Chatter float64
	// LapsPerRun rotates cars: after this many laps the next car (in Cars
	// order) takes the track. 0 means a car drives until SetCar.
	LapsPerRun int
	// Seed makes the session reproducible: same seed, same laps.
	Seed int64
	// Clock returns the host monotonic time in ns; nil means CLOCK_MONOTONIC.
	Clock func() int64
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// OnOffTrack, if set, is called (from Run's goroutine, so it must not
	// block for long) when a car goes off track, so a simulated official can
	// press Reset.
	OnOffTrack func(transponder string)
}

func (c Config) withDefaults() (Config, error) {
	if c.Line < 0 {
		return c, fmt.Errorf("timing line %d is negative", c.Line)
	}
	if len(c.Cars) == 0 {
		return c, errors.New("no cars")
	}
	for i, car := range c.Cars {
		switch {
		case car.Mean <= 0 || car.Mean > maxMean:
			return c, fmt.Errorf("cars[%d]: mean lap %v outside (0, %v]", i, car.Mean, maxMean)
		case car.Jitter < 0:
			return c, fmt.Errorf("cars[%d]: jitter %v is negative", i, car.Jitter)
		case jitterClip*car.Jitter >= car.Mean:
			return c, fmt.Errorf("cars[%d]: jitter %v too large for mean %v (laps could be ≤ 0)", i, car.Jitter, car.Mean)
		}
	}
	switch {
	case c.Speed == 0:
		c.Speed = 1
	case math.IsNaN(c.Speed) || c.Speed < 0 || c.Speed > maxSpeed:
		return c, fmt.Errorf("speed %v outside (0, %v]", c.Speed, float64(maxSpeed))
	}
	if !probability(c.OffTrack) {
		return c, fmt.Errorf("off-track probability %v outside [0, 1]", c.OffTrack)
	}
	if !probability(c.Chatter) {
		return c, fmt.Errorf("chatter probability %v outside [0, 1]", c.Chatter)
	}
	if c.LapsPerRun < 0 {
		return c, fmt.Errorf("laps per run %d is negative", c.LapsPerRun)
	}
	c.Cars = append([]Car(nil), c.Cars...)
	if c.Clock == nil {
		c.Clock = monoclock.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

func probability(p float64) bool { return p >= 0 && p <= 1 } // false for NaN

// RandomCars returns n cars with transponders SIM001…, mean laps between 8
// and 15 s and a jitter of 2–5 % of the mean; the same seed gives the same
// cars.
func RandomCars(n int, seed int64) []Car {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x4341_5253)) // "CARS"
	cars := make([]Car, n)
	for i := range cars {
		mean := 8*time.Second + time.Duration(rng.Int64N(int64(7*time.Second)))
		mean = mean.Round(time.Millisecond)
		cars[i] = Car{
			Transponder: fmt.Sprintf("SIM%03d", i+1),
			Mean:        mean,
			Jitter:      time.Duration((0.02 + 0.03*rng.Float64()) * float64(mean)).Round(time.Millisecond),
		}
	}
	return cars
}
