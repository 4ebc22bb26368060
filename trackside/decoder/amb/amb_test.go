package amb

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/decoder"
)

// result is what a run of Feed calls produced, with rejects as text so two
// runs can be compared.
type result struct {
	events  []decoder.Event
	rejects []string
	errs    []error
}

// feedChunks feeds the chunks to a fresh Decoder in order.
func feedChunks(chunks ...[]byte) result {
	d := New()
	var r result
	for _, c := range chunks {
		evs, errs := d.Feed(c)
		r.events = append(r.events, evs...)
		for _, err := range errs {
			r.errs = append(r.errs, err)
			r.rejects = append(r.rejects, err.Error())
		}
	}
	return r
}

func sameResult(a, b result) bool {
	return reflect.DeepEqual(a.events, b.events) && reflect.DeepEqual(a.rejects, b.rejects)
}

// checkRejects asserts that errs are exactly the given kinds, in order, and
// all wrap decoder.ErrFrame.
func checkRejects(t *testing.T, errs []error, kinds []error) {
	t.Helper()
	if len(errs) != len(kinds) {
		t.Fatalf("got %d rejects %v, want %d", len(errs), errs, len(kinds))
	}
	for i, err := range errs {
		if !errors.Is(err, decoder.ErrFrame) {
			t.Errorf("reject %d %q does not wrap decoder.ErrFrame", i, err)
		}
		if !errors.Is(err, kinds[i]) {
			t.Errorf("reject %d = %q, want kind %q", i, err, kinds[i])
		}
	}
}

// passing301 is transponder 0x12D = 301 at 0x1A2B3 = 107187 ms, 10 hits,
// strength 127.
const passing301 = "$123400012D0001A2B30A7F5C\r\n"

var event301 = decoder.Event{Kind: decoder.Passing, Transponder: "301", Time: 107187 * time.Millisecond, Hits: 10, Strength: 127}

func TestFeedGoodLines(t *testing.T) {
	status := decoder.Event{Kind: decoder.Status}
	tests := []struct {
		name string
		in   string
		want []decoder.Event
	}{
		{"passing", passing301, []decoder.Event{event301}},
		{"passing in lowercase", strings.ToLower(passing301), []decoder.Event{event301}},
		{"passing with bare LF", strings.TrimSuffix(passing301, "\r\n") + "\n", []decoder.Event{event301}},
		{"largest values", "$FFFFFFFFFFFFFFFFFFFFFFFF\r\n", []decoder.Event{{
			Kind: decoder.Passing, Transponder: "16777215", Time: 4294967295 * time.Millisecond, Hits: 255, Strength: 255}}},
		{"zero values", "$000000000000000000000000\r\n", []decoder.Event{{Kind: decoder.Passing, Transponder: "0"}}},
		{"status", "#0042\r\n", []decoder.Event{status}},
		{"status in lowercase", "#00ff\n", []decoder.Event{status}},
		{"empty lines are skipped", "\r\n\n\r\n", nil},
		{"several lines in one read", "#0001\r\n" + passing301 + "\r\n" + passing301 + "#0002\n",
			[]decoder.Event{status, event301, event301, status}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := feedChunks([]byte(tc.in))
			checkRejects(t, got.errs, nil)
			if !reflect.DeepEqual(got.events, tc.want) {
				t.Errorf("events\n got %+v\nwant %+v", got.events, tc.want)
			}
		})
	}
}

