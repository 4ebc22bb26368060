package zround

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"pitwall/trackside/decoder"
)

// FuzzZRound checks, for any byte stream: Feed never panics; the internal
// buffer stays within decoder.MaxFrame; every reject wraps ErrFrame; every
// event re-encodes to a frame that decodes to the same event; and feeding
// the stream one byte at a time or in two pieces gives the same result as
// feeding it at once.
func FuzzZRound(f *testing.F) {
	for _, s := range []string{
		"%A&",
		"%L03,1A2B3&\r\n",
		"%L031A2B3&",
		"%T1a2b3&",
		"%LFFFFFFFF,8637BD05AF6&",
		"%L100000000,1&%T8637BD05AF7&",
		"junk%L03,%A&&%&%X&",
		"%L0000000000000000000000001,0&",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := New()
		events, rejects := d.Feed(data)
		if len(d.buf) > decoder.MaxFrame || cap(d.buf) != decoder.MaxFrame {
			t.Fatalf("buffer len %d cap %d, want len <= cap == %d", len(d.buf), cap(d.buf), decoder.MaxFrame)
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
	var frame []byte
	switch ev.Kind {
	case decoder.Passing:
		tx, err := strconv.ParseUint(ev.Transponder, 10, 32)
		if err != nil {
			t.Fatalf("passing transponder %q is not a uint32 decimal: %v", ev.Transponder, err)
		}
		if strconv.FormatUint(tx, 10) != ev.Transponder {
			t.Fatalf("passing transponder %q is not canonical", ev.Transponder)
		}
		frame = EncodePassing(uint32(tx), ev.Time)
	case decoder.ClockSync:
		frame = EncodeClock(ev.Time)
	case decoder.Ack:
		frame = EncodeAck()
	default:
		t.Fatalf("unexpected event kind %v", ev.Kind)
	}
	if ev.Time < 0 || ev.Time%1_000_000 != 0 {
		t.Fatalf("event time %v is not a non-negative whole millisecond count", ev.Time)
	}
	got, rejects := New().Feed(frame)
	if len(rejects) != 0 || !slices.Equal(got, []decoder.Event{ev}) {
		t.Fatalf("re-encoded %+v as %q, which decodes to %+v %v", ev, frame, got, rejects)
	}
}

func sameErrors(a, b []error) bool {
	return slices.EqualFunc(a, b, func(x, y error) bool { return x.Error() == y.Error() })
}
