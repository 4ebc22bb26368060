// Package ilap decodes the I-Lap decoder protocol (USB virtual COM port):
// tab-separated ASCII lines, each message starting with 0x01 and ending in
// CRLF, passing times in decimal seconds since the last clock reset.
//
// The package is a pure byte-in/event-out codec with no I/O; the serial
// transport and the plausibility checks of decoded values belong to the
// source adapter.
package ilap

import (
	"fmt"

	"pitwall/trackside/decoder"
)

// Baud is the serial line speed of I-Lap decoders (8N1, RTS off).
const Baud = 9600

// messageStart begins every I-Lap message.
const messageStart = 0x01

// Decoder turns an I-Lap byte stream into decoder events. The zero value
// works but New pre-sizes its buffer. A Decoder is not safe for concurrent use.
type Decoder struct {
	// line holds the bytes of the current line, without its LF. Its capacity
	// is fixed at decoder.MaxFrame so memory stays bounded whatever arrives.
	line []byte
	// skipping is set after an overlong line was rejected: its remaining
	// bytes are dropped up to the next LF or 0x01.
	skipping bool
	// decoderID caches the last decoder id string: a serial port carries one
	// decoder, so its id is converted once rather than allocated per passing.
	decoderID string
	// transponders caches the id strings of recently seen transponders: the
	// same few cars pass again and again, so each id is converted once.
	transponders map[string]string
}

// maxCachedTransponders bounds the transponder cache; a field of cars is far
// smaller, and noise that parses as many distinct ids only resets it.
const maxCachedTransponders = 256

// Decoder implements decoder.Codec.
var _ decoder.Codec = (*Decoder)(nil)

// New returns a Decoder waiting for the first line.
func New() *Decoder {
	return &Decoder{line: make([]byte, 0, decoder.MaxFrame)}
}

// Feed consumes the next bytes of the stream, in any split. Each complete
// line becomes an event or a reject (an error wrapping decoder.ErrFrame).
// Lines end in LF with an optional CR before it; empty lines are ignored.
// A 0x01 in the middle of a line starts a new message: the bytes before it
// are rejected (a message whose end was lost, or noise), so one damaged
// line does not take the next message with it.
func (d *Decoder) Feed(p []byte) (events []decoder.Event, rejects []error) {
	if d.line == nil {
		d.line = make([]byte, 0, decoder.MaxFrame)
	}
	for _, c := range p {
		switch {
		case c == messageStart:
			switch {
			case len(d.line) == 0 || string(d.line) == "\r":
				// Nothing, or only the CR of a line end whose LF was lost.
			case d.line[0] == messageStart:
				rejects = append(rejects, reject("line cut short by the next message start 0x01", d.line))
			default:
				rejects = append(rejects, reject("bytes before the message start 0x01", d.line))
			}
			d.skipping = false
			d.line = append(d.line[:0], c)

		case c == '\n':
			if !d.skipping {
				if ev, ok, err := d.parseLine(d.line); err != nil {
					rejects = append(rejects, err)
				} else if ok {
					events = append(events, ev)
				}
			}
			d.skipping = false
			d.line = d.line[:0]

		case d.skipping:

		case len(d.line) == decoder.MaxFrame:
			rejects = append(rejects, reject(fmt.Sprintf("line longer than %d bytes", decoder.MaxFrame), d.line))
			d.skipping = true
			d.line = d.line[:0]

		default:
			d.line = append(d.line, c)
		}
	}
	return events, rejects
}

// quoteLimit bounds how many bytes of a rejected line go into its error, so
// a burst of noise cannot turn into kilobytes of log text.
const quoteLimit = 48

// reject builds the error for a dropped line, quoting (a prefix of) its bytes.
func reject(reason string, raw []byte) error {
	if len(raw) > quoteLimit {
		return fmt.Errorf("ilap: %w: %s: %q... (%d bytes)", decoder.ErrFrame, reason, raw[:quoteLimit], len(raw))
	}
	return fmt.Errorf("ilap: %w: %s: %q", decoder.ErrFrame, reason, raw)
}
