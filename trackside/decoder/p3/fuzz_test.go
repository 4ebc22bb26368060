package p3

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/decodertest"
)

// harness lets decodertest check a P3 Decoder: rec is the unescaped record
// so far, bounded by MaxRecord rather than decoder.MaxFrame, and a record
// ends at the end byte.
var harness = decodertest.Harness[*Decoder]{
	New:      New,
	Buffer:   func(d *Decoder) []byte { return d.rec },
	Bound:    MaxRecord,
	FrameEnd: endByte,
	Reencode: reencode,
}

// FuzzP3 feeds arbitrary bytes as a stream and, separately, as the TLV area
// of a record with correct framing, length and CRC (so the fuzzer reaches
// the field parser instead of stopping at the CRC), and holds both to
// decodertest.CheckStream. The sealed record must also give at most one
// event or reject, and a reject only for its TLVs, not its framing.
func FuzzP3(f *testing.F) {
	f.Add(EncodePassing(goodPassing))
	f.Add(EncodeStatus(0x000A1B2C, 12))
	f.Add(EncodeClock(rtc*time.Microsecond, 1))
	f.Add(cat([]byte("x"), EncodePassing(Passing{Number: 0x8D8E8F, Transponder: 0x8F, RTC: 0x8E8D * time.Microsecond}), EncodeStatus(0, 0)))
	f.Add(append([]byte{0x01, 0x00}, build(typePassing, passingFields...)[headerSize:]...))
	f.Add([]byte{startByte, escapeByte, 0x41, endByte})

	f.Fuzz(func(t *testing.T, data []byte) {
		harness.CheckStream(t, data)

		if len(data) < 2 {
			return
		}
		// Seal data as one record: type from the first two bytes, TLVs
		// from the rest.
		r := newRecord(binary.LittleEndian.Uint16(data))
		r.b = append(r.b, data[2:min(len(data), MaxRecord-minRecord+2)]...)
		sealed := harness.CheckStream(t, escape(r.unescaped()))
		if len(sealed.Events)+len(sealed.Rejects) > 1 {
			t.Fatalf("one record gave %d events and %d rejects", len(sealed.Events), len(sealed.Rejects))
		}
		for _, err := range sealed.Rejects {
			if !errors.Is(err, ErrTLV) && !errors.Is(err, ErrField) {
				t.Fatalf("well-framed record rejected for its framing: %v", err)
			}
		}
	})
}

// reencode builds the record an event came from, failing if the event holds
// values no P3 record can carry.
func reencode(tb testing.TB, ev decoder.Event) []byte {
	tb.Helper()
	var id uint64
	if ev.DecoderID != "" {
		var err error
		if id, err = strconv.ParseUint(ev.DecoderID, 16, 32); err != nil || len(ev.DecoderID) != 8 || id == 0 {
			tb.Fatalf("event %+v: decoder id is not 8 hex digits of a nonzero id", ev)
		}
	}
	if ev.Time < 0 || ev.Time%time.Microsecond != 0 {
		tb.Fatalf("event %+v: time is not whole microseconds since the epoch", ev)
	}
	switch ev.Kind {
	case decoder.Passing:
		tx, err := strconv.ParseUint(ev.Transponder, 10, 32)
		if err != nil || strconv.FormatUint(tx, 10) != ev.Transponder {
			tb.Fatalf("event %+v: transponder is not a canonical u32", ev)
		}
		if !ev.Epoch || ev.Seq > math.MaxUint32 || ev.Strength < 0 || ev.Strength > math.MaxUint16 || ev.Hits < 0 || ev.Hits > math.MaxUint16 {
			tb.Fatalf("event %+v: fields out of the record's range", ev)
		}
		return EncodePassing(Passing{
			Number: uint32(ev.Seq), Transponder: uint32(tx), RTC: ev.Time,
			Strength: uint16(ev.Strength), Hits: uint16(ev.Hits), DecoderID: uint32(id),
		})
	case decoder.Status:
		if ev.Transponder != "" || ev.Time != 0 || ev.Epoch || ev.Seq != 0 || ev.Strength != 0 || ev.Hits != 0 {
			tb.Fatalf("status event %+v carries more than a decoder id", ev)
		}
		return EncodeStatus(uint32(id), 0)
	case decoder.ClockSync:
		if ev.Transponder != "" || !ev.Epoch || ev.Seq != 0 || ev.Strength != 0 || ev.Hits != 0 {
			tb.Fatalf("clock event %+v carries more than a time and decoder id", ev)
		}
		return EncodeClock(ev.Time, uint32(id))
	}
	tb.Fatalf("event of unexpected kind %v", ev.Kind)
	return nil
}
