package zround

import (
	"math"
	"strconv"
	"time"

	"pitwall/trackside/decoder"
)

// maxMillis is the largest millisecond count a time.Duration can hold.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// parseFrame decodes one complete frame, '%' and '&' included.
func (d *Decoder) parseFrame(frame []byte) (decoder.Event, error) {
	body := frame[1 : len(frame)-1]
	if len(body) == 0 {
		return decoder.Event{}, reject("empty frame", frame)
	}
	switch body[0] {
	case 'A':
		if len(body) != 1 {
			return decoder.Event{}, reject("ack frame with trailing bytes", frame)
		}
		return decoder.Event{Kind: decoder.Ack}, nil
	case 'T':
		ms, why := parseHex(body[1:], uint64(maxMillis))
		if why != "" {
			return decoder.Event{}, reject("clock time "+why, frame)
		}
		return decoder.Event{Kind: decoder.ClockSync, Time: time.Duration(ms) * time.Millisecond}, nil
	case 'L':
		return d.parsePassing(body[1:], frame)
	}
	return decoder.Event{}, reject("unknown frame type "+strconv.QuoteRune(rune(body[0])), frame)
}

// parsePassing decodes the part of a detection frame after the 'L':
// "<tx>,<ms>" with any number of tx digits, or "<tx><ms>" with exactly two.
func (d *Decoder) parsePassing(fields, frame []byte) (decoder.Event, error) {
	var txDigits, msDigits []byte
	if i := indexByte(fields, ','); i >= 0 {
		txDigits, msDigits = fields[:i], fields[i+1:]
	} else {
		if len(fields) < 3 {
			return decoder.Event{}, reject("detection without comma needs 2 transponder digits and a time", frame)
		}
		txDigits, msDigits = fields[:2], fields[2:]
	}
	tx, why := parseHex(txDigits, math.MaxUint32)
	if why != "" {
		return decoder.Event{}, reject("transponder "+why, frame)
	}
	ms, why := parseHex(msDigits, uint64(maxMillis))
	if why != "" {
		return decoder.Event{}, reject("detection time "+why, frame)
	}
	return decoder.Event{
		Kind:        decoder.Passing,
		Transponder: d.transponder(tx),
		Time:        time.Duration(ms) * time.Millisecond,
	}, nil
}

// transponder returns tx in canonical decimal, from the cache when seen before.
func (d *Decoder) transponder(tx uint64) string {
	if s, ok := d.transponders[tx]; ok {
		return s
	}
	if d.transponders == nil || len(d.transponders) >= maxCachedTransponders {
		d.transponders = make(map[uint64]string)
	}
	s := strconv.FormatUint(tx, 10)
	d.transponders[tx] = s
	return s
}

// parseHex reads a non-empty run of hex digits (either case) whose value
// must not exceed limit. It returns the reason for refusal, "" when valid.
func parseHex(digits []byte, limit uint64) (uint64, string) {
	if len(digits) == 0 {
		return 0, "is empty"
	}
	var v uint64
	for _, c := range digits {
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		case 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		default:
			return 0, "has a non-hex digit " + strconv.QuoteRune(rune(c))
		}
		// v*16+d <= limit  <=>  v <= (limit-d)/16, checked before it can wrap.
		if d > limit || v > (limit-d)/16 {
			return 0, "overflows"
		}
		v = v*16 + d
	}
	return v, ""
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
