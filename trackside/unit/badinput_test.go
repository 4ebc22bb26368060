package unit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pitwall/trackside/decoder/amb"
	"pitwall/trackside/decoder/ilap"
	"pitwall/trackside/decoder/p3"
	"pitwall/trackside/decoder/zround"
	"pitwall/trackside/race"
	"pitwall/trackside/unit"
)

// TestBadDecoderInputMakesNoPhantomLaps streams, for each decoder protocol
// over TCP, good passings mixed with garbage, truncated frames, corrupt
// frames (bad CRC, non-hex, out-of-range ids), an absurd time jump and
// chatter. Only the good passings may become laps; the rest must be
// counted (rejects, chatter) in the unit's status.
func TestBadDecoderInputMakesNoPhantomLaps(t *testing.T) {
	epoch := time.Now()
	for _, tc := range []struct {
		proto string
		pass  func(tx uint32, at time.Duration) []byte
		bad   [][]byte // each must be rejected
	}{
		{"zround", zround.EncodePassing, [][]byte{
			[]byte("garbage!"), []byte("%L0Z,12&"), []byte("%L03,1A2"), []byte("%Q&"),
		}},
		{"amb", func(tx uint32, at time.Duration) []byte { return amb.EncodePassing(tx, at, 10, 99) }, [][]byte{
			[]byte("noise\r\n"), []byte("$00000000000003\r\n"), []byte("$0000ZZ0003000000010A630000\r\n"), []byte("?1234\r\n"),
		}},
		{"ilap", func(tx uint32, at time.Duration) []byte { return ilap.EncodePassing("7", 2097152+tx, at) }, [][]byte{
			[]byte("junk\r\n"), []byte("\x01@\t7\t0000123\t1.5\r\n"), []byte("\x01@\t7\t2097160\t1.5x\r\n"),
		}},
		{"p3", func(tx uint32, at time.Duration) []byte {
			return p3.EncodePassing(p3.Passing{Number: tx, Transponder: tx, RTC: time.Duration(epoch.UnixNano()) + at, DecoderID: 0x11})
		}, [][]byte{
			corruptCRC(p3.EncodePassing(p3.Passing{Number: 99, Transponder: 99, RTC: time.Duration(epoch.UnixNano())})),
			p3.EncodePassing(p3.Passing{Number: 98, Transponder: 98, RTC: time.Duration(epoch.UnixNano())})[:12],
			[]byte("\x01\x02garbage"),
		}},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			b := startEmbedded(t)
			dec := newDecoderEmulator(t)
			cfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
				"track": "bad", "data_dir": %q, "broker": {"url": %q, "secret_file": %q},
				"rules": {"duration": "10m", "min_lap": "0s"},
				"sources": [{"type": "tcp", "name": "dec", "protocol": %q, "addr": %q}]
			}`, t.TempDir(), b.URL(), secretFile(t), tc.proto, dec.Addr())))
			if err != nil {
				t.Fatal(err)
			}
			u, _ := startUnit(t, cfg)
			ctx := context.Background()
			tr := u.Track()
			if err := tr.PutRacer(ctx, "t", race.Racer{ID: "r1", Name: "Ana"}); err != nil {
				t.Fatal(err)
			}
			if _, err := tr.LoadRacer(ctx, "t", "r1"); err != nil {
				t.Fatal(err)
			}
			if !dec.waitConn(10 * time.Second) {
				t.Fatal("no connection from the trackside")
			}
			at := func() time.Duration { return time.Since(epoch).Truncate(time.Millisecond) }
			send := func(b []byte) {
				if !dec.send(b) {
					t.Fatal("decoder write failed")
				}
				time.Sleep(30 * time.Millisecond)
			}
			good := 0
			for i, bad := range tc.bad {
				send(tc.pass(uint32(10+i), at()))
				good++
				send(bad)
			}
			send(tc.pass(20, at()))
			send(tc.pass(20, at()+50*time.Millisecond)) // chatter: same car 50 ms later
			good++
			send(tc.pass(21, at()+5*time.Hour)) // absurd jump, then back to normal
			send(tc.pass(22, at()))
			good++
			send(tc.pass(23, at()))
			good++
			waitFor(t, 5*time.Second, "the good passings recorded", func() bool {
				r := tr.Current()
				return r != nil && len(r.Laps) >= good-1
			})
			time.Sleep(200 * time.Millisecond)
			r := tr.Current()
			if len(r.Laps) != good-1 {
				t.Fatalf("%d laps from %d good passings: phantom or lost laps %+v", len(r.Laps), good, r.Laps)
			}
			h := u.Sources()[0].Health()
			t.Logf("%s: %d laps, health %+v", tc.proto, len(r.Laps), h)
			if h.Rejects < uint64(len(tc.bad))+1 || h.Chatter < 1 {
				t.Fatalf("health %+v: want at least %d rejects (incl. the absurd time) and 1 chatter", h, len(tc.bad))
			}
		})
	}
}

func corruptCRC(rec []byte) []byte {
	out := append([]byte(nil), rec...)
	out[len(out)-2] ^= 0x01 // a TLV byte, so the stored CRC no longer matches
	return out
}
