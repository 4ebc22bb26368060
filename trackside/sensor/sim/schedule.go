package sim

import (
	"math/rand/v2"
	"time"
)

// Simulated-time constants of a DeepRacer session.
const (
	// startDelay: the first car crosses the line this long after Run starts
	// (it is placed just before the line).
	startDelay = 2 * time.Second
	// changeover: between two cars' runs the official removes one car and
	// places the next.
	changeover = 20 * time.Second
	// An off-track costs the car 2–5 s (it stops; a handler carries it back).
	offTrackMin = 2 * time.Second
	offTrackMax = 5 * time.Second
	// An echo of a crossing (a second strip, a bouncing beam) comes 5–50 ms
	// after it.
	echoMin = 5 * time.Millisecond
	echoMax = 50 * time.Millisecond
	// Laps deviate from the car's mean by at most this many Jitters: the
	// normal tail is cut so no lap is absurd.
	jitterClip = 3
)

type eventKind uint8

const (
	kindCrossing eventKind = iota + 1 // the car crosses the line
	kindEcho                          // chatter: a second crossing right after one
	kindOffTrack                      // the car leaves the track
)

// event is one thing the simulated session does, at simulated time at
// (since Run started).
type event struct {
	at   time.Duration
	car  int
	kind eventKind
}

// schedule generates a session's events. It is a pure function of its
// config and seed (plus the switches it is told about), so a simulated
// session can be replayed exactly.
type schedule struct {
	rng        *rand.Rand
	cars       []Car
	offTrack   float64
	chatter    float64
	lapsPerRun int

	car       int           // car on track
	laps      int           // laps it has completed in this run
	lastCross time.Duration // its last crossing
	queue     []event
}

func newSchedule(cfg Config, firstCar int) *schedule {
	s := &schedule{
		// PCG's output is specified, so a seed means the same session on
		// every platform and Go release.
		rng:        rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5049_5457_414c_4c21)), // "PITWALL!"
		cars:       cfg.Cars,
		offTrack:   cfg.OffTrack,
		chatter:    cfg.Chatter,
		lapsPerRun: cfg.LapsPerRun,
	}
	s.start(firstCar, startDelay)
	return s
}

// start puts car on track; its first crossing (which starts its race) is at.
func (s *schedule) start(car int, at time.Duration) {
	s.car, s.laps, s.lastCross = car, 0, at
	s.queue = append(s.queue[:0], event{at: at, car: car, kind: kindCrossing})
	s.maybeEcho(at)
}

// switchTo takes the current car off at now and puts car on after the
// changeover; whatever the current car still had coming is dropped.
func (s *schedule) switchTo(car int, now time.Duration) {
	s.start(car, now+changeover)
}

// peek returns the next event without consuming it.
func (s *schedule) peek() event {
	if len(s.queue) == 0 {
		s.refill()
	}
	return s.queue[0]
}

// next consumes and returns the next event.
func (s *schedule) next() event {
	e := s.peek()
	s.queue = s.queue[1:]
	return e
}

// refill generates the current car's next lap, or the next car's run when
// this one has driven its laps.
func (s *schedule) refill() {
	if s.lapsPerRun > 0 && s.laps >= s.lapsPerRun {
		s.start((s.car+1)%len(s.cars), s.lastCross+changeover)
		return
	}
	c := s.cars[s.car]
	z := min(max(s.rng.NormFloat64(), -jitterClip), jitterClip)
	lap := c.Mean + time.Duration(z*float64(c.Jitter))
	if s.rng.Float64() < s.offTrack {
		// The car leaves the track somewhere in the middle of the lap.
		off := s.lastCross + time.Duration((0.2+0.6*s.rng.Float64())*float64(lap))
		s.queue = append(s.queue, event{at: off, car: s.car, kind: kindOffTrack})
		lap += offTrackMin + time.Duration(s.rng.Float64()*float64(offTrackMax-offTrackMin))
	}
	s.lastCross += lap
	s.laps++
	s.queue = append(s.queue, event{at: s.lastCross, car: s.car, kind: kindCrossing})
	s.maybeEcho(s.lastCross)
}

func (s *schedule) maybeEcho(at time.Duration) {
	if s.rng.Float64() < s.chatter {
		d := echoMin + time.Duration(s.rng.Float64()*float64(echoMax-echoMin))
		s.queue = append(s.queue, event{at: at + d, car: s.car, kind: kindEcho})
	}
}
