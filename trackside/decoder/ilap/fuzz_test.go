package ilap

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"pitwall/trackside/decoder"
)

// FuzzILap checks, for any byte stream: Feed never panics; the internal
// buffer stays within decoder.MaxFrame; every reject wraps ErrFrame; every
// event re-encodes to a line that decodes to the same event; and feeding the
// stream one byte at a time or in two pieces gives the same result as
// feeding it at once.
func FuzzILap(f *testing.F) {
	for _, s := range []string{
		"\x01%\t1\t0\t0\r\n",
		"\x01@\t1\t2097152\t324.62\r\n",
		"\x01@\t1\t5118895\t12\n",
		"\x01@\tA7\t9999999\t9223372036.854\r\n",
		"\x01@\t1\t2097151\t1.0\r\n\x01@\t1\t2097152\t9223372036.855\r\n",
		"noise\x01@\t1\t2097152\t1.5\x01%\r\n\r\n",
		"\x01@\t1\t2097152\t1.2.3\t\r\n\x01@\t\t0000001\t.5\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := New()
		events, rejects := d.Feed(data)
		if len(d.line) > decoder.MaxFrame || cap(d.line) != decoder.MaxFrame {
			t.Fatalf("buffer len %d cap %d, want len <= cap == %d", len(d.line), cap(d.line), decoder.MaxFrame)
		}
		for _, err := range rejects {
			if !errors.Is(err, decoder.ErrFrame) {
				t.Fatalf("reject %v does not wrap decoder.ErrFrame", err)
			}
		}
		for _, ev := range events {
			checkReencodes(t, ev)
		}

		one := New()
		var oneEvents []decoder.Event
		var oneRejects []error
		for i := range data {
			ev, rj := one.Feed(data[i : i+1])
			oneEvents = append(oneEvents, ev...)
			oneRejects = append(oneRejects, rj...)
		}
		if !slices.Equal(oneEvents, events) || !sameErrors(oneRejects, rejects) {
			t.Fatalf("byte-at-a-time feed differs:\n got %v %v\nwant %v %v", oneEvents, oneRejects, events, rejects)
		}

		half := New()
		cut := len(data) / 2
		ev1, rj1 := half.Feed(data[:cut])
		ev2, rj2 := half.Feed(data[cut:])
		if !slices.Equal(append(ev1, ev2...), events) || !sameErrors(append(rj1, rj2...), rejects) {
			t.Fatalf("two-piece feed differs at cut %d", cut)
		}
	})
}

// checkReencodes encodes ev with the matching encoder and decodes it again.
func checkReencodes(t *testing.T, ev decoder.Event) {
	t.Helper()
	var line []byte
	switch ev.Kind {
	case decoder.Passing:
		tx, err := strconv.ParseUint(ev.Transponder, 10, 32)
		if err != nil || tx < minTransponder || tx > maxTransponder {
			t.Fatalf("passing transponder %q is not in %d..%d", ev.Transponder, minTransponder, maxTransponder)
		}
		if strconv.FormatUint(tx, 10) != ev.Transponder {
			t.Fatalf("passing transponder %q is not canonical", ev.Transponder)
		}
		if ev.Time < 0 || ev.Time%1_000_000 != 0 {
			t.Fatalf("passing time %v is not a non-negative whole millisecond count", ev.Time)
		}
		line = EncodePassing(ev.DecoderID, uint32(tx), ev.Time)
	case decoder.Ack:
		if ev.Time != 0 || ev.Transponder != "" {
			t.Fatalf("ack carries data: %+v", ev)
		}
		line = EncodeAck(ev.DecoderID)
	default:
		t.Fatalf("unexpected event kind %v", ev.Kind)
	}
	got, rejects := New().Feed(line)
	if len(rejects) != 0 || !slices.Equal(got, []decoder.Event{ev}) {
		t.Fatalf("re-encoded %+v as %q, which decodes to %+v %v", ev, line, got, rejects)
	}
}

func sameErrors(a, b []error) bool {
	return slices.EqualFunc(a, b, func(x, y error) bool { return x.Error() == y.Error() })
}
