package amb

import (
	"reflect"
	"testing"
	"time"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/decodertest"
)

func TestEncodePassing(t *testing.T) {
	tests := []struct {
		name      string
		tx        uint32
		at        time.Duration
		hits, str uint8
		line      string
		want      decoder.Event
	}{
		{"ordinary", 301, 107187 * time.Millisecond, 10, 127, "$000000012D0001A2B30A7F00\r\n", decoder.Event{
			Kind: decoder.Passing, Transponder: "301", Time: 107187 * time.Millisecond, Hits: 10, Strength: 127}},
		{"below a millisecond is dropped", 1, 1500 * time.Microsecond, 0, 0, "$0000000001000000010000" + "00\r\n", decoder.Event{
			Kind: decoder.Passing, Transponder: "1", Time: time.Millisecond}},
		{"negative time is sent as zero", 1, -time.Second, 1, 1, "$000000000100000000010100\r\n", decoder.Event{
			Kind: decoder.Passing, Transponder: "1", Hits: 1, Strength: 1}},
		{"clock wraps at 2^32 ms", 2, (1<<32 + 5) * time.Millisecond, 0, 0, "$000000000200000005000000\r\n", decoder.Event{
			Kind: decoder.Passing, Transponder: "2", Time: 5 * time.Millisecond}},
		{"transponder keeps its low 24 bits", 0x1ABCDEF, 0, 255, 255, "$0000ABCDEF00000000FFFF00\r\n", decoder.Event{
			Kind: decoder.Passing, Transponder: "11259375", Hits: 255, Strength: 255}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := EncodePassing(tc.tx, tc.at, tc.hits, tc.str)
			if string(w) != tc.line {
				t.Fatalf("EncodePassing = %q, want %q", w, tc.line)
			}
			got := harness.FeedChunks(t, w)
			decodertest.CheckRejects(t, got.Rejects)
			if !reflect.DeepEqual(got.Events, []decoder.Event{tc.want}) {
				t.Errorf("events\n got %+v\nwant %+v", got.Events, []decoder.Event{tc.want})
			}
		})
	}
}

func TestEncodeStatus(t *testing.T) {
	for _, noise := range []uint16{0, 0x42, 0xFFFF} {
		w := EncodeStatus(noise)
		if len(w) != statusLen+2 || w[0] != '#' {
			t.Fatalf("EncodeStatus(%d) = %q", noise, w)
		}
		got := harness.FeedChunks(t, w)
		decodertest.CheckRejects(t, got.Rejects)
		if !reflect.DeepEqual(got.Events, []decoder.Event{{Kind: decoder.Status}}) {
			t.Errorf("EncodeStatus(%d) decodes to %+v", noise, got.Events)
		}
	}
	if got, want := string(EncodeStatus(0xBEEF)), "#BEEF\r\n"; got != want {
		t.Errorf("EncodeStatus(0xBEEF) = %q, want %q", got, want)
	}
}
