package ilap

import (
	"strconv"
	"testing"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/decodertest"
)

// harness lets decodertest check an I-Lap Decoder: line is the message
// being read, and a message ends at a line feed.
var harness = decodertest.Harness[*Decoder]{
	New:      New,
	Buffer:   func(d *Decoder) []byte { return d.line },
	Bound:    decoder.MaxFrame,
	FrameEnd: '\n',
	Reencode: reencode,
}

// FuzzILap holds any byte stream to decodertest.CheckStream. The seeds
// cover the reset ack, passings with and without a CR or fraction, the
// time and transponder limits, a lost line end and malformed fields.
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
		harness.CheckStream(t, data)
	})
}

// reencode builds the line an event came from with the matching encoder,
// failing if the event holds values no I-Lap line can carry.
func reencode(tb testing.TB, ev decoder.Event) []byte {
	tb.Helper()
	switch ev.Kind {
	case decoder.Passing:
		tx, err := strconv.ParseUint(ev.Transponder, 10, 32)
		if err != nil || tx < minTransponder || tx > maxTransponder {
			tb.Fatalf("passing transponder %q is not in %d..%d", ev.Transponder, minTransponder, maxTransponder)
		}
		if strconv.FormatUint(tx, 10) != ev.Transponder {
			tb.Fatalf("passing transponder %q is not canonical", ev.Transponder)
		}
		if ev.Time < 0 || ev.Time%1_000_000 != 0 {
			tb.Fatalf("passing time %v is not a non-negative whole millisecond count", ev.Time)
		}
		return EncodePassing(ev.DecoderID, uint32(tx), ev.Time)
	case decoder.Ack:
		if ev.Time != 0 || ev.Transponder != "" {
			tb.Fatalf("ack carries data: %+v", ev)
		}
		return EncodeAck(ev.DecoderID)
	}
	tb.Fatalf("unexpected event kind %v", ev.Kind)
	return nil
}
