package p3

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/decodertest"
)

// rtc is a plausible RTC time: 2023-11-14 22:13:20.123456 UTC in µs.
const rtc = 1_700_000_000_123_456

var (
	goodPassing = Passing{
		Number: 42, Transponder: 1234567, RTC: rtc * time.Microsecond,
		Strength: 120, Hits: 33, DecoderID: 0x000A1B2C,
	}
	goodPassingEvent = decoder.Event{
		Kind: decoder.Passing, Transponder: "1234567", Time: rtc * time.Microsecond, Epoch: true,
		Seq: 42, Strength: 120, Hits: 33, DecoderID: "000A1B2C",
	}
	// passingFields are the fields of goodPassing, for records built by hand.
	passingFields = []field{
		{fieldPassingNumber, le(4, 42)},
		{fieldTransponder, le(4, 1234567)},
		{fieldRTCTime, le(8, rtc)},
		{fieldStrength, le(2, 120)},
		{fieldHits, le(2, 33)},
		{fieldDecoderID, le(4, 0x000A1B2C)},
	}
)

func TestFeedGoodRecords(t *testing.T) {
	escaped := Passing{
		Number: 0x8D8E8F01, Transponder: 0x8F8E8D8D, RTC: 0x188D8E8F8D8E8F * time.Microsecond,
		Strength: 0x8E8F, Hits: 0x8D8D, DecoderID: 0x8F8E8D00,
	}
	exactlyMax := append(append([]field{}, passingFields...), pad(MaxRecord-minRecord-36)...)
	tests := []struct {
		name string
		in   []byte
		want []decoder.Event
	}{
		{"passing", EncodePassing(goodPassing), []decoder.Event{goodPassingEvent}},
		{"passing without decoder id", EncodePassing(Passing{Number: 7, Transponder: 3, RTC: time.Second, Strength: 1, Hits: 2}),
			[]decoder.Event{{Kind: decoder.Passing, Transponder: "3", Time: time.Second, Epoch: true, Seq: 7, Strength: 1, Hits: 2}}},
		{"passing with only transponder and time", wire(typePassing,
			field{fieldTransponder, le(4, 99)}, field{fieldRTCTime, le(8, 5)}),
			[]decoder.Event{{Kind: decoder.Passing, Transponder: "99", Time: 5 * time.Microsecond, Epoch: true}}},
		{"passing with escaped bytes everywhere", EncodePassing(escaped),
			[]decoder.Event{{Kind: decoder.Passing, Transponder: "2408484237", Time: 0x188D8E8F8D8E8F * time.Microsecond,
				Epoch: true, Seq: 0x8D8E8F01, Strength: 0x8E8F, Hits: 0x8D8D, DecoderID: "8F8E8D00"}}},
		{"passing with unknown fields skipped", wire(typePassing, append([]field{
			{0x08, le(2, 1)}, {0x13, le(4, 77)}, {0x99, nil}, {0xFE, []byte("anything")}}, passingFields...)...),
			[]decoder.Event{goodPassingEvent}},
		{"passing from another protocol version", func() []byte {
			rec := build(typePassing, passingFields...)
			rec[1] = 0x03
			return escape(withCRC(rec))
		}(), []decoder.Event{goodPassingEvent}},
		{"passing of exactly MaxRecord bytes", wire(typePassing, exactlyMax...), []decoder.Event{goodPassingEvent}},
		{"status", EncodeStatus(0x000A1B2C, 40), []decoder.Event{{Kind: decoder.Status, DecoderID: "000A1B2C"}}},
		{"status without decoder id", EncodeStatus(0, 40), []decoder.Event{{Kind: decoder.Status}}},
		{"status with GPS, temperature and voltage", wire(typeStatus,
			field{fieldNoise, le(2, 3)}, field{0x06, le(1, 1)}, field{0x07, le(2, 215)}, field{0x0C, le(2, 121)}),
			[]decoder.Event{{Kind: decoder.Status}}},
		{"error record is a status", wire(typeError, field{fieldDecoderID, le(4, 5)}),
			[]decoder.Event{{Kind: decoder.Status, DecoderID: "00000005"}}},
		{"get-time reply", EncodeClock(rtc*time.Microsecond, 0x000A1B2C),
			[]decoder.Event{{Kind: decoder.ClockSync, Time: rtc * time.Microsecond, Epoch: true, DecoderID: "000A1B2C"}}},
		{"get-time request carries no event", wire(typeGetTime), nil},
		{"version carries no event", wire(typeVersion, field{0x01, []byte("4.1")}, field{fieldDecoderID, le(4, 1)}), nil},
		{"resend carries no event", wire(typeResend, field{0x01, le(4, 10)}, field{0x02, le(4, 20)}), nil},
		{"unknown type carries no event", wire(0x0123, field{0x01, le(4, 10)}), nil},
		{"several records in one read",
			cat(EncodeStatus(1, 0), EncodePassing(goodPassing), wire(typeVersion), EncodePassing(escaped), EncodeStatus(1, 0)),
			[]decoder.Event{
				{Kind: decoder.Status, DecoderID: "00000001"},
				goodPassingEvent,
				{Kind: decoder.Passing, Transponder: "2408484237", Time: 0x188D8E8F8D8E8F * time.Microsecond,
					Epoch: true, Seq: 0x8D8E8F01, Strength: 0x8E8F, Hits: 0x8D8D, DecoderID: "8F8E8D00"},
				{Kind: decoder.Status, DecoderID: "00000001"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := harness.FeedChunks(t, tc.in)
			decodertest.CheckRejects(t, got.Rejects)
			if !reflect.DeepEqual(got.Events, tc.want) {
				t.Errorf("events\n got %+v\nwant %+v", got.Events, tc.want)
			}
		})
	}
}

func TestFeedRejects(t *testing.T) {
	good := EncodePassing(goodPassing)
	one := []decoder.Event{goodPassingEvent}
	tests := []struct {
		name   string
		in     []byte
		kinds  []error
		events []decoder.Event
		detail string // part of the first reject's text
	}{
		{"bad CRC: stored value off by one", func() []byte {
			rec := build(typePassing, passingFields...)
			rec[offCRC]++
			return escape(rec)
		}(), []error{ErrCRC}, nil, "passing record: stored CRC"},
		{"bad CRC: payload changed after sending", func() []byte {
			rec := build(typePassing, passingFields...)
			rec[len(rec)-2] ^= 0x01
			return escape(rec)
		}(), []error{ErrCRC}, nil, "computed"},
		{"length field too small", func() []byte {
			rec := build(typePassing, passingFields...)
			rec[offLength]--
			return escape(withCRC(rec))
		}(), []error{ErrLength}, nil, "length field says"},
		{"length field too large", func() []byte {
			rec := build(typeStatus)
			rec[offLength+1] = 1
			return escape(withCRC(rec))
		}(), []error{ErrLength}, nil, "record has 11"},
		{"record shorter than a header", []byte{startByte, version, 0x05, 0x00, endByte}, []error{ErrTruncated}, nil, "record of 5 bytes"},
		{"empty record", []byte{startByte, endByte}, []error{ErrTruncated}, nil, "record of 2 bytes"},
		{"record cut short by the next one", cat(good[:20], good), []error{ErrTruncated}, one, "start byte after"},
		{"bad escape then a good record", cat(good[:15], []byte{escapeByte, 0x41}, good[15:], good), []error{ErrEscape}, one, "followed by 0x41"},
		{"escape of a plain byte", cat(good[:15], []byte{escapeByte, 0x20 + 0x10}, good[15:]), []error{ErrEscape}, nil, "followed by 0x30"},
		{"escape before the end byte", cat(good[:len(good)-1], []byte{escapeByte, endByte}, good), []error{ErrEscape}, one, "followed by end byte"},
		{"escape before a start byte", cat(good[:12], []byte{escapeByte}, good), []error{ErrEscape}, one, "followed by start byte"},
		{"garbage before a record", cat([]byte("hello\r\n"), good), []error{ErrGarbage}, one, "7 bytes before start byte"},
		{"stray end byte between records", cat(good, []byte{endByte}, good), []error{ErrGarbage}, []decoder.Event{goodPassingEvent, goodPassingEvent}, "1 bytes"},
		{"long garbage is reported in slices", cat(bytes.Repeat([]byte{0}, maxGarbage+10), good), []error{ErrGarbage, ErrGarbage}, one, "4096 bytes without a start byte"},
		{"record over MaxRecord", cat(wire(typePassing, append(append([]field{}, passingFields...), pad(MaxRecord-minRecord-36+1)...)...), good),
			[]error{ErrTooLong}, one, "over 4096"},
		{"endless record", cat([]byte{startByte}, bytes.Repeat([]byte{1}, 3*MaxRecord), []byte{endByte}, good), []error{ErrTooLong}, one, "over 4096"},
		{"TLV length past the end", func() []byte {
			rec := build(typePassing, passingFields...)
			rec[headerSize+1] = 200 // passing number claims 200 bytes
			return escape(withCRC(rec))
		}(), []error{ErrTLV}, nil, "field 0x01 of 200 bytes runs past the end"},
		{"stray byte after the last field", func() []byte {
			rec := build(typeStatus, field{fieldNoise, le(2, 1)})
			rec = append(rec[:len(rec)-1], 0x07, endByte)
			rec[offLength]++
			return escape(withCRC(rec))
		}(), []error{ErrTLV}, nil, "1 stray byte"},
		{"malformed TLV in a version record", func() []byte {
			rec := build(typeVersion, field{0x01, []byte("4.1")})
			rec[headerSize+1] = 9
			return escape(withCRC(rec))
		}(), []error{ErrTLV}, nil, "version record"},
		{"passing without transponder", wire(typePassing, field{fieldRTCTime, le(8, rtc)}), []error{ErrField}, nil, "without transponder"},
		{"passing without RTC time", wire(typePassing, field{fieldTransponder, le(4, 1)}), []error{ErrField}, nil, "without RTC time"},
		{"transponder of the wrong width", wire(typePassing, field{fieldTransponder, le(2, 1)}, field{fieldRTCTime, le(8, rtc)}),
			[]error{ErrField}, nil, "field 0x03 has 2 bytes, want 4"},
		{"repeated transponder", wire(typePassing, append(append([]field{}, passingFields...), field{fieldTransponder, le(4, 2)})...),
			[]error{ErrField}, nil, "field 0x03 repeated"},
		{"RTC time beyond time.Duration", wire(typePassing, field{fieldTransponder, le(4, 1)}, field{fieldRTCTime, le(8, maxRTC+1)}),
			[]error{ErrField}, nil, "out of range"},
		{"clock beyond time.Duration", wire(typeGetTime, field{fieldClock, le(8, 1<<63)}), []error{ErrField}, nil, "get-time record"},
		{"status decoder id of the wrong width", wire(typeStatus, field{fieldDecoderID, le(2, 1)}), []error{ErrField}, nil, "status record: field 0x81"},
		{"every fault in one read, then a good record", cat(
			[]byte("junk"), good[:9], // garbage, truncated
			wire(typeStatus, field{fieldDecoderID, le(2, 1)}),                               // bad field
			func() []byte { r := build(typeStatus); r[offCRC] ^= 0xFF; return escape(r) }(), // bad CRC
			good), []error{ErrGarbage, ErrTruncated, ErrField, ErrCRC}, one, "4 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := harness.FeedChunks(t, tc.in)
			decodertest.CheckRejects(t, got.Rejects, tc.kinds...)
			if !strings.Contains(got.Rejects[0].Error(), tc.detail) {
				t.Errorf("reject %q does not say %q", got.Rejects[0], tc.detail)
			}
			if !reflect.DeepEqual(got.Events, tc.events) {
				t.Errorf("events\n got %+v\nwant %+v", got.Events, tc.events)
			}
		})
	}
}

