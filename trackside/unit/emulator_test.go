package unit_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"pitwall/trackside/decoder/zround"
)

// decoderEmulator is a ZRound decoder on a loopback TCP port: the trackside
// connects to it like to a real TCP decoder. Its clock is real time since it
// was created, like a decoder's since power-up, so lap times stay true even
// across trackside restarts (which re-anchor the clock).
type decoderEmulator struct {
	t     testing.TB
	ln    net.Listener
	start time.Time

	mu    sync.Mutex
	conn  net.Conn
	conns int
	ready chan struct{} // closed and replaced on each new connection
}

func newDecoderEmulator(t testing.TB) *decoderEmulator {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &decoderEmulator{t: t, ln: ln, start: time.Now(), ready: make(chan struct{})}
	go e.accept()
	t.Cleanup(func() {
		ln.Close()
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.conn != nil {
			e.conn.Close()
		}
	})
	return e
}

func (e *decoderEmulator) Addr() string { return e.ln.Addr().String() }

func (e *decoderEmulator) accept() {
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		if e.conn != nil {
			e.conn.Close()
		}
		e.conn = c
		e.conns++
		close(e.ready)
		e.ready = make(chan struct{})
		e.mu.Unlock()
		go func() { // drain host commands (%C& etc.)
			buf := make([]byte, 64)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
	}
}

// waitConn waits until a trackside is connected.
func (e *decoderEmulator) waitConn(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		c, ready := e.conn, e.ready
		e.mu.Unlock()
		if c != nil {
			return true
		}
		select {
		case <-ready:
		case <-time.After(time.Until(deadline)):
		}
	}
	return false
}

// pass sends one detection of transponder tx now, on the decoder's clock,
// and returns that decoder time. It reports false if no trackside is
// connected or the write failed.
func (e *decoderEmulator) pass(tx uint32) (time.Duration, bool) {
	at := time.Since(e.start).Truncate(time.Millisecond)
	frame := zround.EncodePassing(tx, at)
	e.mu.Lock()
	c := e.conn
	e.mu.Unlock()
	if c == nil {
		return at, false
	}
	c.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(frame); err != nil {
		e.mu.Lock()
		if e.conn == c {
			e.conn = nil
		}
		e.mu.Unlock()
		return at, false
	}
	return at, true
}

// send writes raw bytes to the connected trackside, as a decoder would.
func (e *decoderEmulator) send(b []byte) bool {
	e.mu.Lock()
	c := e.conn
	e.mu.Unlock()
	if c == nil {
		return false
	}
	c.SetWriteDeadline(time.Now().Add(time.Second))
	_, err := c.Write(b)
	return err == nil
}
