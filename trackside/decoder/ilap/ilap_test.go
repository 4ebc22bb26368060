package ilap

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/decodertest"
)

func passing(id, tx string, ms int64) decoder.Event {
	return decoder.Event{Kind: decoder.Passing, Transponder: tx, Time: time.Duration(ms) * time.Millisecond, DecoderID: id}
}

func ack(id string) decoder.Event { return decoder.Event{Kind: decoder.Ack, DecoderID: id} }

func TestFeedGoodLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []decoder.Event
	}{
		{"protocol example", "\x01@\t1\t2097152\t324.62\r\n", []decoder.Event{passing("1", "2097152", 324620)}},
		{"one fraction digit", "\x01@\t1\t5118895\t12.5\r\n", []decoder.Event{passing("1", "5118895", 12500)}},
		{"three fraction digits", "\x01@\t1\t5118895\t0.007\r\n", []decoder.Event{passing("1", "5118895", 7)}},
		{"no fraction", "\x01@\t1\t5118895\t12\r\n", []decoder.Event{passing("1", "5118895", 12000)}},
		{"zero time", "\x01@\t1\t5118895\t0\r\n", []decoder.Event{passing("1", "5118895", 0)}},
		{"largest transponder", "\x01@\tA7\t9999999\t1.1\r\n", []decoder.Event{passing("A7", "9999999", 1100)}},
		{"bare LF", "\x01@\t1\t5118895\t1.25\n", []decoder.Event{passing("1", "5118895", 1250)}},
		{"absurd but valid time", "\x01@\t1\t5118895\t9223372036.854\r\n", []decoder.Event{passing("1", "5118895", maxMillis)}},
		{"leading zeros in seconds", "\x01@\t1\t5118895\t007.5\r\n", []decoder.Event{passing("1", "5118895", 7500)}},
		{"reset ack", "\x01%\t42\t0\t0\r\n", []decoder.Event{ack("42")}},
		{"empty lines ignored", "\r\n\n\x01%\t1\t0\t0\r\n\r\n", []decoder.Event{ack("1")}},
		{
			"session",
			"\x01%\t1\t0\t0\r\n\x01@\t1\t2097152\t3.2\r\n\x01@\t1\t3000000\t4\r\n\x01@\t1\t2097152\t15.25\r\n",
			[]decoder.Event{ack("1"), passing("1", "2097152", 3200), passing("1", "3000000", 4000), passing("1", "2097152", 15250)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := harness.FeedChunks(t, []byte(tc.in))
			if len(got.Rejects) != 0 {
				t.Fatalf("Feed(%q) rejects = %v, want none", tc.in, got.Rejects)
			}
			if !slices.Equal(got.Events, tc.want) {
				t.Fatalf("Feed(%q) = %+v, want %+v", tc.in, got.Events, tc.want)
			}
		})
	}
}

