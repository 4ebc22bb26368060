//go:build systest

package systest

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"pitwall/trackside/decoder/zround"
)

// zroundDecoder emulates a ZRound lap counter on the far end of the
// trackside guest's serial port (QEMU's chardev socket: what the guest
// writes to /dev/ttyS1 arrives here, and what is written here is what the
// guest reads). Its clock is the time since the emulator was made, kept
// across guest power pulls as a real decoder's would be. It answers the
// hello (%C&) and sends passings on request.
type zroundDecoder struct {
	t     *testing.T
	addr  string
	epoch time.Time

	mu     sync.Mutex
	conn   net.Conn
	hellos int
}

func newZRound(t *testing.T, port int) *zroundDecoder {
	d := &zroundDecoder{t: t, addr: "127.0.0.1:" + itoa(port), epoch: time.Now()}
	go d.loop()
	return d
}

// loop keeps a connection to the serial port's socket: QEMU listens while
// the guest runs; after a power pull it is gone until the next boot.
func (d *zroundDecoder) loop() {
	for {
		c, err := net.DialTimeout("tcp", d.addr, time.Second)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		d.mu.Lock()
		d.conn = c
		d.mu.Unlock()
		buf := make([]byte, 256)
		var pending []byte
		for {
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			pending = append(pending, buf[:n]...)
			for {
				i := bytes.Index(pending, zround.Hello())
				if i < 0 {
					break
				}
				pending = pending[i+len(zround.Hello()):]
				d.mu.Lock()
				d.hellos++
				d.mu.Unlock()
				_, _ = c.Write(zround.EncodeAck())
			}
			if len(pending) > 64 {
				pending = pending[len(pending)-8:]
			}
		}
		d.mu.Lock()
		d.conn = nil
		d.mu.Unlock()
		c.Close()
	}
}

// now is the decoder clock.
func (d *zroundDecoder) now() time.Duration {
	return time.Since(d.epoch).Truncate(time.Millisecond)
}

// pass sends a passing of transponder tx at the current decoder time and
// returns that time; ok is false when no guest was listening.
func (d *zroundDecoder) pass(tx uint32) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	at := d.now()
	if d.conn == nil {
		return at, false
	}
	_, err := d.conn.Write(append(zround.EncodePassing(tx, at), '\r', '\n'))
	return at, err == nil
}

// helloCount is how many times the trackside opened the port and said hello.
func (d *zroundDecoder) helloCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hellos
}
