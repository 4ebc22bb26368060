// Package amb is the codec for the AMB TranX-2 / AMBrc legacy ASCII
// protocol: 9600 8N1 serial, one message per CRLF-terminated line.
//
// A passing line is '$' followed by 24 hex digits, big-endian:
//
//	$ PPPP TTTTTT MMMMMMMM HH SS XX
//
// prefix P (ignored), transponder T, milliseconds since decoder power-up M,
// hits H, strength S and a trailing byte X (ignored). A status line is '#'
// followed by 4 hex digits of loop noise, sent every 1–5 s.
//
// The decoder's clock is a 32-bit millisecond counter from power-up, so it
// wraps after about 49.7 days; Event.Time is that counter as sent.
package amb

import (
	"bytes"
	"strconv"
	"time"

	"pitwall/trackside/decoder"
)

// Baud is the serial speed of AMB legacy decoders (8N1).
const Baud = 9600

// Line lengths without the line end.
const (
	passingLen = 25 // '$' + 24 hex digits
	statusLen  = 5  // '#' + 4 hex digits
)

// Decoder turns an AMB legacy byte stream into decoder events. The zero
// value is not ready for use; call New. A Decoder is not safe for
// concurrent use.
type Decoder struct {
	// line holds the current line so far, without its line end.
	line []byte
	// overflow is set after a line outgrew decoder.MaxFrame: the rest of
	// it, up to the next line feed, belongs to that one reject.
	overflow bool
}

var _ decoder.Codec = (*Decoder)(nil)

// New returns a Decoder at the start of a line.
func New() *Decoder {
	return &Decoder{line: make([]byte, 0, decoder.MaxFrame)}
}

// Feed consumes the next bytes of the stream and returns the events of the
// lines completed by them and one reject per malformed line. A line ends at
// LF, with or without a CR before it; an incomplete line is kept for the
// next call, so the results do not depend on how the stream is split.
// Empty lines are skipped. A line longer than decoder.MaxFrame bytes (a CR
// before the LF counts) is rejected once and skipped up to its LF.
func (d *Decoder) Feed(p []byte) (events []decoder.Event, rejects []error) {
	// Each line feed may end a line with an event: size the result once
	// instead of growing it line by line, but not beyond what a burst of
	// empty lines should cost.
	if n := bytes.Count(p, []byte{'\n'}); n > 0 {
		events = make([]decoder.Event, 0, min(n, 64))
	}
	for len(p) > 0 {
		end := bytes.IndexByte(p, '\n')
		chunk := p
		if end >= 0 {
			chunk, p = p[:end], p[end+1:]
		} else {
			p = nil
		}

		if !d.overflow {
			if len(d.line)+len(chunk) > decoder.MaxFrame {
				rejects = append(rejects, reject(ErrTooLong, "over %d bytes without a line end", decoder.MaxFrame))
				d.overflow = true
				d.line = d.line[:0]
			} else {
				d.line = append(d.line, chunk...)
			}
		}
		if end < 0 {
			break
		}
		// A line end: parse the line, or end the overflow.
		if !d.overflow {
			ev, ok, err := parseLine(d.line)
			if err != nil {
				rejects = append(rejects, err)
			} else if ok {
				events = append(events, ev)
			}
		}
		d.overflow = false
		d.line = d.line[:0]
	}
	if len(events) == 0 {
		events = nil // no event: nil, however the result was sized
	}
	return events, rejects
}

// parseLine converts one line, line end removed except a CR before the LF.
// ok is false for an empty line.
func parseLine(line []byte) (ev decoder.Event, ok bool, err error) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 {
		return ev, false, nil
	}
	switch line[0] {
	case '$':
		if len(line) != passingLen {
			return ev, false, reject(ErrLength, "passing line of %d characters, want %d", len(line), passingLen)
		}
		if err := checkHex("passing", line); err != nil {
			return ev, false, err
		}
		tx := hexValue(line[5:11])
		ms := hexValue(line[11:19])
		return decoder.Event{
			Kind:        decoder.Passing,
			Transponder: strconv.FormatUint(tx, 10),
			Time:        time.Duration(ms) * time.Millisecond,
			Hits:        int(hexValue(line[19:21])),
			Strength:    int(hexValue(line[21:23])),
		}, true, nil
	case '#':
		if len(line) != statusLen {
			return ev, false, reject(ErrLength, "status line of %d characters, want %d", len(line), statusLen)
		}
		if err := checkHex("status", line); err != nil {
			return ev, false, err
		}
		return decoder.Event{Kind: decoder.Status}, true, nil
	}
	return ev, false, reject(ErrLead, "line starts with %q", line[0])
}

// checkHex rejects a line whose characters after the lead are not all hex
// digits; either case is accepted, as some firmware sends lowercase.
func checkHex(what string, line []byte) error {
	for i, c := range line[1:] {
		if hexDigit(c) < 0 {
			return reject(ErrHex, "%s line: %q at position %d is not a hex digit", what, c, i+1)
		}
	}
	return nil
}

// hexDigit is the value of a hex digit, or -1.
func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	case c >= 'a' && c <= 'f':
		return int(c - 'a' + 10)
	}
	return -1
}

// hexValue is the value of digits already checked by checkHex.
func hexValue(digits []byte) uint64 {
	var x uint64
	for _, c := range digits {
		x = x<<4 | uint64(hexDigit(c))
	}
	return x
}
