package p3

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/decodertest"
)

// checkEscaped asserts the wire form has start and end bytes only at its
// ends and every escape byte followed by a valid escaped value.
func checkEscaped(t *testing.T, w []byte) {
	t.Helper()
	if w[0] != startByte || w[len(w)-1] != endByte {
		t.Fatalf("record % X does not run from start byte to end byte", w)
	}
	inner := w[1 : len(w)-1]
	for i := 0; i < len(inner); i++ {
		switch inner[i] {
		case startByte, endByte:
			t.Fatalf("unescaped 0x%02X at %d in % X", inner[i], i+1, w)
		case escapeByte:
			if i+1 == len(inner) || inner[i+1] < 0xAD || inner[i+1] > 0xAF {
				t.Fatalf("escape at %d not followed by 0xAD..0xAF in % X", i+1, w)
			}
			i++
		}
	}
}

// unescape undoes escape for a record known to be well formed.
func unescape(w []byte) []byte {
	var out []byte
	for i := 0; i < len(w); i++ {
		if w[i] == escapeByte && i > 0 && i < len(w)-1 {
			i++
			out = append(out, w[i]-escapeAdd)
			continue
		}
		out = append(out, w[i])
	}
	return out
}

func TestEncodePassingRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Passing
		want decoder.Event
	}{
		{"ordinary", goodPassing, goodPassingEvent},
		{"zero values", Passing{}, decoder.Event{Kind: decoder.Passing, Transponder: "0", Epoch: true}},
		{"special bytes in every field", Passing{
			Number: 0x8D8E8F8D, Transponder: 0x8E8E8E8E, RTC: 0x8F8D8E8F8D8E * time.Microsecond,
			Strength: 0x8D8F, Hits: 0x8E8D, DecoderID: 0x8F8F8F8F,
		}, decoder.Event{
			Kind: decoder.Passing, Transponder: "2391707278", Time: 0x8F8D8E8F8D8E * time.Microsecond, Epoch: true,
			Seq: 0x8D8E8F8D, Strength: 0x8D8F, Hits: 0x8E8D, DecoderID: "8F8F8F8F",
		}},
		{"time below a microsecond is dropped", Passing{Transponder: 1, RTC: 1500 * time.Nanosecond},
			decoder.Event{Kind: decoder.Passing, Transponder: "1", Time: time.Microsecond, Epoch: true}},
		{"negative time is sent as zero", Passing{Transponder: 1, RTC: -time.Hour},
			decoder.Event{Kind: decoder.Passing, Transponder: "1", Epoch: true}},
		{"largest transponder and counters", Passing{Number: 1<<32 - 1, Transponder: 1<<32 - 1, Strength: 1<<16 - 1, Hits: 1<<16 - 1, DecoderID: 1<<32 - 1},
			decoder.Event{Kind: decoder.Passing, Transponder: "4294967295", Epoch: true, Seq: 1<<32 - 1,
				Strength: 1<<16 - 1, Hits: 1<<16 - 1, DecoderID: "FFFFFFFF"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := EncodePassing(tc.in)
			checkEscaped(t, w)
			got := harness.FeedChunks(t, w)
			decodertest.CheckRejects(t, got.Rejects)
			if !reflect.DeepEqual(got.Events, []decoder.Event{tc.want}) {
				t.Errorf("events\n got %+v\nwant %+v", got.Events, []decoder.Event{tc.want})
			}
		})
	}
}

// TestEncodeEscapesHeader builds records whose length and CRC fields hold
// bytes that must be escaped, so escaping of the header is exercised too.
func TestEncodeEscapesHeader(t *testing.T) {
	for _, length := range []int{0x8D, 0x8E, 0x8F} {
		r := newRecord(typePassing)
		r.uint(fieldTransponder, 4, 3)
		r.uint(fieldRTCTime, 8, 1)
		r.uint(0x99, length-1-len(r.b)-2, 0) // pad up to the end byte
		w := escape(r.unescaped())
		if got := binary.LittleEndian.Uint16(unescape(w)[offLength:]); got != uint16(length) {
			t.Fatalf("built a record of length %d, want %d", got, length)
		}
		checkDecodesOnce(t, w)
	}

	special := func(b byte) bool { return b >= escapeByte && b <= endByte }
	found := 0
	for n := uint32(0); n < 10000 && found < 5; n++ {
		w := EncodePassing(Passing{Number: n, Transponder: 3, RTC: time.Second})
		c := binary.LittleEndian.Uint16(unescape(w)[offCRC:])
		if special(byte(c)) || special(byte(c>>8)) {
			found++
			checkDecodesOnce(t, w)
		}
	}
	if found < 5 {
		t.Fatalf("found %d records with a special byte in the CRC, want 5", found)
	}
}

func checkDecodesOnce(t *testing.T, w []byte) {
	t.Helper()
	checkEscaped(t, w)
	got := harness.FeedChunks(t, w)
	decodertest.CheckRejects(t, got.Rejects)
	if len(got.Events) != 1 {
		t.Fatalf("record % X: %d events, want 1", w, len(got.Events))
	}
}

func TestEncodeStatusAndClock(t *testing.T) {
	tests := []struct {
		name string
		w    []byte
		want decoder.Event
	}{
		{"status", EncodeStatus(0x8D, 0x8E8F), decoder.Event{Kind: decoder.Status, DecoderID: "0000008D"}},
		{"clock", EncodeClock(rtc*time.Microsecond, 0), decoder.Event{Kind: decoder.ClockSync, Time: rtc * time.Microsecond, Epoch: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkEscaped(t, tc.w)
			got := harness.FeedChunks(t, tc.w)
			decodertest.CheckRejects(t, got.Rejects)
			if !reflect.DeepEqual(got.Events, []decoder.Event{tc.want}) {
				t.Errorf("events\n got %+v\nwant %+v", got.Events, []decoder.Event{tc.want})
			}
		})
	}
}

// TestEncodeLayout pins the byte layout of a small STATUS record worked
// out by hand, so encoder and decoder cannot drift together.
func TestEncodeLayout(t *testing.T) {
	rec := unescape(EncodeStatus(0, 0x0102))
	want := []byte{
		0x8E,       // start
		0x02,       // version
		0x0F, 0x00, // length 15, little-endian
		0, 0, // CRC, checked below
		0x00, 0x00, // flags
		0x02, 0x00, // type STATUS
		0x01, 0x02, 0x02, 0x01, // noise field: id 1, 2 bytes, 0x0102 little-endian
		0x8F, // end
	}
	got := bytes.Clone(rec)
	got[offCRC], got[offCRC+1] = 0, 0
	if !bytes.Equal(got, want) {
		t.Fatalf("status record\n got % X\nwant % X", got, want)
	}
	if c := binary.LittleEndian.Uint16(rec[offCRC:]); c != CRC(want) {
		t.Errorf("stored CRC 0x%04X, want CRC of the record with a zero CRC field 0x%04X", c, CRC(want))
	}
}
