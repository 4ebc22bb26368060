package amb

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/decoder"
)

// FuzzAMB feeds arbitrary bytes as a stream. Properties:
//   - no panic; the line buffer never exceeds decoder.MaxFrame;
//   - every reject wraps decoder.ErrFrame;
//   - the results do not depend on how the stream is split into reads;
//   - an event needs a line end: events <= line feeds in the input;
//   - every event re-encodes to a line that decodes to the same event.
func FuzzAMB(f *testing.F) {
	f.Add([]byte(passing301))
	f.Add([]byte("#0042\r\n"))
	f.Add([]byte("junk\r\n" + strings.ToLower(passing301) + "#00ff\n$12\r\n"))
	f.Add(EncodePassing(0xFFFFFF, math.MaxUint32*time.Millisecond, 255, 255))
	f.Add([]byte("$123400012D0001A2G30A7F5C\r\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		d := New()
		evs, errs := d.Feed(data)
		if cap(d.line) > decoder.MaxFrame {
			t.Fatalf("line buffer grew to %d bytes", cap(d.line))
		}
		whole := result{events: evs, errs: errs}
		for _, err := range errs {
			if !errors.Is(err, decoder.ErrFrame) {
				t.Fatalf("reject %q does not wrap decoder.ErrFrame", err)
			}
			whole.rejects = append(whole.rejects, err.Error())
		}
		if n := bytes.Count(data, []byte{'\n'}); len(evs) > n {
			t.Fatalf("%d events from input with %d line feeds", len(evs), n)
		}

		if got := feedChunks(splitForFuzz(data)...); !sameResult(got, whole) {
			t.Fatalf("fed in pieces differs:\n got %+v\nwant %+v", got, whole)
		}

		for _, ev := range evs {
			w := reencode(t, ev)
			again := feedChunks(w)
			if len(again.errs) != 0 || !reflect.DeepEqual(again.events, []decoder.Event{ev}) {
				t.Fatalf("event %+v re-encoded as %q decodes to %+v, rejects %q", ev, w, again.events, again.rejects)
			}
		}
	})
}

// splitForFuzz cuts data into one-byte pieces, or for long inputs into
// pieces of 1 to 13 bytes: long inputs fed a byte at a time would slow the
// fuzzer's minimizer to a crawl, and mixed piece sizes still put a cut at
// every kind of position.
func splitForFuzz(data []byte) [][]byte {
	var pieces [][]byte
	for i, n := 0, 0; i < len(data); n++ {
		size := 1
		if len(data) > 256 {
			size = 1 + n*7%13
		}
		size = min(size, len(data)-i)
		pieces = append(pieces, data[i:i+size])
		i += size
	}
	return pieces
}

// reencode builds the line an event came from, failing if the event holds
// values no AMB line can carry.
func reencode(t *testing.T, ev decoder.Event) []byte {
	t.Helper()
	if ev.Epoch || ev.Seq != 0 || ev.DecoderID != "" {
		t.Fatalf("event %+v carries fields AMB lines do not have", ev)
	}
	switch ev.Kind {
	case decoder.Passing:
		tx, err := strconv.ParseUint(ev.Transponder, 10, 24)
		if err != nil || strconv.FormatUint(tx, 10) != ev.Transponder {
			t.Fatalf("event %+v: transponder is not a canonical 24-bit number", ev)
		}
		if ev.Time < 0 || ev.Time%time.Millisecond != 0 || ev.Time/time.Millisecond > math.MaxUint32 ||
			ev.Hits < 0 || ev.Hits > math.MaxUint8 || ev.Strength < 0 || ev.Strength > math.MaxUint8 {
			t.Fatalf("event %+v: fields out of the line's range", ev)
		}
		return EncodePassing(uint32(tx), ev.Time, uint8(ev.Hits), uint8(ev.Strength))
	case decoder.Status:
		if ev.Transponder != "" || ev.Time != 0 || ev.Strength != 0 || ev.Hits != 0 {
			t.Fatalf("status event %+v carries more than its kind", ev)
		}
		return EncodeStatus(0)
	}
	t.Fatalf("event of unexpected kind %v", ev.Kind)
	return nil
}