// TestFeedAnySplit feeds one stream of good and bad records whole, one byte
// at a time and in random chunks; all three must give the same results.
func TestFeedAnySplit(t *testing.T) {
	stream := cat(
		[]byte("noise"),
		EncodePassing(goodPassing),
		EncodeStatus(0x8E8F8D01, 0x8D8E),
		EncodePassing(goodPassing)[:17],
		EncodePassing(Passing{Number: 0x8E, Transponder: 0x8F, RTC: 0x8D * time.Microsecond}),
		[]byte{escapeByte, 0x00},
		func() []byte { r := build(typePassing, passingFields...); r[offCRC] ^= 1; return escape(r) }(),
		[]byte{startByte, 0x01, escapeByte, 0x99, endByte},
		EncodeClock(rtc*time.Microsecond, 9),
		bytes.Repeat([]byte{0x55}, maxGarbage+3),
		EncodePassing(goodPassing),
	)
	whole := harness.CheckAnySplit(t, stream)
	// Rejects: garbage, truncated, garbage (escape outside a record), CRC,
	// escape, garbage slice, garbage before the last record.
	if len(whole.Events) != 5 || len(whole.Rejects) != 7 {
		t.Fatalf("whole stream: %d events, %d rejects (%q); want 5 and 7", len(whole.Events), len(whole.Rejects), whole.RejectTexts())
	}
}

// TestFeedMemoryBounded: a stream that opens a record and never ends it
// must not grow the buffer past MaxRecord.
func TestFeedMemoryBounded(t *testing.T) {
	chunk := bytes.Repeat([]byte{0x42}, 1000)
	got := harness.FeedChunks(t, append([][]byte{{startByte}}, slices.Repeat([][]byte{chunk}, 1000)...)...)
	if len(got.Rejects) != 1 {
		t.Errorf("got %d rejects for one endless record, want 1", len(got.Rejects))
	}
}

func TestGarbageKeepsBufferBounded(t *testing.T) {
	harness.CheckGarbageBounded(t, []byte{startByte}, EncodePassing(goodPassing), []decoder.Event{goodPassingEvent})
}
