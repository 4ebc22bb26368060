package zround

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"pitwall/trackside/decoder"
)

func TestHostCommands(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"Hello", Hello(), "%C&"},
		{"StartRace", StartRace(), "%I&"},
		{"StopRace", StopRace(), "%F&"},
		{"EncodeAck", EncodeAck(), "%A&"},
	}
	for _, tc := range tests {
		if string(tc.got) != tc.want {
			t.Errorf("%s() = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	// Each call returns its own slice.
	h := Hello()
	h[1] = 'X'
	if string(Hello()) != "%C&" {
		t.Error("Hello() shares its slice between calls")
	}
}

func TestEncodePassing(t *testing.T) {
	tests := []struct {
		tx   uint32
		t    time.Duration
		want string
	}{
		{3, 107187 * time.Millisecond, "%L03,1A2B3&"},
		{0, 0, "%L00,0&"},
		{26, 5 * time.Millisecond, "%L1A,5&"},
		{0xABCDEF, 255 * time.Millisecond, "%LABCDEF,FF&"},
		{0xFFFFFFFF, time.Hour, "%LFFFFFFFF,36EE80&"},
		{7, 1999999 * time.Microsecond, "%L07,7CF&"}, // truncated to whole ms
		{7, -time.Second, "%L07,0&"},                 // a decoder clock is never negative
	}
	for _, tc := range tests {
		if got := string(EncodePassing(tc.tx, tc.t)); got != tc.want {
			t.Errorf("EncodePassing(%d, %v) = %q, want %q", tc.tx, tc.t, got, tc.want)
		}
	}
}

func TestEncodeClock(t *testing.T) {
	tests := []struct {
		t    time.Duration
		want string
	}{
		{0, "%T0&"},
		{107187 * time.Millisecond, "%T1A2B3&"},
		{time.Duration(maxMillis) * time.Millisecond, "%T8637BD05AF6&"},
		{-time.Millisecond, "%T0&"},
	}
	for _, tc := range tests {
		if got := string(EncodeClock(tc.t)); got != tc.want {
			t.Errorf("EncodeClock(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestEncodeFeedRoundTrip(t *testing.T) {
	txs := []uint32{0, 1, 15, 16, 255, 256, 4095, 65535, 1 << 24, 0xFFFFFFFF}
	times := []time.Duration{0, time.Millisecond, 107187 * time.Millisecond, 100 * time.Hour, time.Duration(maxMillis) * time.Millisecond}
	d := New()
	for _, tx := range txs {
		for _, at := range times {
			events, rejects := d.Feed(EncodePassing(tx, at))
			want := decoder.Event{Kind: decoder.Passing, Transponder: strconv.FormatUint(uint64(tx), 10), Time: at}
			if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{want}) {
				t.Errorf("Feed(EncodePassing(%d, %v)) = %+v, %v; want %+v", tx, at, events, rejects, want)
			}
		}
	}
	for _, at := range times {
		events, rejects := d.Feed(EncodeClock(at))
		want := decoder.Event{Kind: decoder.ClockSync, Time: at}
		if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{want}) {
			t.Errorf("Feed(EncodeClock(%v)) = %+v, %v; want %+v", at, events, rejects, want)
		}
	}
	events, rejects := d.Feed(EncodeAck())
	if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{{Kind: decoder.Ack}}) {
		t.Errorf("Feed(EncodeAck()) = %+v, %v; want one ack", events, rejects)
	}
}
