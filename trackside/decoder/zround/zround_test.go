package zround

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

func passing(tx string, ms int64) decoder.Event {
	return decoder.Event{Kind: decoder.Passing, Transponder: tx, Time: time.Duration(ms) * time.Millisecond}
}

func clock(ms int64) decoder.Event {
	return decoder.Event{Kind: decoder.ClockSync, Time: time.Duration(ms) * time.Millisecond}
}

var ack = decoder.Event{Kind: decoder.Ack}

func TestFeedGoodFrames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []decoder.Event
	}{
		{"ack", "%A&", []decoder.Event{ack}},
		{"clock zero", "%T0&", []decoder.Event{clock(0)}},
		{"clock mixed case hex", "%T1a2B3&", []decoder.Event{clock(107187)}},
		{"clock largest duration", "%T8637BD05AF6&", []decoder.Event{clock(maxMillis)}},
		{"protocol example comma form", "%L03,1A2B3&", []decoder.Event{passing("3", 107187)}},
		{"two-digit form", "%L031A2B3&", []decoder.Event{passing("3", 107187)}},
		{"two-digit form one time digit", "%L1A5&", []decoder.Event{passing("26", 5)}},
		{"lowercase hex", "%Lff,ff&", []decoder.Event{passing("255", 255)}},
		{"long transponder with leading zeros", "%L0000000003,1&", []decoder.Event{passing("3", 1)}},
		{"largest transponder", "%LFFFFFFFF,0&", []decoder.Event{passing("4294967295", 0)}},
		{"transponder zero (fixed-id beam)", "%L00,10&", []decoder.Event{passing("0", 16)}},
		{"CRLF after frames is not garbage", "%A&\r\n%L03,10&\r\n\n\r", []decoder.Event{ack, passing("3", 16)}},
		{"back to back", "%A&%A&%T10&", []decoder.Event{ack, ack, clock(16)}},
		{"frame of exactly MaxFrame bytes", "%T" + strings.Repeat("0", decoder.MaxFrame-4) + "1&", []decoder.Event{clock(1)}},
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
		want       []decoder.Event // events that must still come out
		wantReject []string        // substrings, one per expected reject, in order
	}{
		{"empty frame", "%&", nil, []string{`empty frame: "%&"`}},
		{"ack with trailing bytes", "%A1&", nil, []string{`ack frame with trailing bytes: "%A1&"`}},
		{"clock without digits", "%T&", nil, []string{"clock time is empty"}},
		{"clock non-hex", "%TG&", nil, []string{"clock time has a non-hex digit 'G'"}},
		{"clock negative", "%T-1&", nil, []string{"non-hex digit '-'"}},
		{"clock beyond Duration", "%T8637BD05AF7&", nil, []string{"clock time overflows"}},
		{"clock beyond uint64", "%T10000000000000000&", nil, []string{"clock time overflows"}},
		{"transponder beyond uint32", "%L100000000,1&", nil, []string{"transponder overflows"}},
		{"transponder empty", "%L,5&", nil, []string{"transponder is empty"}},
		{"transponder non-hex", "%L0G5&", nil, []string{"transponder has a non-hex digit 'G'"}},
		{"detection time empty", "%L03,&", nil, []string{"detection time is empty"}},
		{"detection time non-hex", "%L03,1,2&", nil, []string{"detection time has a non-hex digit ','"}},
		{"detection time beyond Duration", "%L03,8637BD05AF7&", nil, []string{"detection time overflows"}},
		{"no comma, two digits only", "%L03&", nil, []string{"needs 2 transponder digits and a time"}},
		{"no comma, one digit", "%L3&", nil, []string{"needs 2 transponder digits"}},
		{"detection empty", "%L&", nil, []string{"needs 2 transponder digits"}},
		{"unknown frame type", "%X1&", nil, []string{`unknown frame type 'X': "%X1&"`}},
		{"host command echoed", "%C&", nil, []string{"unknown frame type 'C'"}},
		{"lowercase frame letter", "%a&", nil, []string{"unknown frame type 'a'"}},
		{"garbage before frame", "xyz%A&", []decoder.Event{ack}, []string{`bytes outside a frame: "xyz"`}},
		{"garbage between frames", "%A&junk%L03,1&", []decoder.Event{ack, passing("3", 1)}, []string{`"junk"`}},
		{"stray end byte", "&%A&", []decoder.Event{ack}, []string{`bytes outside a frame: "&"`}},
		{"garbage line ends at LF", "junk\r\n%A&", []decoder.Event{ack}, []string{`bytes outside a frame: "junk\r\n"`}},
		{"two garbage lines", "a\nb\n", nil, []string{`"a\n"`, `"b\n"`}},
		{"new % restarts the frame", "%L03,%A&", []decoder.Event{ack}, []string{`frame cut short by a new '%': "%L03,"`}},
		{"double %", "%%A&", []decoder.Event{ack}, []string{`cut short by a new '%': "%"`}},
		{
			"overlong frame resyncs on next %",
			"%T" + strings.Repeat("1", decoder.MaxFrame) + "&tail%A&",
			[]decoder.Event{ack},
			[]string{"frame longer than 512 bytes"},
		},
		{
			"frame one byte over MaxFrame",
			"%T" + strings.Repeat("0", decoder.MaxFrame-3) + "1&%A&",
			[]decoder.Event{ack},
			[]string{"frame longer than 512 bytes"},
		},
		{
			"long garbage is reported in MaxFrame pieces",
			strings.Repeat("x", 2*decoder.MaxFrame+1) + "%A&",
			[]decoder.Event{ack},
			[]string{"(512 bytes)", "(512 bytes)", `bytes outside a frame: "x"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := harness.FeedChunks(t, []byte(tc.in))
			if !slices.Equal(got.Events, tc.want) {
				t.Errorf("Feed(%q) events = %+v, want %+v", tc.in, got.Events, tc.want)
			}
			decodertest.CheckRejectTexts(t, got.Rejects, "zround: malformed frame: ", tc.wantReject...)
		})
	}
}

func TestRejectQuoteIsTruncated(t *testing.T) {
	in := "%T" + strings.Repeat("Z", 100) + "&"
	_, rejects := New().Feed([]byte(in))
	if len(rejects) != 1 {
		t.Fatalf("rejects = %v, want 1", rejects)
	}
	msg := rejects[0].Error()
	if strings.Contains(msg, strings.Repeat("Z", quoteLimit)) || !strings.Contains(msg, "... (103 bytes)") {
		t.Errorf("reject %q: want the quote cut to %d bytes with the full length", msg, quoteLimit)
	}
}

// A stream built from good frames, every kind of reject and garbage.
func mixedStream() []byte {
	var b bytes.Buffer
	for i := range 200 {
		b.Write(EncodePassing(uint32(i*7919), time.Duration(i)*1234*time.Millisecond))
		b.WriteString("\r\n")
		switch i % 10 {
		case 0:
			b.Write(EncodeClock(time.Duration(i) * time.Second))
		case 1:
			b.WriteString("noise\x00\xff")
		case 2:
			b.WriteString("%L03,%A&")
		case 3:
			b.WriteString("%T" + strings.Repeat("F", 600) + "&junk")
		case 4:
			b.WriteString("%L1A5&%LZZ,1&%&")
		case 5:
			b.WriteString(strings.Repeat("#", 700))
		case 6:
			b.WriteString("line\n")
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
	harness.CheckGarbageBounded(t, []byte("%"), []byte("%L03,1A2B3&"), []decoder.Event{passing("3", 107187)})
}

func TestZeroDecoderWorks(t *testing.T) {
	var d Decoder
	events, rejects := d.Feed([]byte("%A&"))
	if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{ack}) {
		t.Errorf("zero Decoder Feed = %v, %v; want one ack", events, rejects)
	}
}

func TestFeedDoesNotAllocatePerByte(t *testing.T) {
	d := New()
	frame := []byte("%L1F,1A2B3&\r\n%T1A2B3&\r\n")
	allocs := testing.AllocsPerRun(100, func() { d.Feed(frame) })
	// One for the events slice (grown once to 2); transponder "31" is a
	// small number strconv does not allocate for.
	if allocs > 2 {
		t.Errorf("Feed of two frames allocates %.0f times, want <= 2", allocs)
	}
}

func TestTransponderCacheIsBounded(t *testing.T) {
	d := New()
	for tx := range uint32(3 * maxCachedTransponders) {
		events, rejects := d.Feed(EncodePassing(tx, time.Second))
		want := passing(strconv.FormatUint(uint64(tx), 10), 1000)
		if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{want}) {
			t.Fatalf("tx %d: events %+v rejects %v, want %+v", tx, events, rejects, want)
		}
		if len(d.transponders) > maxCachedTransponders {
			t.Fatalf("transponder cache holds %d ids, want <= %d", len(d.transponders), maxCachedTransponders)
		}
	}
}
