package decoded

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"pitwall/trackside/crossing"
	"pitwall/trackside/decoder/p3"
)

// epochAt is a P3 RTC time: microseconds since the Unix epoch.
func epochAt(sec float64) time.Duration {
	return 1_750_000_000*time.Second + time.Duration(sec*float64(time.Second))
}

func p3Protocol(t *testing.T) Protocol {
	t.Helper()
	p, err := ProtocolByName("p3")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestP3OverTCPWithReconnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := fastConfig(t)
	cfg.Backoff = Backoff{Min: 40 * time.Millisecond, Max: 80 * time.Millisecond}
	// The host clock follows the decoder's RTC as it would in real time,
	// without the test waiting 25 s.
	var host atomic.Int64
	cfg.HostClock = host.Load
	host.Store(int64(100 * time.Second))
	src := New("p3:decoder", TCP{Addr: ln.Addr().String()}, p3Protocol(t), cfg)
	var rec recorder
	run(t, src, rec.sink)

	pass := func(n, tx uint32, sec float64) []byte {
		return p3.EncodePassing(p3.Passing{Number: n, Transponder: tx, RTC: epochAt(sec), Strength: 120, Hits: 30, DecoderID: 0x1234})
	}
	accept := func() net.Conn {
		t.Helper()
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(3 * time.Second))
		c, err := ln.Accept()
		if err != nil {
			t.Fatalf("accept: %v", err)
		}
		return c
	}
	send := func(c net.Conn, b []byte) {
		t.Helper()
		if _, err := c.Write(b); err != nil {
			t.Fatalf("decoder write: %v", err)
		}
	}

	c1 := accept()
	// Several records in one write, then one record split across writes.
	var burst []byte
	burst = append(burst, p3.EncodeStatus(0x1234, 40)...)
	burst = append(burst, pass(1, 101, 0.000)...)
	burst = append(burst, pass(2, 102, 0.250)...)
	burst = append(burst, pass(3, 101, 12.345678)...)
	send(c1, burst)
	split := pass(4, 102, 12.5)
	send(c1, split[:7])
	time.Sleep(20 * time.Millisecond)
	send(c1, split[7:])
	rec.waitN(t, 4)

	c1.Close() // decoder dropped the connection
	dropped := time.Now()
	c2 := accept()
	if waited := time.Since(dropped); waited < cfg.Backoff.Min/2 {
		t.Errorf("reconnected after %v, want a backoff of at least %v", waited, cfg.Backoff.Min/2)
	}
	defer c2.Close()
	waitFor(t, "state ok again", func() bool { return src.Health().State == crossing.StateOK })
	// The RTC kept running while the link was down: the anchor holds.
	host.Store(int64(100*time.Second + 24700*time.Millisecond))
	// Passing 6 never arrives: one lost event.
	send(c2, append(pass(5, 101, 24.7), pass(7, 102, 25.0)...))
	got := rec.waitN(t, 6)

	assertLaps(t, got, 250*time.Millisecond, 12095678*time.Microsecond, 154322*time.Microsecond,
		12200*time.Millisecond, 300*time.Millisecond)
	wantSeq := []uint64{1, 2, 3, 4, 5, 7}
	for i, c := range got {
		if c.Seq != wantSeq[i] || c.Clock != crossing.ClockDecoder || c.Source != "p3:decoder" {
			t.Errorf("crossing %d = %+v, want seq %d", i, c, wantSeq[i])
		}
	}
	h := src.Health()
	if h.Reconnect != 1 || h.Lost != 1 || h.Rejects != 0 || h.Crossings != 6 {
		t.Errorf("health = %+v, want 1 reconnect, 1 lost, 0 rejects, 6 crossings", h)
	}
}

func TestTCPDecoderNotListeningYet(t *testing.T) {
	// Reserve a port, then free it: nothing listens there until the
	// "decoder" powers up below.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	src := New("p3:decoder", TCP{Addr: addr, DialTimeout: time.Second}, p3Protocol(t), fastConfig(t))
	var rec recorder
	run(t, src, rec.sink)
	waitFor(t, "dial failure reported", func() bool {
		h := src.Health()
		return h.State == crossing.StateDown && h.Detail != ""
	})

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	defer ln.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(p3.EncodePassing(p3.Passing{Number: 1, Transponder: 9, RTC: epochAt(1)}))
	rec.waitN(t, 1)
	if h := src.Health(); h.State != crossing.StateOK || h.Reconnect != 0 {
		t.Errorf("health = %+v, want ok and no reconnect (first successful open)", h)
	}
}

func TestTCPRejectsAddressWithoutPort(t *testing.T) {
	src := New("p3:decoder", TCP{Addr: "decoder.local"}, p3Protocol(t), fastConfig(t))
	err := src.Run(t.Context(), (&recorder{}).sink)
	if err == nil {
		t.Fatal("Run with an address without port succeeded")
	}
	if h := src.Health(); h.State != crossing.StateDown || h.Detail == "" {
		t.Errorf("health = %+v, want down with the error", h)
	}
}
