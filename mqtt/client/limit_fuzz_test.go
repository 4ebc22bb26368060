package client

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// publish builds a PUBLISH packet.
func publish(topic string, qos byte, payload []byte) []byte {
	body := []byte{byte(len(topic) >> 8), byte(len(topic))}
	body = append(body, topic...)
	if qos > 0 {
		body = append(body, 0, 7)
	}
	body = append(body, payload...)
	return append(appendRemaining([]byte{0x30 | qos<<1}, len(body)), body...)
}

func readAll(data []byte, limit int) ([]byte, int, error) {
	cut := 0
	c := &limitedConn{br: bufio.NewReader(bytes.NewReader(data)), limit: func(string) int { return limit },
		oversized: func(string, int) { cut++ }}
	out, err := io.ReadAll(c)
	return out, cut, err
}

// FuzzLimitedConn: with no limit in reach the stream passes unchanged
// (or, if malformed, as a prefix); with a tiny limit nothing panics and
// the output is never longer than the input.
func FuzzLimitedConn(f *testing.F) {
	f.Add(publish("pitwall/v1/track/1/standings", 1, []byte(`{"v":1}`)))
	f.Add(append(publish("a", 0, make([]byte, 300)), 0xd0, 0x00)) // and a PINGRESP
	f.Add([]byte{0x90, 0x03, 0x00, 0x01, 0x01})                   // SUBACK
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0xff})                   // bad length
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, _ := readAll(data, 1<<30)
		if !bytes.HasPrefix(data, out) {
			t.Fatalf("unlimited stream changed:\nin  %x\nout %x", data, out)
		}
		out, _, _ = readAll(data, 4)
		if len(out) > len(data) {
			t.Fatalf("output %d bytes from %d", len(out), len(data))
		}
	})
}

func TestLimitedConnCutsOnlyOversized(t *testing.T) {
	in := append(append(publish("x", 1, make([]byte, 200)), publish("y", 0, []byte("ok"))...), 0xd0, 0x00)
	out, cut, err := readAll(in, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(publish("x", 1, nil), publish("y", 0, []byte("ok"))...), 0xd0, 0x00)
	if !bytes.Equal(out, want) || cut != 1 {
		t.Fatalf("cut %d\nout  %x\nwant %x", cut, out, want)
	}
	// Lengths over 127 take more bytes: the rewritten header is shorter.
	if got := appendRemaining(nil, 321); !bytes.Equal(got, []byte{0xc1, 0x02}) {
		t.Fatalf("remaining length 321 encodes as %x", got)
	}
}
