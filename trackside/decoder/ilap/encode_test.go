package ilap

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"pitwall/trackside/decoder"
)

func TestResetClock(t *testing.T) {
	if got := string(ResetClock()); got != "\x01%\r\n" {
		t.Errorf("ResetClock() = %q, want %q", got, "\x01%\r\n")
	}
	r := ResetClock()
	r[0] = 'X'
	if ResetClock()[0] != 0x01 {
		t.Error("ResetClock() shares its slice between calls")
	}
}

func TestEncodeAck(t *testing.T) {
	if got := string(EncodeAck("42")); got != "\x01%\t42\t0\t0\r\n" {
		t.Errorf("EncodeAck(42) = %q", got)
	}
}

func TestEncodePassing(t *testing.T) {
	tests := []struct {
		id   string
		tx   uint32
		t    time.Duration
		want string
	}{
		{"1", 2097152, 324620 * time.Millisecond, "\x01@\t1\t2097152\t324.62\r\n"},
		{"1", 5118895, 12 * time.Second, "\x01@\t1\t5118895\t12\r\n"},
		{"1", 5118895, 12500 * time.Millisecond, "\x01@\t1\t5118895\t12.5\r\n"},
		{"1", 5118895, 7 * time.Millisecond, "\x01@\t1\t5118895\t0.007\r\n"},
		{"1", 5118895, 10 * time.Millisecond, "\x01@\t1\t5118895\t0.01\r\n"},
		{"1", 5118895, 0, "\x01@\t1\t5118895\t0\r\n"},
		{"9", 9999999, 1999999 * time.Microsecond, "\x01@\t9\t9999999\t1.999\r\n"}, // truncated to ms
		{"1", 5118895, -time.Second, "\x01@\t1\t5118895\t0\r\n"},
		{"1", 42, time.Second, "\x01@\t1\t0000042\t1\r\n"},          // padded, out of range on purpose
		{"1", 0, time.Second, "\x01@\t1\t0000000\t1\r\n"},           // padded, out of range on purpose
		{"1", 123456789, time.Second, "\x01@\t1\t123456789\t1\r\n"}, // not truncated
	}
	for _, tc := range tests {
		if got := string(EncodePassing(tc.id, tc.tx, tc.t)); got != tc.want {
			t.Errorf("EncodePassing(%q, %d, %v) = %q, want %q", tc.id, tc.tx, tc.t, got, tc.want)
		}
	}
}

func TestEncodeFeedRoundTrip(t *testing.T) {
	txs := []uint32{minTransponder, 2500000, 5118895, maxTransponder}
	times := []time.Duration{0, time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond,
		324620 * time.Millisecond, 100 * time.Hour, time.Duration(maxMillis) * time.Millisecond}
	d := New()
	for _, id := range []string{"1", "A7"} {
		for _, tx := range txs {
			for _, at := range times {
				line := EncodePassing(id, tx, at)
				events, rejects := d.Feed(line)
				want := decoder.Event{Kind: decoder.Passing, Transponder: strconv.FormatUint(uint64(tx), 10), Time: at, DecoderID: id}
				if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{want}) {
					t.Errorf("Feed(%q) = %+v, %v; want %+v", line, events, rejects, want)
				}
			}
		}
		events, rejects := d.Feed(EncodeAck(id))
		if len(rejects) != 0 || !slices.Equal(events, []decoder.Event{{Kind: decoder.Ack, DecoderID: id}}) {
			t.Errorf("Feed(EncodeAck(%q)) = %+v, %v; want an ack", id, events, rejects)
		}
	}
}
