package decoded

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"pitwall/trackside/decoder"
)

// lineCodec is a tiny decoder.Codec for tests that do not care about a real
// protocol's framing. One message per '\n'-terminated line:
//
//	P <tx|-> <ms> [seq]   passing ("-": no transponder)
//	C <ms>                clock sync
//	S                     status
//	A                     ack
type lineCodec struct {
	buf []byte
}

var lineProtocol = Protocol{Name: "line", New: func() decoder.Codec { return &lineCodec{} }}

func (c *lineCodec) Feed(p []byte) (events []decoder.Event, rejects []error) {
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			if len(c.buf) > decoder.MaxFrame {
				rejects = append(rejects, fmt.Errorf("%w: %d bytes without end of line", decoder.ErrFrame, len(c.buf)))
				c.buf = c.buf[:0]
			}
			return events, rejects
		}
		line := string(c.buf[:i])
		c.buf = c.buf[i+1:]
		ev, err := parseLine(line)
		if err != nil {
			rejects = append(rejects, err)
			continue
		}
		events = append(events, ev)
	}
}

func parseLine(line string) (decoder.Event, error) {
	f := strings.Fields(line)
	bad := func(why string) (decoder.Event, error) {
		return decoder.Event{}, fmt.Errorf("%w: %s: %q", decoder.ErrFrame, why, line)
	}
	if len(f) == 0 {
		return bad("empty")
	}
	ms := func(s string) (time.Duration, bool) {
		v, err := strconv.ParseInt(s, 10, 64)
		return time.Duration(v) * time.Millisecond, err == nil && v >= 0
	}
	switch {
	case f[0] == "P" && (len(f) == 3 || len(f) == 4):
		t, ok := ms(f[2])
		if !ok {
			return bad("time")
		}
		ev := decoder.Event{Kind: decoder.Passing, Transponder: f[1], Time: t}
		if f[1] == "-" {
			ev.Transponder = ""
		}
		if len(f) == 4 {
			seq, err := strconv.ParseUint(f[3], 10, 64)
			if err != nil || seq == 0 {
				return bad("seq")
			}
			ev.Seq = seq
		}
		return ev, nil
	case f[0] == "C" && len(f) == 2:
		t, ok := ms(f[1])
		if !ok {
			return bad("time")
		}
		return decoder.Event{Kind: decoder.ClockSync, Time: t}, nil
	case f[0] == "S" && len(f) == 1:
		return decoder.Event{Kind: decoder.Status}, nil
	case f[0] == "A" && len(f) == 1:
		return decoder.Event{Kind: decoder.Ack}, nil
	}
	return bad("unknown message")
}
