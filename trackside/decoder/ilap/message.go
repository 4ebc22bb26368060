package ilap

import (
	"bytes"
	"math"
	"strconv"
	"time"

	"pitwall/trackside/decoder"
)

const (
	// Transponder ids are 7 decimal digits in this range.
	minTransponder = 2097152
	maxTransponder = 9999999
	// maxMillis is the largest millisecond count a time.Duration can hold.
	maxMillis = math.MaxInt64 / int64(time.Millisecond)
)

// parseLine decodes one line without its LF. ok is false, with no error, for
// an empty line.
func (d *Decoder) parseLine(line []byte) (ev decoder.Event, ok bool, err error) {
	raw := line
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) == 0 {
		return decoder.Event{}, false, nil
	}
	if line[0] != messageStart {
		return decoder.Event{}, false, reject("line does not begin with 0x01", raw)
	}
	var fields [4][]byte
	n := splitTabs(line, &fields)
	if n < 0 {
		return decoder.Event{}, false, reject("more than 4 tab-separated fields", raw)
	}
	kind := fields[0][1:]
	switch {
	case string(kind) == "@":
		if n != 4 {
			return decoder.Event{}, false, reject("passing needs 4 tab-separated fields, got "+strconv.Itoa(n), raw)
		}
		ev, err := d.parsePassing(fields[1], fields[2], fields[3], raw)
		return ev, err == nil, err
	case string(kind) == "%":
		if n != 4 {
			return decoder.Event{}, false, reject("reset ack needs 4 tab-separated fields, got "+strconv.Itoa(n), raw)
		}
		if why := checkDecoderID(fields[1]); why != "" {
			return decoder.Event{}, false, reject(why, raw)
		}
		if string(fields[2]) != "0" || string(fields[3]) != "0" {
			return decoder.Event{}, false, reject(`reset ack must end in "\t0\t0"`, raw)
		}
		return decoder.Event{Kind: decoder.Ack, DecoderID: d.intern(fields[1])}, true, nil
	}
	return decoder.Event{}, false, reject("unknown message type "+strconv.Quote(string(kind)), raw)
}

func (d *Decoder) parsePassing(id, tx, secs, raw []byte) (decoder.Event, error) {
	if why := checkDecoderID(id); why != "" {
		return decoder.Event{}, reject(why, raw)
	}
	if len(tx) != 7 {
		return decoder.Event{}, reject("transponder must have 7 digits", raw)
	}
	var txValue uint32
	for _, c := range tx {
		if c < '0' || c > '9' {
			return decoder.Event{}, reject("transponder has a non-digit "+strconv.QuoteRune(rune(c)), raw)
		}
		txValue = txValue*10 + uint32(c-'0')
	}
	if txValue < minTransponder {
		return decoder.Event{}, reject("transponder below 2097152", raw)
	}
	ms, why := parseSeconds(secs)
	if why != "" {
		return decoder.Event{}, reject("passing time "+why, raw)
	}
	return decoder.Event{
		Kind:        decoder.Passing,
		Transponder: d.transponder(tx), // 7 digits with no leading zero: already canonical
		Time:        time.Duration(ms) * time.Millisecond,
		DecoderID:   d.intern(id),
	}, nil
}

// intern returns id as a string, reusing the previous one when equal.
func (d *Decoder) intern(id []byte) string {
	if string(id) != d.decoderID { // this comparison does not allocate
		d.decoderID = string(id)
	}
	return d.decoderID
}

// transponder returns tx as a string, from the cache when seen before.
func (d *Decoder) transponder(tx []byte) string {
	if s, ok := d.transponders[string(tx)]; ok { // this lookup does not allocate
		return s
	}
	if d.transponders == nil || len(d.transponders) >= maxCachedTransponders {
		d.transponders = make(map[string]string)
	}
	s := string(tx)
	d.transponders[s] = s
	return s
}

// checkDecoderID accepts a non-empty id of printable ASCII without spaces;
// it returns the reason for refusal, "" when valid.
func checkDecoderID(id []byte) string {
	if len(id) == 0 {
		return "decoder id is empty"
	}
	for _, c := range id {
		if c <= ' ' || c > '~' {
			return "decoder id has a non-printable byte " + strconv.QuoteRune(rune(c))
		}
	}
	return ""
}

// parseSeconds reads "<secs>" or "<secs>.<fraction>" with a 1 to 3 digit
// fraction, exactly (no floating point), into milliseconds. It returns the
// reason for refusal, "" when valid.
func parseSeconds(s []byte) (int64, string) {
	whole, frac, dotted := bytes.Cut(s, []byte{'.'})
	if len(whole) == 0 {
		return 0, "has no whole seconds"
	}
	const maxSecs = maxMillis / 1000
	var secs int64
	for _, c := range whole {
		if c < '0' || c > '9' {
			return 0, "has a non-digit " + strconv.QuoteRune(rune(c))
		}
		d := int64(c - '0')
		if secs > (maxSecs-d)/10 {
			return 0, "overflows"
		}
		secs = secs*10 + d
	}
	if dotted && (len(frac) == 0 || len(frac) > 3) {
		return 0, "fraction must have 1 to 3 digits"
	}
	var ms int64
	for i, scale := 0, int64(100); i < len(frac); i, scale = i+1, scale/10 {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, "has a non-digit " + strconv.QuoteRune(rune(c))
		}
		ms += int64(c-'0') * scale
	}
	if secs > (maxMillis-ms)/1000 {
		return 0, "overflows"
	}
	return secs*1000 + ms, ""
}

// splitTabs splits line at tabs into fields and returns their count, or -1
// when there are more than len(fields). It does not allocate.
func splitTabs(line []byte, fields *[4][]byte) int {
	n := 0
	for {
		if n == len(fields) {
			return -1
		}
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			fields[n] = line
			return n + 1
		}
		fields[n] = line[:i]
		n++
		line = line[i+1:]
	}
}
