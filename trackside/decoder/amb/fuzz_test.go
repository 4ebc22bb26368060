package amb

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/decodertest"
)

// harness lets decodertest check an AMB Decoder: line is the line being
// read, and a line ends at a line feed.
var harness = decodertest.Harness[*Decoder]{
	New:      New,
	Buffer:   func(d *Decoder) []byte { return d.line },
	Bound:    decoder.MaxFrame,
	FrameEnd: '\n',
	Reencode: reencode,
}

// FuzzAMB holds arbitrary bytes, fed as a stream, to
// decodertest.CheckStream: among its properties, an event needs a line end
// and every event re-encodes to a line that decodes to the same event.
func FuzzAMB(f *testing.F) {
	f.Add([]byte(passing301))
	f.Add([]byte("#0042\r\n"))
	f.Add([]byte("junk\r\n" + strings.ToLower(passing301) + "#00ff\n$12\r\n"))
	f.Add(EncodePassing(0xFFFFFF, math.MaxUint32*time.Millisecond, 255, 255))
	f.Add([]byte("$123400012D0001A2G30A7F5C\r\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		harness.CheckStream(t, data)
	})
}

// reencode builds the line an event came from, failing if the event holds
// values no AMB line can carry.
func reencode(tb testing.TB, ev decoder.Event) []byte {
	tb.Helper()
	if ev.Epoch || ev.Seq != 0 || ev.DecoderID != "" {
		tb.Fatalf("event %+v carries fields AMB lines do not have", ev)
	}
	switch ev.Kind {
	case decoder.Passing:
		tx, err := strconv.ParseUint(ev.Transponder, 10, 24)
		if err != nil || strconv.FormatUint(tx, 10) != ev.Transponder {
			tb.Fatalf("event %+v: transponder is not a canonical 24-bit number", ev)
		}
		if ev.Time < 0 || ev.Time%time.Millisecond != 0 || ev.Time/time.Millisecond > math.MaxUint32 ||
			ev.Hits < 0 || ev.Hits > math.MaxUint8 || ev.Strength < 0 || ev.Strength > math.MaxUint8 {
			tb.Fatalf("event %+v: fields out of the line's range", ev)
		}
		return EncodePassing(uint32(tx), ev.Time, uint8(ev.Hits), uint8(ev.Strength))
	case decoder.Status:
		if ev.Transponder != "" || ev.Time != 0 || ev.Strength != 0 || ev.Hits != 0 {
			tb.Fatalf("status event %+v carries more than its kind", ev)
		}
		return EncodeStatus(0)
	}
	tb.Fatalf("event of unexpected kind %v", ev.Kind)
	return nil
}
