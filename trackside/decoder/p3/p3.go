// Package p3 is the codec for the MyLaps / AMB P3 binary protocol spoken by
// RC4, AMBrc and TranX3 decoders over TCP.
//
// A record on the wire is
//
//	0x8E | version u8 | length u16 | CRC u16 | flags u16 | type u16 | TLV… | 0x8F
//
// with multi-byte numbers little-endian and every 0x8D, 0x8E or 0x8F between
// the start and end byte sent as 0x8D followed by the byte plus 0x20. The
// length field counts the whole unescaped record, start and end bytes
// included. A TLV is a field id u8, a length u8 and that many value bytes.
//
// The codec is a pure byte-in/event-out conversion: Decoder.Feed takes any
// split of the TCP stream and the Encode functions build records for
// simulators and tests.
package p3

import (
	"bytes"

	"pitwall/trackside/decoder"
)

// Port is the TCP port P3 decoders serve on.
const Port = 5403

// MaxRecord bounds an unescaped record, start and end bytes included. Real
// records are well under 100 bytes; the bound keeps a stream that never
// sends an end byte from growing the buffer.
const MaxRecord = 4096

// maxGarbage is how many bytes outside a record are counted before they are
// reported as one reject, so a stream of noise yields a steady trickle of
// rejects rather than none at all.
const maxGarbage = MaxRecord

const (
	startByte  = 0x8E
	endByte    = 0x8F
	escapeByte = 0x8D
	escapeAdd  = 0x20
)

// streamState is where the decoder is in the byte stream.
type streamState uint8

const (
	// betweenRecords: waiting for a start byte; anything else is garbage.
	betweenRecords streamState = iota
	// inRecord: collecting the unescaped bytes of a record.
	inRecord
	// afterEscape: the previous byte was the escape byte.
	afterEscape
	// skipping: the record being received was already rejected (bad
	// escape, too long); its remaining bytes up to the end byte belong to
	// that one reject and are dropped silently.
	skipping
)

// Decoder turns a P3 TCP byte stream into decoder events. The zero value is
// not ready for use; call New. A Decoder is not safe for concurrent use.
type Decoder struct {
	state streamState
	// rec holds the unescaped record received so far, start byte first.
	rec []byte
	// garbage counts bytes seen between records since the last reject.
	garbage int

	// lastID and lastIDText cache the text of the most recent decoder id:
	// one decoder sends the same id in every record, and formatting it
	// anew would cost an allocation per record.
	lastID     uint32
	lastIDText string
}

var _ decoder.Codec = (*Decoder)(nil)

// New returns a Decoder waiting for the first record.
func New() *Decoder {
	return &Decoder{rec: make([]byte, 0, MaxRecord)}
}

// Feed consumes the next bytes of the stream and returns the events of the
// records completed by them and one reject per dropped record or run of
// garbage. Incomplete records are kept for the next call, so the results do
// not depend on how the stream is split into calls.
func (d *Decoder) Feed(p []byte) (events []decoder.Event, rejects []error) {
	// Each end byte may close a record: size the result once instead of
	// growing it record by record, but not beyond what a burst of
	// end-byte noise should cost.
	if n := bytes.Count(p, []byte{endByte}); n > 0 {
		events = make([]decoder.Event, 0, min(n, 64))
	}
	for i := 0; i < len(p); i++ {
		b := p[i]
		switch d.state {
		case betweenRecords:
			if b == startByte {
				if d.garbage > 0 {
					rejects = append(rejects, reject(ErrGarbage, "%d bytes before start byte", d.garbage))
					d.garbage = 0
				}
				d.begin()
				continue
			}
			d.garbage++
			if d.garbage == maxGarbage {
				rejects = append(rejects, reject(ErrGarbage, "%d bytes without a start byte", d.garbage))
				d.garbage = 0
			}

		case inRecord:
			// Copy the run of ordinary bytes in one go: most of a record
			// needs no escape handling.
			j := i
			for j < len(p) && (p[j] < escapeByte || p[j] > endByte) {
				j++
			}
			if j > i {
				if !d.appendBytes(p[i:j]) {
					rejects = append(rejects, reject(ErrTooLong, "over %d unescaped bytes", MaxRecord))
					d.state = skipping
				}
				i = j - 1
				continue
			}
			switch b {
			case escapeByte:
				d.state = afterEscape
			case startByte:
				rejects = append(rejects, reject(ErrTruncated, "start byte after %d bytes of a record", len(d.rec)))
				d.begin()
			case endByte:
				d.rec = append(d.rec, endByte)
				ev, ok, err := d.parse(d.rec)
				if err != nil {
					rejects = append(rejects, err)
				} else if ok {
					events = append(events, ev)
				}
				d.state = betweenRecords
			}

		case afterEscape:
			switch {
			case b >= escapeByte+escapeAdd && b <= endByte+escapeAdd:
				d.state = inRecord
				if !d.appendByte(b - escapeAdd) {
					rejects = append(rejects, reject(ErrTooLong, "over %d unescaped bytes", MaxRecord))
					d.state = skipping
				}
			case b == startByte:
				rejects = append(rejects, reject(ErrEscape, "escape byte followed by start byte after %d bytes of a record", len(d.rec)))
				d.begin()
			case b == endByte:
				rejects = append(rejects, reject(ErrEscape, "escape byte followed by end byte"))
				d.state = betweenRecords
			default:
				rejects = append(rejects, reject(ErrEscape, "escape byte followed by 0x%02X", b))
				d.state = skipping
			}

		case skipping:
			switch b {
			case startByte:
				d.begin()
			case endByte:
				d.state = betweenRecords
			}
		}
	}
	if len(events) == 0 {
		events = nil // no event: nil, however the result was sized
	}
	return events, rejects
}

// begin starts a new record at a start byte.
func (d *Decoder) begin() {
	d.rec = append(d.rec[:0], startByte)
	d.state = inRecord
}

// appendBytes adds unescaped record bytes, keeping room for the end byte
// within MaxRecord. It reports false, adding nothing, when they do not fit.
func (d *Decoder) appendBytes(b []byte) bool {
	if len(d.rec)+len(b) > MaxRecord-1 {
		return false
	}
	d.rec = append(d.rec, b...)
	return true
}

// appendByte is appendBytes for one byte.
func (d *Decoder) appendByte(b byte) bool {
	if len(d.rec)+1 > MaxRecord-1 {
		return false
	}
	d.rec = append(d.rec, b)
	return true
}
