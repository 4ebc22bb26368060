//go:build linux

package decoded

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"pitwall/trackside/crossing"
	"pitwall/trackside/decoder/zround"
)

// These tests drive a real pseudo-terminal: the Source opens its slave side
// with go.bug.st/serial exactly as it opens /dev/ttyUSB0 (termios, raw mode,
// exclusive access, read timeout), and the test plays the decoder on the
// master side. Closing the master is what unplugging a USB adapter looks
// like to the reader.

// newPty returns the master and the slave's path. Only the Source keeps the
// slave open.
func newPty(t *testing.T) (*os.File, string) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	name := s.Name()
	s.Close()
	t.Cleanup(func() { m.Close() })
	return m, name
}

func zroundProtocol(t *testing.T) Protocol {
	t.Helper()
	p, err := ProtocolByName("zround")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestZRoundOverPseudoTerminal(t *testing.T) {
	m, path := newPty(t)
	p := zroundProtocol(t)
	src := New("zround:"+path, Serial{Path: path}.WithDefaults(p), p, fastConfig(t))
	var rec recorder
	run(t, src, rec.sink)
	waitFor(t, "serial port open", func() bool { return src.Health().State == crossing.StateOK })
	if d := src.Health().Detail; d != path {
		t.Errorf("health detail %q, want the device path %q", d, path)
	}
	awaitStart(t, m)

	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	frames := func(ff ...[]byte) string {
		var b strings.Builder
		for _, f := range ff {
			b.Write(f)
			b.WriteString("\r\n")
		}
		return b.String()
	}
	// Irregular delays stand for USB latency and scheduling: none of it
	// may show in the lap times.
	steps := []struct {
		write string
		pause time.Duration
	}{
		{frames(zround.EncodeAck(), zround.EncodeClock(ms(9000)), zround.EncodePassing(3, ms(10000))), 23 * time.Millisecond},
		{frames(zround.EncodePassing(4, ms(10100))) + "%L03,4E3", 41 * time.Millisecond}, // frame split across writes
		{"0&\r\n", 2 * time.Millisecond}, // 0x4E30 = 20016 ms
		{"%Lzz,12&\r\n", 0},              // malformed: reject
		{"%L03,1A\r\n", 0},               // truncated, cut by the next '%': reject
		{frames(zround.EncodePassing(3, ms(20020))), 17 * time.Millisecond},   // 4 ms after the last: chatter
		{frames(zround.EncodePassing(3, 74*time.Hour)), 5 * time.Millisecond}, // absurd: held, then rejected
		{frames(zround.EncodePassing(5, ms(30000)), zround.EncodePassing(3, ms(31000))), 0},
	}
	for _, s := range steps {
		if _, err := m.Write([]byte(s.write)); err != nil {
			t.Fatalf("write %q: %v", s.write, err)
		}
		time.Sleep(s.pause)
	}
	got := rec.waitN(t, 5)
	assertLaps(t, got, ms(100), ms(9916), ms(9984), ms(1000))
	var tx []string
	for _, c := range got {
		tx = append(tx, c.Transponder)
	}
	if strings.Join(tx, ",") != "3,4,3,5,3" {
		t.Errorf("transponders %v, want 3,4,3,5,3", tx)
	}
	waitFor(t, "rejects counted", func() bool { return src.Health().Rejects == 3 })
	if h := src.Health(); h.Chatter != 1 || h.Crossings != 5 || h.Reconnect != 0 {
		t.Errorf("health = %+v, want 1 chatter, 5 crossings, no reconnect", h)
	}
}

// ptyPlug is a Transport for re-plugging: each Open takes the next pty the
// test "plugs in", the way a USB adapter reappears as a new device.
type ptyPlug struct {
	paths chan string
	baud  int
}

func (p *ptyPlug) Open(ctx context.Context) (io.ReadWriteCloser, string, error) {
	select {
	case path := <-p.paths:
		return Serial{Path: path, Baud: p.baud}.Open(ctx)
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// awaitStart plays the host side of a ZRound decoder that reports nothing
// until it is told to start: it reads what the host writes on m until the
// race start "%I&" arrives (after the hello "%C&"), and fails the test if
// it never does. Only then may the test write passings, on a decoder clock
// zeroed by that start.
func awaitStart(t *testing.T, m *os.File) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var seen []byte
		buf := make([]byte, 64)
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
			n, err := m.Read(buf)
			seen = append(seen, buf[:n]...)
			if strings.Contains(string(seen), string(zround.StartRace())) {
				got <- string(seen)
				return
			}
			if err != nil {
				// EIO until the Source has opened the slave side.
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
	select {
	case seen := <-got:
		want := string(zround.Hello()) + string(zround.StartRace())
		if seen != want {
			t.Fatalf("host sent %q on open, want %q (hello, then race start)", seen, want)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("the decoder never got the race start %q: it stays silent and no lap is ever timed", zround.StartRace())
	}
}

// A ZRound decoder reports only after the host's race start, and forgets
// it when it loses power (a USB-powered decoder on every unplug): the
// Source sends it on every open, and anchors the restarted decoder clock
// afresh instead of placing its small times on the old anchor.
func TestZRoundStartCommandOnEveryOpen(t *testing.T) {
	p := zroundProtocol(t)
	plug := &ptyPlug{paths: make(chan string, 1), baud: p.Baud}
	m1, path1 := newPty(t)
	plug.paths <- path1
	cfg := fastConfig(t)
	cfg.Backoff = Backoff{Min: 200 * time.Millisecond, Max: 400 * time.Millisecond}
	cfg.Debounce = -1 // laps of 300 ms keep the test short
	src := New("zround:usb", plug, p, cfg)
	var rec recorder
	run(t, src, rec.sink)

	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	awaitStart(t, m1)
	// The decoder plays in real time: its clock runs as the host's does.
	m1.Write(zround.EncodePassing(7, ms(100)))
	time.Sleep(300 * time.Millisecond)
	m1.Write(zround.EncodePassing(7, ms(400)))
	rec.waitN(t, 2)

	m1.Close() // unplugged: the decoder loses power and its start
	waitFor(t, "state down", func() bool { return src.Health().State == crossing.StateDown })
	m2, path2 := newPty(t)
	plug.paths <- path2
	awaitStart(t, m2)
	// The clock restarted at the new start and reads less than a second:
	// on the old anchor these passings would land before the ones above.
	m2.Write(zround.EncodePassing(7, ms(200)))
	m2.Write(zround.EncodePassing(7, ms(500)))
	got := rec.waitN(t, 4)
	if len(got) != 4 {
		t.Fatalf("%d crossings, want 4", len(got))
	}
	for _, i := range []int{1, 3} {
		if d := time.Duration(got[i].MonoNS - got[i-1].MonoNS); d != ms(300) {
			t.Errorf("crossing %d→%d: %v apart, want exactly 300ms (decoder difference)", i-1, i, d)
		}
	}
	if got[2].MonoNS <= got[1].MonoNS {
		t.Errorf("first crossing after the restart placed %v before the last one before it",
			time.Duration(got[1].MonoNS-got[2].MonoNS))
	}
	if h := src.Health(); h.Reconnect != 1 || h.Crossings != 4 || h.Rejects != 0 {
		t.Errorf("health = %+v, want 1 reconnect, 4 crossings, no rejects", h)
	}
}

// A pseudo-terminal has no modem lines: asking for an RTS level (I-Lap) on
// one fails at open with an error naming the port, instead of silently
// leaving RTS as it was.
func TestSerialRTSOnPseudoTerminalFails(t *testing.T) {
	_, path := newPty(t)
	off := false
	rwc, _, err := Serial{Path: path, Baud: 9600, RTS: &off}.Open(context.Background())
	if err == nil {
		rwc.Close()
		t.Fatal("opening a pty with RTS off succeeded; expected the modem-line ioctl to fail")
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name %s", err, path)
	}
	t.Logf("as expected: %v", err)
}
