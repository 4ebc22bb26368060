package unit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pitwall/internal/brokertest"
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
			b := brokertest.Start(t)
			dec := newDecoderEmulator(t)
			cfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
				"track": "bad", "data_dir": %q, "broker": {"url": %q, "secret_file": %q},
				"rules": {"duration": "10m", "min_lap": "0s"},
				"sources": [{"type": "tcp", "name": "dec", "protocol": %q, "addr": %q}]
			}`, t.TempDir(), b.URL(), brokertest.SecretFile(t), tc.proto, dec.Addr())))
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
			// One car laps; each of its passings is 2 s after the last on
			// the decoder clock (the default 1 s debounce would drop
			// passings of one car sent 30 ms apart).
			const car = 10
			k := 0
			next := func() time.Duration { k++; return at() + time.Duration(k)*2*time.Second }
			good := 0
			for _, bad := range tc.bad {
				send(tc.pass(car, next()))
				good++
				send(bad)
			}
			last := next()
			send(tc.pass(car, last))
			send(tc.pass(car, last+50*time.Millisecond)) // chatter: same car 50 ms later
			good++
			send(tc.pass(77, next()))            // another car on the loop: foreign, no lap
			send(tc.pass(car, at()+5*time.Hour)) // absurd jump, then back to normal
			send(tc.pass(car, next()))
			good++
			send(tc.pass(car, next()))
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
			if a := tr.Activity(); a.Foreign != 1 || a.ForeignBy["dec"] != 1 || r.Transponder == "" {
				t.Fatalf("foreign %d (by input %v), race bound to %q: want the other car counted once on dec",
					a.Foreign, a.ForeignBy, r.Transponder)
			}
		})
	}
}

func corruptCRC(rec []byte) []byte {
	out := append([]byte(nil), rec...)
	out[len(out)-2] ^= 0x01 // a TLV byte, so the stored CRC no longer matches
	return out
}