func TestFeedRejects(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       []decoder.Event
		wantReject []string // substrings, one per expected reject, in order
	}{
		{"no start byte", "@\t1\t2097152\t1.0\r\n", nil, []string{`line does not begin with 0x01: "@\t1\t2097152\t1.0\r"`}},
		{"garbage line", "hello\n", nil, []string{`line does not begin with 0x01: "hello"`}},
		{"unknown type", "\x01#\t1\t2\t3\r\n", nil, []string{`unknown message type "#"`}},
		{"start byte only", "\x01\r\n", nil, []string{`unknown message type ""`}},
		{"reset command echoed", "\x01%\r\n", nil, []string{"reset ack needs 4 tab-separated fields, got 1"}},
		{"ack with wrong tail", "\x01%\t1\t0\t1\r\n", nil, []string{`reset ack must end in "\t0\t0"`}},
		{"ack without id", "\x01%\t\t0\t0\r\n", nil, []string{"decoder id is empty"}},
		{"passing with 3 fields", "\x01@\t1\t2097152\r\n", nil, []string{"passing needs 4 tab-separated fields, got 3"}},
		{"passing with 5 fields", "\x01@\t1\t2097152\t1.0\t9\r\n", nil, []string{"more than 4 tab-separated fields"}},
		{"empty decoder id", "\x01@\t\t2097152\t1.0\r\n", nil, []string{"decoder id is empty"}},
		{"decoder id with space", "\x01@\ta b\t2097152\t1.0\r\n", nil, []string{"decoder id has a non-printable byte ' '"}},
		{"decoder id with DEL", "\x01@\t1\x7f\t2097152\t1.0\r\n", nil, []string{"non-printable byte '\\x7f'"}},
		{"transponder 6 digits", "\x01@\t1\t209715\t1.0\r\n", nil, []string{"transponder must have 7 digits"}},
		{"transponder 8 digits", "\x01@\t1\t10000000\t1.0\r\n", nil, []string{"transponder must have 7 digits"}},
		{"transponder below range", "\x01@\t1\t2097151\t1.0\r\n", nil, []string{"transponder below 2097152"}},
		{"transponder zero padded", "\x01@\t1\t0000042\t1.0\r\n", nil, []string{"transponder below 2097152"}},
		{"transponder non-digit", "\x01@\t1\t20971x2\t1.0\r\n", nil, []string{"transponder has a non-digit 'x'"}},
		{"time empty", "\x01@\t1\t2097152\t\r\n", nil, []string{"passing time has no whole seconds"}},
		{"time fraction only", "\x01@\t1\t2097152\t.5\r\n", nil, []string{"passing time has no whole seconds"}},
		{"time trailing dot", "\x01@\t1\t2097152\t5.\r\n", nil, []string{"fraction must have 1 to 3 digits"}},
		{"time 4 fraction digits", "\x01@\t1\t2097152\t5.1234\r\n", nil, []string{"fraction must have 1 to 3 digits"}},
		{"time negative", "\x01@\t1\t2097152\t-5.1\r\n", nil, []string{"passing time has a non-digit '-'"}},
		{"time exponent", "\x01@\t1\t2097152\t1e3\r\n", nil, []string{"non-digit 'e'"}},
		{"time two dots", "\x01@\t1\t2097152\t1.2.3\r\n", nil, []string{"passing time has a non-digit '.'"}},
		{"time bad fraction", "\x01@\t1\t2097152\t1.x\r\n", nil, []string{"passing time has a non-digit 'x'"}},
		{"time beyond Duration", "\x01@\t1\t2097152\t9223372036.855\r\n", nil, []string{"passing time overflows"}},
		{"seconds beyond Duration", "\x01@\t1\t2097152\t9223372037\r\n", nil, []string{"passing time overflows"}},
		{"seconds beyond int64", "\x01@\t1\t2097152\t99999999999999999999999\r\n", nil, []string{"passing time overflows"}},
		{"CR inside a field", "\x01@\t1\t2097152\t1.5\r\r\n", nil, []string{"non-digit '\\r'"}},
		{
			"lost line end: the next 0x01 starts a new message",
			"\x01@\t1\t2097152\t1.5\x01@\t1\t2097152\t2.5\r\n",
			[]decoder.Event{passing("1", "2097152", 2500)},
			[]string{`line cut short by the next message start 0x01: "\x01@\t1\t2097152\t1.5"`},
		},
		{
			"noise before a message",
			"\xff\xfe\x01%\t1\t0\t0\r\n",
			[]decoder.Event{ack("1")},
			[]string{`bytes before the message start 0x01: "\xff\xfe"`},
		},
		{
			"CR without LF before a message is not noise",
			"\x01%\t1\t0\t0\r\x01%\t2\t0\t0\r\n",
			[]decoder.Event{ack("2")},
			[]string{`line cut short by the next message start 0x01: "\x01%\t1\t0\t0\r"`},
		},
		{
			"lone CR before a message",
			"\r\x01%\t2\t0\t0\r\n",
			[]decoder.Event{ack("2")},
			nil,
		},
		{
			"overlong line, then recovery at LF",
			"\x01@\t1\t2097152\t" + strings.Repeat("1", decoder.MaxFrame) + "\r\n\x01%\t1\t0\t0\r\n",
			[]decoder.Event{ack("1")},
			[]string{"line longer than 512 bytes"},
		},
		{
			"overlong line, then recovery at 0x01",
			strings.Repeat("z", 3*decoder.MaxFrame) + "\x01%\t1\t0\t0\r\n",
			[]decoder.Event{ack("1")},
			[]string{"line longer than 512 bytes: \"zzz"},
		},
		{
			"line of exactly MaxFrame bytes is not overlong",
			"\x01@\t1\t2097152\t" + strings.Repeat("0", decoder.MaxFrame-16) + "1.5\n",
			[]decoder.Event{passing("1", "2097152", 1500)},
			nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := harness.FeedChunks(t, []byte(tc.in))
			if !slices.Equal(got.Events, tc.want) {
				t.Errorf("Feed(%q) events = %+v, want %+v", tc.in, got.Events, tc.want)
			}
			decodertest.CheckRejectTexts(t, got.Rejects, "ilap: malformed frame: ", tc.wantReject...)
		})
	}
}

