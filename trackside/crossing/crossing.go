// Package crossing defines the one record every timing input produces: a
// car crossing a timing line. Sensor adapters (GPIO, serial and TCP
// decoders, the simulator) all turn their native events into a Crossing and
// hand it to a Sink, which returns only once the crossing is durable.
package crossing

import (
	"context"
	"errors"
	"time"
)

// Clock says which clock produced a Crossing's timestamp. Lap times are
// differences of timestamps from the same clock, so the source of the clock
// decides the precision of every lap.
type Clock uint8

const (
	// ClockHost is the host's CLOCK_MONOTONIC read in user space (simulator,
	// or a source without timestamps of its own). Subject to scheduling jitter.
	ClockHost Clock = iota
	// ClockKernel is a GPIO line event timestamp stamped by the kernel in the
	// interrupt handler (CLOCK_MONOTONIC). Immune to Go scheduling and NTP.
	ClockKernel
	// ClockDecoder is a timing decoder's own clock, anchored once onto the
	// host monotonic clock: differences are exactly the decoder's.
	ClockDecoder
	// ClockWall is a wall-clock (epoch) stamp from a source that has nothing
	// better (DeepRacer event timer). Millisecond precision, NTP dependent.
	ClockWall
)

func (c Clock) String() string {
	switch c {
	case ClockHost:
		return "host"
	case ClockKernel:
		return "kernel"
	case ClockDecoder:
		return "decoder"
	case ClockWall:
		return "wall"
	}
	return "unknown"
}

// Crossing is one car crossing one timing line.
type Crossing struct {
	// Source names the input that saw the crossing ("gpio:finish", "zround:/dev/ttyUSB0").
	Source string `json:"source"`
	// Line is the timing line: 0 is start/finish; other lines are splits.
	Line int `json:"line"`
	// Transponder is the car's transponder id as the decoder reports it, or
	// "" for a beam-break or pressure strip that cannot tell cars apart.
	Transponder string `json:"tx,omitempty"`
	// MonoNS is the crossing time in nanoseconds on Clock, anchored onto the
	// host's CLOCK_MONOTONIC timeline where the clock is not the kernel's.
	MonoNS int64 `json:"mono_ns"`
	// Clock is the clock that produced MonoNS.
	Clock Clock `json:"clock"`
	// Seq is the source's own sequence number for this event (kernel line
	// sequence, decoder passing number, or a counter of the adapter). Gaps
	// are reported as lost events.
	Seq uint64 `json:"seq"`
	// Host is the host wall-clock time at which the crossing was read, for
	// humans and logs only; never used for lap times.
	Host time.Time `json:"host"`
	// HostTimed says MonoNS is not on the same placement of the decoder
	// clock as this transponder's previous crossing from this source: the
	// decoder restarted or the link was reopened in between, and the clock
	// was anchored again from a host arrival time. A lap that ends here is
	// partly timed by the host, not by the decoder.
	HostTimed bool `json:"host_timed,omitempty"`
}

// ErrRejected is wrapped by a Sink's error for a crossing it refuses as
// malformed (no source name, negative line, unknown clock): offering it
// again cannot succeed.
var ErrRejected = errors.New("crossing rejected")

// Sink receives crossings. It returns nil only once the crossing is recorded
// durably (committed and fsynced); a source may acknowledge its device only
// then. A Sink is safe for concurrent use by several sources.
type Sink func(ctx context.Context, c Crossing) error

// Source is a timing input. Run blocks until ctx is done, reconnecting on its
// own when the device goes away, and reports what it sees through Health.
type Source interface {
	Name() string
	Run(ctx context.Context, sink Sink) error
	Health() Health
}

// State of a Source.
type State string

const (
	StateConnecting State = "connecting"
	StateOK         State = "ok"
	StateDown       State = "down"
)

// Health is a Source's self-report, published in the trackside's retained
// status and logged in its health summary.
type Health struct {
	Name      string    `json:"name"`
	State     State     `json:"state"`
	Detail    string    `json:"detail,omitempty"` // last error or device path
	Crossings uint64    `json:"crossings"`        // crossings handed to the sink
	Rejects   uint64    `json:"rejects"`          // malformed or absurd input dropped
	Lost      uint64    `json:"lost"`             // events lost according to sequence gaps
	Chatter   uint64    `json:"chatter"`          // edges dropped by debounce / hold-off
	Reconnect uint64    `json:"reconnects"`       // times the device was (re)opened
	Last      time.Time `json:"last,omitzero"`    // host time of the last crossing
}