func TestFeedRejects(t *testing.T) {
	one := []decoder.Event{event301}
	tests := []struct {
		name   string
		in     string
		kinds  []error
		events []decoder.Event
		detail string // part of the first reject's text
	}{
		{"passing one digit short", "$123400012D0001A2B30A7F5\r\n" + passing301, []error{ErrLength}, one, "passing line of 24 characters, want 25"},
		{"passing one digit long", "$123400012D0001A2B30A7F5C0\r\n", []error{ErrLength}, nil, "26 characters"},
		{"passing with a stray CR", "$123400012D0001A2B30A7F5C\r\r\n", []error{ErrLength}, nil, "26 characters"},
		{"passing with a non-hex digit", "$123400012D0001A2G30A7F5C\r\n", []error{ErrHex}, nil, `'G' at position 17`},
		{"passing with a space", "$1234 0012D0001A2B30A7F5C\r\n", []error{ErrHex}, nil, "position 5"},
		{"passing with a sign", "$123400012D-001A2B30A7F5C\r\n", []error{ErrHex}, nil, "'-'"},
		{"status too short", "#042\r\n", []error{ErrLength}, nil, "status line of 4 characters, want 5"},
		{"status with a non-hex digit", "#00Z2\r\n", []error{ErrHex}, nil, "status line"},
		{"unknown lead character", "@0042\r\n" + passing301, []error{ErrLead}, one, `line starts with '@'`},
		{"line from another protocol", "%L03,1A2B3&\r\n", []error{ErrLead}, nil, "'%'"},
		{"NUL byte", "\x00\r\n", []error{ErrLead}, nil, `'\x00'`},
		{"partial line at connect", "2D0001A2B30A7F5C\r\n" + passing301, []error{ErrLead}, one, "'2'"},
		{"line of MaxFrame bytes (CR included) is judged by content", strings.Repeat(" ", decoder.MaxFrame-1) + "\r\n" + passing301,
			[]error{ErrLead}, one, "' '"},
		{"over MaxFrame without a line end", strings.Repeat("$", decoder.MaxFrame+1) + "\r\n" + passing301, []error{ErrTooLong}, one, "over 512 bytes"},
		{"endless line rejected once", strings.Repeat("x", 10*decoder.MaxFrame) + "\n" + passing301, []error{ErrTooLong}, one, "without a line end"},
		{"every fault, then a good line", "$12\r\n#12345\r\n$123400012D0001A2B30A7F5Z\r\nhello\r\n" + passing301,
			[]error{ErrLength, ErrLength, ErrHex, ErrLead}, one, "passing line of 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := feedChunks([]byte(tc.in))
			checkRejects(t, got.errs, tc.kinds)
			if !strings.Contains(got.rejects[0], tc.detail) {
				t.Errorf("reject %q does not say %q", got.rejects[0], tc.detail)
			}
			if !reflect.DeepEqual(got.events, tc.events) {
				t.Errorf("events\n got %+v\nwant %+v", got.events, tc.events)
			}
		})
	}
}

// TestFeedAnySplit feeds one stream of good and bad lines whole, one byte
// at a time and in random chunks; all three must give the same results.
func TestFeedAnySplit(t *testing.T) {
	stream := []byte("junk\r\n" + passing301 + "#0042\r\n" + "$12" + "\n" +
		strings.Repeat("A", 3*decoder.MaxFrame) + "\r\n" + strings.ToLower(passing301) + "\r\n" + "#00G0\n" + passing301)
	whole := feedChunks(stream)
	if len(whole.events) != 3+1 || len(whole.rejects) != 4 {
		t.Fatalf("whole stream: %d events, %d rejects (%q); want 4 and 4", len(whole.events), len(whole.rejects), whole.rejects)
	}

	var bytewise [][]byte
	for i := range stream {
		bytewise = append(bytewise, stream[i:i+1])
	}
	if got := feedChunks(bytewise...); !sameResult(got, whole) {
		t.Errorf("one byte at a time:\n got %+v\nwant %+v", got, whole)
	}

	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		var chunks [][]byte
		for rest := stream; len(rest) > 0; {
			n := min(1+rng.IntN(40), len(rest))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		if got := feedChunks(chunks...); !sameResult(got, whole) {
			t.Fatalf("random chunks, round %d:\n got %+v\nwant %+v", round, got, whole)
		}
	}
}

// TestFeedKeepsPartialLine: a line split across reads yields its event on
// the read that completes it, not before.
func TestFeedKeepsPartialLine(t *testing.T) {
	d := New()
	if evs, errs := d.Feed([]byte(passing301[:10])); len(evs) != 0 || len(errs) != 0 {
		t.Fatalf("partial line gave %v, %v", evs, errs)
	}
	evs, errs := d.Feed([]byte(passing301[10:]))
	if len(errs) != 0 || !reflect.DeepEqual(evs, []decoder.Event{event301}) {
		t.Fatalf("completed line gave %+v, %v", evs, errs)
	}
}

// TestFeedMemoryBounded: a stream without line ends must not grow the line
// buffer past decoder.MaxFrame.
func TestFeedMemoryBounded(t *testing.T) {
	d := New()
	chunk := bytes.Repeat([]byte{'$'}, 1000)
	rejects := 0
	for range 1000 {
		_, errs := d.Feed(chunk)
		rejects += len(errs)
	}
	if cap(d.line) > decoder.MaxFrame {
		t.Errorf("line buffer grew to %d bytes, bound is %d", cap(d.line), decoder.MaxFrame)
	}
	if rejects != 1 {
		t.Errorf("got %d rejects for one endless line, want 1", rejects)
	}
}