func TestRejectQuoteIsTruncated(t *testing.T) {
	in := "\x01@\t1\t2097152\t" + strings.Repeat("Z", 100) + "\r\n"
	_, rejects := New().Feed([]byte(in))
	if len(rejects) != 1 {
		t.Fatalf("rejects = %v, want 1", rejects)
	}
	msg := rejects[0].Error()
	if strings.Contains(msg, strings.Repeat("Z", quoteLimit)) || !strings.Contains(msg, "... (114 bytes)") {
		t.Errorf("reject %q: want the quote cut to %d bytes with the full length", msg, quoteLimit)
	}
}

// A stream built from good lines, every kind of reject and noise.
func mixedStream() []byte {
	var b bytes.Buffer
	b.Write(EncodeAck("1"))
	for i := range 200 {
		b.Write(EncodePassing("1", uint32(minTransponder+i*7919), time.Duration(i)*1234*time.Millisecond))
		switch i % 8 {
		case 0:
			b.WriteString("noise\x00\xff\n")
		case 1:
			b.WriteString("\x01@\t1\t2097152\t1.5") // line end lost
		case 2:
			b.WriteString(strings.Repeat("#", 700) + "\r\n")
		case 3:
			b.WriteString("\x01@\t1\t0000001\t1\r\n\x01%\r\n\r\n")
		case 4:
			b.Write(EncodeAck("2"))
		}
	}
	return b.Bytes()
}

// TestFeedAnySplit: the mixed stream decodes the same whole, a byte at a
// time and in random pieces.
func TestFeedAnySplit(t *testing.T) {
	whole := harness.CheckAnySplit(t, mixedStream())
	if len(whole.Events) < 200 || len(whole.Rejects) < 50 {
		t.Fatalf("stream gave %d events and %d rejects; the test stream is not exercising the framer", len(whole.Events), len(whole.Rejects))
	}
}

func TestGarbageKeepsBufferBounded(t *testing.T) {
	harness.CheckGarbageBounded(t, []byte("\x01@\t"), []byte("\r\n\x01@\t1\t2097152\t324.62\r\n"),
		[]decoder.Event{passing("1", "2097152", 324620)})
}

func TestZeroDecoderWorks(t *testing.T) {
	var d Decoder
	events, rejects := d.Feed([]byte("\x01%\t1\t0\t0\r\n"))
	if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{ack("1")}) {
		t.Errorf("zero Decoder Feed = %v, %v; want one ack", events, rejects)
	}
}

func TestFeedDoesNotAllocatePerByte(t *testing.T) {
	d := New()
	lines := []byte("\x01@\t1\t2097152\t324.62\r\n\x01@\t1\t3000000\t325.1\r\n")
	allocs := testing.AllocsPerRun(100, func() { d.Feed(lines) })
	// The events slice (grown once to 2) and one string per transponder;
	// the decoder id string is reused.
	if allocs > 4 {
		t.Errorf("Feed of two lines allocates %.0f times, want <= 4", allocs)
	}
}

func TestTransponderCacheIsBounded(t *testing.T) {
	d := New()
	for tx := uint32(minTransponder); tx < minTransponder+3*maxCachedTransponders; tx++ {
		events, rejects := d.Feed(EncodePassing("1", tx, time.Second))
		want := passing("1", strconv.FormatUint(uint64(tx), 10), 1000)
		if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{want}) {
			t.Fatalf("tx %d: events %+v rejects %v, want %+v", tx, events, rejects, want)
		}
		if len(d.transponders) > maxCachedTransponders {
			t.Fatalf("transponder cache holds %d ids, want <= %d", len(d.transponders), maxCachedTransponders)
		}
	}
}
