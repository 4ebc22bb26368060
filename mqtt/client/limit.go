package client

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// PayloadLimit returns the largest payload a client takes on topic. A
// larger PUBLISH from the broker has its payload dropped on the connection,
// before paho reads it into memory (paho allocates a whole packet, twice):
// paho gets the packet with an empty payload, so it still acknowledges it
// (QoS 1) and the subscription's handler sees a zero-length payload.
type PayloadLimit func(topic string) int

// limitedConn is a connection whose incoming PUBLISH packets are cut to
// their topic's PayloadLimit. Everything else passes through unchanged.
type limitedConn struct {
	net.Conn
	br        *bufio.Reader
	limit     PayloadLimit
	oversized func(topic string, bytes int)

	out  []byte // bytes to hand paho before anything else
	pass int64  // then this many bytes straight from br
}

func newLimitedConn(c net.Conn, limit PayloadLimit, oversized func(string, int)) *limitedConn {
	return &limitedConn{Conn: c, br: bufio.NewReaderSize(c, 16<<10), limit: limit, oversized: oversized}
}

func (c *limitedConn) Read(p []byte) (int, error) {
	for {
		if len(c.out) > 0 {
			n := copy(p, c.out)
			c.out = c.out[n:]
			return n, nil
		}
		if c.pass > 0 {
			if int64(len(p)) > c.pass {
				p = p[:c.pass]
			}
			n, err := c.br.Read(p)
			c.pass -= int64(n)
			return n, err
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
}

// MQTT 3.1.1 fixed header: packet type in the high nibble; a PUBLISH's
// QoS in bits 1-2.
const (
	packetPublish = 3
	maxRemaining  = 268_435_455 // four bytes of variable-length integer
)

// next reads the next packet's header and decides what of it paho gets.
func (c *limitedConn) next() error {
	first, err := c.br.ReadByte()
	if err != nil {
		return err
	}
	remaining, lenBytes, err := readRemaining(c.br)
	if err != nil {
		return err
	}
	if first>>4 != packetPublish {
		c.out = append(append(c.out[:0], first), lenBytes...)
		c.pass = int64(remaining)
		return nil
	}
	var tl [2]byte
	if _, err := io.ReadFull(c.br, tl[:]); err != nil {
		return err
	}
	topicLen := int(binary.BigEndian.Uint16(tl[:]))
	head := 2 + topicLen
	if (first>>1)&3 > 0 {
		head += 2 // packet id
	}
	if head > remaining {
		// Malformed: hand it over as it is and let paho refuse it.
		c.out = append(append(append(c.out[:0], first), lenBytes...), tl[:]...)
		c.pass = int64(remaining - 2)
		return nil
	}
	rest := make([]byte, head-2)
	if _, err := io.ReadFull(c.br, rest); err != nil {
		return err
	}
	topic := string(rest[:topicLen])
	payload := remaining - head
	if max := c.limit(topic); payload > max {
		if _, err := io.CopyN(io.Discard, c.br, int64(payload)); err != nil {
			return err
		}
		if c.oversized != nil {
			c.oversized(topic, payload)
		}
		remaining, payload = head, 0
		lenBytes = appendRemaining(nil, remaining)
	}
	c.out = append(append(append(append(c.out[:0], first), lenBytes...), tl[:]...), rest...)
	c.pass = int64(payload)
	return nil
}

// readRemaining reads a fixed header's remaining length and returns it
// with its encoded bytes.
func readRemaining(br *bufio.Reader) (int, []byte, error) {
	var n, shift int
	var enc []byte
	for i := 0; i < 4; i++ {
		b, err := br.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		enc = append(enc, b)
		n |= int(b&0x7f) << shift
		if b&0x80 == 0 {
			return n, enc, nil
		}
		shift += 7
	}
	return 0, nil, errors.New("mqtt: malformed remaining length")
}

func appendRemaining(b []byte, n int) []byte {
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

// dialLimited opens a connection as paho would for uri and wraps it.
func dialLimited(uri *url.URL, o paho.ClientOptions, limit PayloadLimit, oversized func(string, int)) (net.Conn, error) {
	dialer := o.Dialer
	if dialer == nil {
		dialer = &net.Dialer{Timeout: o.ConnectTimeout}
	}
	var conn net.Conn
	var err error
	switch uri.Scheme {
	case "tcp", "mqtt":
		conn, err = dialer.Dial("tcp", uri.Host)
	case "ssl", "tls", "mqtts":
		cfg := o.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{}
		}
		cfg = cfg.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = uri.Hostname()
		}
		conn, err = tls.DialWithDialer(dialer, "tcp", uri.Host, cfg)
	case "ws", "wss":
		u := *uri
		u.User = nil
		conn, err = paho.NewWebsocket(u.String(), o.TLSConfig, o.ConnectTimeout, o.HTTPHeaders, o.WebsocketOptions)
	default:
		return nil, fmt.Errorf("mqtt client: scheme %q not supported", uri.Scheme)
	}
	if err != nil {
		return nil, err
	}
	return newLimitedConn(conn, limit, oversized), nil
}
