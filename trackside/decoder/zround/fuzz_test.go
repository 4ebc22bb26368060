package zround

import (
	"strconv"
	"testing"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/decodertest"
)

// harness lets decodertest check a ZRound Decoder: buf is its frame or
// garbage run, and a frame ends at '&'.
var harness = decodertest.Harness[*Decoder]{
	New:      New,
	Buffer:   func(d *Decoder) []byte { return d.buf },
	Bound:    decoder.MaxFrame,
	FrameEnd: '&',
	Reencode: reencode,
}

// FuzzZRound holds any byte stream to decodertest.CheckStream. The seeds
// cover every frame type, both passing forms, the largest values, values
// one past them, and junk around and inside frames.
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
		harness.CheckStream(t, data)
	})
}

// reencode builds the frame an event came from with the matching encoder,
// failing if the event holds values no ZRound frame can carry.
func reencode(tb testing.TB, ev decoder.Event) []byte {
	tb.Helper()
	if ev.Time < 0 || ev.Time%1_000_000 != 0 {
		tb.Fatalf("event time %v is not a non-negative whole millisecond count", ev.Time)
	}
	switch ev.Kind {
	case decoder.Passing:
		tx, err := strconv.ParseUint(ev.Transponder, 10, 32)
		if err != nil {
			tb.Fatalf("passing transponder %q is not a uint32 decimal: %v", ev.Transponder, err)
		}
		if strconv.FormatUint(tx, 10) != ev.Transponder {
			tb.Fatalf("passing transponder %q is not canonical", ev.Transponder)
		}
		return EncodePassing(uint32(tx), ev.Time)
	case decoder.ClockSync:
		return EncodeClock(ev.Time)
	case decoder.Ack:
		return EncodeAck()
	}
	tb.Fatalf("unexpected event kind %v", ev.Kind)
	return nil
}
