package p3

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"pitwall/trackside/decoder"
)

// FuzzP3 feeds arbitrary bytes as a stream and, separately, as the TLV area
// of a record with correct framing, length and CRC (so the fuzzer reaches
// the field parser instead of stopping at the CRC). Properties:
//   - no panic; the record buffer never exceeds MaxRecord;
//   - every reject wraps decoder.ErrFrame;
//   - the results do not depend on how the stream is split into reads;
//   - an event needs an end byte: events <= end bytes in the input;
//   - every event re-encodes to a record that decodes to the same event.
func FuzzP3(f *testing.F) {
	f.Add(EncodePassing(goodPassing))
	f.Add(EncodeStatus(0x000A1B2C, 12))
	f.Add(EncodeClock(rtc*time.Microsecond, 1))
	f.Add(cat([]byte("x"), EncodePassing(Passing{Number: 0x8D8E8F, Transponder: 0x8F, RTC: 0x8E8D * time.Microsecond}), EncodeStatus(0, 0)))
	f.Add(append([]byte{0x01, 0x00}, build(typePassing, passingFields...)[headerSize:]...))
	f.Add([]byte{startByte, escapeByte, 0x41, endByte})

	f.Fuzz(func(t *testing.T, data []byte) {
		whole := checkStream(t, data)
		if n := bytes.Count(data, []byte{endByte}); len(whole.events) > n {
			t.Fatalf("%d events from input with %d end bytes", len(whole.events), n)
		}

		if len(data) < 2 {
			return
		}
		// Seal data as one record: type from the first two bytes, TLVs
		// from the rest.
		r := newRecord(binary.LittleEndian.Uint16(data))
		r.b = append(r.b, data[2:min(len(data), MaxRecord-minRecord+2)]...)
		sealed := checkStream(t, escape(r.unescaped()))
		if len(sealed.events)+len(sealed.errs) > 1 {
			t.Fatalf("one record gave %d events and %d rejects", len(sealed.events), len(sealed.errs))
		}
		for _, err := range sealed.errs {
			if !errors.Is(err, ErrTLV) && !errors.Is(err, ErrField) {
				t.Fatalf("well-framed record rejected for its framing: %v", err)
			}
		}
	})
}

// checkStream feeds data whole and one byte at a time, checks the
// properties that hold for any stream, and returns the whole-feed result.
func checkStream(t *testing.T, data []byte) result {
	t.Helper()
	d := New()
	evs, errs := d.Feed(data)
	if cap(d.rec) > MaxRecord {
		t.Fatalf("record buffer grew to %d bytes", cap(d.rec))
	}
	whole := result{events: evs, errs: errs}
	for _, err := range errs {
		if !errors.Is(err, decoder.ErrFrame) {
			t.Fatalf("reject %q does not wrap decoder.ErrFrame", err)
		}
		whole.rejects = append(whole.rejects, err.Error())
	}

	if got := feedChunks(splitForFuzz(data)...); !sameResult(got, whole) {
		t.Fatalf("fed in pieces differs:\n got %+v\nwant %+v", got, whole)
	}

	for _, ev := range whole.events {
		w := reencode(t, ev)
		again := feedChunks(w)
		if len(again.errs) != 0 || !reflect.DeepEqual(again.events, []decoder.Event{ev}) {
			t.Fatalf("event %+v re-encoded as % X decodes to %+v, rejects %q", ev, w, again.events, again.rejects)
		}
	}
	return whole
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

// reencode builds the record an event came from, failing if the event holds
// values no P3 record can carry.
func reencode(t *testing.T, ev decoder.Event) []byte {
	t.Helper()
	var id uint64
	if ev.DecoderID != "" {
		var err error
		if id, err = strconv.ParseUint(ev.DecoderID, 16, 32); err != nil || len(ev.DecoderID) != 8 || id == 0 {
			t.Fatalf("event %+v: decoder id is not 8 hex digits of a nonzero id", ev)
		}
	}
	if ev.Time < 0 || ev.Time%time.Microsecond != 0 {
		t.Fatalf("event %+v: time is not whole microseconds since the epoch", ev)
	}
	switch ev.Kind {
	case decoder.Passing:
		tx, err := strconv.ParseUint(ev.Transponder, 10, 32)
		if err != nil || strconv.FormatUint(tx, 10) != ev.Transponder {
			t.Fatalf("event %+v: transponder is not a canonical u32", ev)
		}
		if !ev.Epoch || ev.Seq > math.MaxUint32 || ev.Strength < 0 || ev.Strength > math.MaxUint16 || ev.Hits < 0 || ev.Hits > math.MaxUint16 {
			t.Fatalf("event %+v: fields out of the record's range", ev)
		}
		return EncodePassing(Passing{
			Number: uint32(ev.Seq), Transponder: uint32(tx), RTC: ev.Time,
			Strength: uint16(ev.Strength), Hits: uint16(ev.Hits), DecoderID: uint32(id),
		})
	case decoder.Status:
		if ev.Transponder != "" || ev.Time != 0 || ev.Epoch || ev.Seq != 0 || ev.Strength != 0 || ev.Hits != 0 {
			t.Fatalf("status event %+v carries more than a decoder id", ev)
		}
		return EncodeStatus(uint32(id), 0)
	case decoder.ClockSync:
		if ev.Transponder != "" || !ev.Epoch || ev.Seq != 0 || ev.Strength != 0 || ev.Hits != 0 {
			t.Fatalf("clock event %+v carries more than a time and decoder id", ev)
		}
		return EncodeClock(ev.Time, uint32(id))
	}
	t.Fatalf("event of unexpected kind %v", ev.Kind)
	return nil
}
