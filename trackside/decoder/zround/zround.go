// Package zround decodes the ZRound "Free LapCounter" line protocol: frames
// of the form %...& carrying hexadecimal numbers, times in milliseconds on
// the decoder's relative clock (zeroed by the host's race-start command).
//
// The package is a pure byte-in/event-out codec with no I/O; the serial or
// TCP transport and the plausibility checks of decoded values belong to the
// source adapter.
package zround

import (
	"fmt"

	"pitwall/trackside/decoder"
)

// Baud is the serial line speed of ZRound decoders (8N1).
const Baud = 19200

const (
	frameStart = '%'
	frameEnd   = '&'
)

// state of the framer between two bytes.
type state uint8

const (
	// idle: between frames; CR/LF are skipped, anything else starts garbage.
	idle state = iota
	// garbage: collecting a run of bytes found outside any frame.
	garbage
	// inFrame: collecting a frame that began with '%'.
	inFrame
	// skipping: an overlong frame was rejected; drop bytes until the next '%'.
	skipping
)

// Decoder turns a ZRound byte stream into decoder events. The zero value is
// not ready for use; call New. A Decoder is not safe for concurrent use.
type Decoder struct {
	state state
	// buf holds the frame being collected (starting with '%') or the current
	// garbage run. Its capacity is fixed at decoder.MaxFrame so that feeding
	// never allocates per byte and memory stays bounded whatever arrives.
	buf []byte
	// transponders caches the decimal strings of recently seen transponder
	// ids: the same few cars pass again and again, so each is formatted once.
	transponders map[uint64]string
}

// maxCachedTransponders bounds the transponder cache; a field of cars is far
// smaller, and noise that parses as many distinct ids only resets it.
const maxCachedTransponders = 256

// Decoder implements decoder.Codec.
var _ decoder.Codec = (*Decoder)(nil)

// New returns a Decoder waiting for the first frame.
func New() *Decoder {
	return &Decoder{buf: make([]byte, 0, decoder.MaxFrame)}
}

// Feed consumes the next bytes of the stream, in any split. Complete frames
// become events; malformed frames and runs of bytes outside a frame become
// rejects (errors wrapping decoder.ErrFrame), one per dropped run. A partial
// frame or garbage run is kept until the byte that ends it arrives.
//
// CR and LF between frames are line separators (real decoders end each frame
// with "\r\n"), not garbage. A garbage run ends at '%', at a LF, or after
// decoder.MaxFrame bytes, so a stream of noise is reported in bounded pieces.
func (d *Decoder) Feed(p []byte) (events []decoder.Event, rejects []error) {
	if d.buf == nil {
		// A zero Decoder still works, it just allocates its buffer here.
		d.buf = make([]byte, 0, decoder.MaxFrame)
	}
	for _, c := range p {
		switch d.state {
		case idle:
			switch c {
			case frameStart:
				d.startFrame()
			case '\r', '\n':
			default:
				d.state = garbage
				d.buf = append(d.buf[:0], c)
			}

		case garbage:
			if c == frameStart {
				rejects = append(rejects, reject("bytes outside a frame", d.buf))
				d.startFrame()
				break
			}
			if len(d.buf) == decoder.MaxFrame {
				// Report long noise in MaxFrame pieces; c starts the next run.
				rejects = append(rejects, reject("bytes outside a frame", d.buf))
				d.buf = d.buf[:0]
			}
			d.buf = append(d.buf, c)
			if c == '\n' {
				rejects = append(rejects, reject("bytes outside a frame", d.buf))
				d.reset()
			}

		case inFrame:
			switch {
			case c == frameStart:
				rejects = append(rejects, reject("frame cut short by a new '%'", d.buf))
				d.startFrame()
			case len(d.buf) == decoder.MaxFrame:
				rejects = append(rejects, reject(fmt.Sprintf("frame longer than %d bytes", decoder.MaxFrame), d.buf))
				d.buf = d.buf[:0]
				d.state = skipping
			default:
				d.buf = append(d.buf, c)
				if c == frameEnd {
					ev, err := d.parseFrame(d.buf)
					if err != nil {
						rejects = append(rejects, err)
					} else {
						events = append(events, ev)
					}
					d.reset()
				}
			}

		case skipping:
			if c == frameStart {
				d.startFrame()
			}
		}
	}
	return events, rejects
}

func (d *Decoder) startFrame() {
	d.state = inFrame
	d.buf = append(d.buf[:0], frameStart)
}

func (d *Decoder) reset() {
	d.state = idle
	d.buf = d.buf[:0]
}

// quoteLimit bounds how many bytes of a rejected frame go into its error, so
// a burst of noise cannot turn into kilobytes of log text.
const quoteLimit = 48

// reject builds the error for a dropped frame, quoting (a prefix of) its bytes.
func reject(reason string, raw []byte) error {
	if len(raw) > quoteLimit {
		return fmt.Errorf("zround: %w: %s: %q... (%d bytes)", decoder.ErrFrame, reason, raw[:quoteLimit], len(raw))
	}
	return fmt.Errorf("zround: %w: %s: %q", decoder.ErrFrame, reason, raw)
}
