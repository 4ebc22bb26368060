package decoded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// TCP reaches a decoder over the network (P3 decoders listen on port 5403;
// ZRound can be bridged to TCP).
type TCP struct {
	// Addr is host:port.
	Addr string
	// DialTimeout bounds one connection attempt; 0 means 5 s.
	DialTimeout time.Duration
}

// keepAlive makes a peer that vanished without a FIN (decoder powered off,
// venue switch unplugged) show up as a read error within about 11 s instead
// of the kernel default of two hours.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 2 * time.Second, Count: 3}

// Open dials the decoder.
func (t TCP) Open(ctx context.Context) (io.ReadWriteCloser, string, error) {
	if _, _, err := net.SplitHostPort(t.Addr); err != nil {
		return nil, "", fmt.Errorf("%w: tcp address %q: %w", ErrConfig, t.Addr, err)
	}
	timeout := t.DialTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	d := net.Dialer{Timeout: timeout, KeepAliveConfig: keepAlive}
	conn, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, "", fmt.Errorf("dial %s: %w", t.Addr, err)
	}
	return &pollingConn{Conn: conn}, "tcp " + conn.RemoteAddr().String(), nil
}

// pollingConn gives a net.Conn the serial port's read behaviour: a Read
// returns (0, nil) after pollInterval without data.
type pollingConn struct {
	net.Conn
}

func (c *pollingConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(pollInterval)); err != nil {
		return 0, fmt.Errorf("set read deadline: %w", err)
	}
	n, err := c.Conn.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, nil
	}
	return n, err
}
