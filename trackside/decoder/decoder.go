// Package decoder holds what every timing-decoder codec shares: the Event a
// codec yields and the Codec interface. The codecs themselves live in
// sub-packages (zround, amb, ilap, p3), are pure byte-in/event-out
// conversions with no I/O, and are fuzzed.
package decoder

import (
	"errors"
	"time"
)

// Kind of decoder event.
type Kind uint8

const (
	// Passing: a transponder (or the line's fixed id) crossed the loop.
	Passing Kind = iota + 1
	// ClockSync: the decoder reports its current clock (Time).
	ClockSync
	// Status: a noise/status/keep-alive message; proves the decoder is alive.
	Status
	// Ack: the decoder acknowledged a host command.
	Ack
)

func (k Kind) String() string {
	switch k {
	case Passing:
		return "passing"
	case ClockSync:
		return "clock"
	case Status:
		return "status"
	case Ack:
		return "ack"
	}
	return "unknown"
}

// Event is one message decoded from a timing decoder.
type Event struct {
	Kind Kind
	// Transponder id as a canonical decimal string ("3", "2097152"), "" when
	// the message carries none.
	Transponder string
	// Time on the decoder's clock. For relative clocks (ZRound, AMB legacy,
	// I-Lap) it is the time since power-up or reset; for P3 it is the RTC
	// time since the Unix epoch. Lap times are differences of Time.
	Time time.Duration
	// Epoch is true when Time counts from the Unix epoch (P3 RTC).
	Epoch bool
	// Seq is the decoder's passing number when the protocol has one, else 0.
	Seq uint64
	// Strength and Hits of the passing, when the protocol reports them.
	Strength, Hits int
	// DecoderID identifies the decoder unit when the protocol names it.
	DecoderID string
}

// Codec turns a byte stream from one decoder into events. Feed may be called
// with any split of the stream (one byte at a time, several frames at once);
// partial frames are kept until the rest arrives. Malformed frames are
// dropped and reported in rejects, one error per dropped frame, and never
// produce an event. A Codec is not safe for concurrent use.
type Codec interface {
	Feed(p []byte) (events []Event, rejects []error)
}

// ErrFrame is wrapped by every reject a codec reports.
var ErrFrame = errors.New("malformed frame")

// MaxFrame bounds how many bytes a codec buffers while looking for the end
// of a frame; a longer run is garbage and is dropped as a reject.
const MaxFrame = 512
