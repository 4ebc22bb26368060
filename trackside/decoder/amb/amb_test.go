package amb

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
			got := harness.FeedChunks(t, []byte(tc.in))
			decodertest.CheckRejects(t, got.Rejects)
			if !reflect.DeepEqual(got.Events, tc.want) {
				t.Errorf("events\n got %+v\nwant %+v", got.Events, tc.want)
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
			got := harness.FeedChunks(t, []byte(tc.in))
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

// TestFeedAnySplit feeds one stream of good and bad lines whole, a byte at
// a time and in random chunks; all must give the same results.
func TestFeedAnySplit(t *testing.T) {
	stream := []byte("junk\r\n" + passing301 + "#0042\r\n" + "$12" + "\n" +
		strings.Repeat("A", 3*decoder.MaxFrame) + "\r\n" + strings.ToLower(passing301) + "\r\n" + "#00G0\n" + passing301)
	whole := harness.CheckAnySplit(t, stream)
	if len(whole.Events) != 3+1 || len(whole.Rejects) != 4 {
		t.Fatalf("whole stream: %d events, %d rejects (%q); want 4 and 4", len(whole.Events), len(whole.Rejects), whole.RejectTexts())
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
	chunk := bytes.Repeat([]byte{'$'}, 1000)
	got := harness.FeedChunks(t, slices.Repeat([][]byte{chunk}, 1000)...)
	if len(got.Rejects) != 1 {
		t.Errorf("got %d rejects for one endless line, want 1", len(got.Rejects))
	}
}

func TestGarbageKeepsBufferBounded(t *testing.T) {
	harness.CheckGarbageBounded(t, []byte("$"), []byte("\n"+passing301), []decoder.Event{event301})
}
