package decoded

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pitwall/internal/monoclock"
	"pitwall/trackside/crossing"
	"pitwall/trackside/decoder"
)

func TestSourceLapTimesAreDecoderDifferences(t *testing.T) {
	links := newPipeLinks()
	dec := links.next()
	cfg := fastConfig(t)
	cfg.Line = 2
	src := New("line:test", links, lineProtocol, cfg)
	var rec recorder
	run(t, src, rec.sink)

	// Arrival jitter between writes must not show in the lap times.
	write(t, dec, "P 3 10000 1\n")
	time.Sleep(37 * time.Millisecond)
	write(t, dec, "P 4 10250 2\nP 3 21")
	time.Sleep(3 * time.Millisecond)
	write(t, dec, "234 3\n")
	time.Sleep(61 * time.Millisecond)
	for _, b := range []byte("P 3 32001 4\n") { // one byte at a time
		write(t, dec, string(b))
	}
	got := rec.waitN(t, 4)
	assertLaps(t, got, 250*time.Millisecond, 10984*time.Millisecond, 10767*time.Millisecond)

	now := monoclock.Now()
	if d := time.Duration(now - got[0].MonoNS); d < 0 || d > 5*time.Second {
		t.Errorf("first crossing %v before now on CLOCK_MONOTONIC, want it anchored to the host timeline", d)
	}
	wantTx := []string{"3", "4", "3", "3"}
	for i, c := range got {
		if c.Source != "line:test" || c.Line != 2 || c.Clock != crossing.ClockDecoder ||
			c.Transponder != wantTx[i] || c.Seq != uint64(i+1) || c.Host.IsZero() {
			t.Errorf("crossing %d = %+v", i, c)
		}
	}
	h := src.Health()
	if h.State != crossing.StateOK || h.Detail != "pipe 1" || h.Crossings != 4 || h.Rejects != 0 || h.Last.IsZero() {
		t.Errorf("health = %+v", h)
	}
}

func TestSourceFiltersBadInput(t *testing.T) {
	tests := []struct {
		name             string
		input            string
		wantTx           []string
		rejects, chatter uint64
		lost             uint64
		wantSeq          []uint64
		lap              time.Duration // when set, the exact gap between the two crossings
	}{
		{name: "garbage and truncated frames are rejects, not crossings",
			input:  "P 3 1000\nhello\nP 3\nP x -5\n" + strings.Repeat("#", decoder.MaxFrame+10) + "\nP 3 9000\n",
			wantTx: []string{"3", "3"}, rejects: 4, wantSeq: []uint64{1, 2}, lap: 8 * time.Second},
		{name: "chatter within the debounce is dropped",
			input:  "P 3 1000 1\nP 3 1400 2\nP 7 1500 3\nP 3 6000 4\n",
			wantTx: []string{"3", "7", "3"}, chatter: 1, wantSeq: []uint64{1, 3, 4}},
		{name: "absurd jump is rejected once the next passing agrees with the anchor",
			input:  "P 3 1000\nP 3 99999999\nP 3 9000\n",
			wantTx: []string{"3", "3"}, rejects: 1, wantSeq: []uint64{1, 2}, lap: 8 * time.Second},
		{name: "passing number gaps are lost events",
			input:  "P 3 1000 10\nP 4 5000 11\nP 3 9000 15\n",
			wantTx: []string{"3", "4", "3"}, lost: 3, wantSeq: []uint64{10, 11, 15}},
		{name: "status, ack and clock sync are no crossings",
			input:  "S\nA\nC 500\nP 3 1000\nS\n",
			wantTx: []string{"3"}, wantSeq: []uint64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links := newPipeLinks()
			dec := links.next()
			src := New("line:test", links, lineProtocol, fastConfig(t))
			var rec recorder
			run(t, src, rec.sink)
			write(t, dec, tt.input)
			// A marker passing far later flushes anything held and shows
			// the input is fully processed.
			write(t, dec, "P marker 100000\n")
			got := rec.waitN(t, len(tt.wantTx)+1)
			got = got[:len(got)-1]
			var tx []string
			var seq []uint64
			for _, c := range got {
				tx = append(tx, c.Transponder)
				seq = append(seq, c.Seq)
			}
			if strings.Join(tx, ",") != strings.Join(tt.wantTx, ",") {
				t.Errorf("transponders %v, want %v", tx, tt.wantTx)
			}
			if len(seq) != len(tt.wantSeq) {
				t.Errorf("seqs %v, want %v", seq, tt.wantSeq)
			} else {
				for i := range seq {
					if seq[i] != tt.wantSeq[i] {
						t.Errorf("seqs %v, want %v", seq, tt.wantSeq)
						break
					}
				}
			}
			if tt.lap != 0 {
				assertLaps(t, got, tt.lap)
			}
			h := src.Health()
			if h.Rejects != tt.rejects || h.Chatter != tt.chatter || h.Lost != tt.lost {
				t.Errorf("health rejects=%d chatter=%d lost=%d, want %d %d %d", h.Rejects, h.Chatter, h.Lost, tt.rejects, tt.chatter, tt.lost)
			}
		})
	}
}

func TestSourceRetriesSinkUntilRecorded(t *testing.T) {
	links := newPipeLinks()
	dec := links.next()
	src := New("line:test", links, lineProtocol, fastConfig(t))
	rec := recorder{fail: 3}
	run(t, src, rec.sink)
	write(t, dec, "P 3 1000 1\n")
	write(t, dec, "P 3 5000 2\n")
	got := rec.waitN(t, 2)
	if got[0].Seq != 1 || got[1].Seq != 2 {
		t.Fatalf("recorded seqs %d, %d; want 1, 2 in order", got[0].Seq, got[1].Seq)
	}
	assertLaps(t, got, 4*time.Second)
	rec.mu.Lock()
	calls := rec.calls
	rec.mu.Unlock()
	if calls != 5 {
		t.Errorf("sink called %d times, want 5 (3 failures + 2 records)", calls)
	}
	if h := src.Health(); h.Crossings != 2 {
		t.Errorf("health crossings = %d, want 2", h.Crossings)
	}
}

func TestSourceReconnects(t *testing.T) {
	tests := []struct {
		name       string
		hostBefore time.Duration // host clock at the passing before the unplug
		before     string
		hostAfter  time.Duration // host clock at the passing after the re-plug
		after      string
		wantLap    time.Duration // MonoNS difference of the two crossings
		hostTimed  bool          // the second crossing is flagged HostTimed
	}{
		{"decoder clock kept running: the lap spans the outage exactly",
			100 * time.Second, "P 3 1000 1\n", 108*time.Second + 20*time.Millisecond, "P 3 9000 2\n", 8 * time.Second, false},
		{"decoder power-cycled: re-anchored on the first passing",
			100 * time.Second, "P 3 500000 1\n", 130 * time.Second, "P 3 2000 1\n", 30 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var host atomic.Int64
			cfg := fastConfig(t)
			// Long enough for the test to see the down state between tries.
			cfg.Backoff = Backoff{Min: 200 * time.Millisecond, Max: 400 * time.Millisecond}
			cfg.HostClock = host.Load
			links := newPipeLinks()
			dec := links.next()
			src := New("line:test", links, lineProtocol, cfg)
			var rec recorder
			run(t, src, rec.sink)

			host.Store(int64(tt.hostBefore))
			write(t, dec, tt.before)
			rec.waitN(t, 1)
			dec.Close() // unplugged
			waitFor(t, "state down", func() bool { return src.Health().State == crossing.StateDown })
			h := src.Health()
			if !strings.Contains(h.Detail, "pipe 1") || h.Reconnect != 0 {
				t.Errorf("health after unplug = %+v, want the failed link named and no reconnect yet", h)
			}

			dec = links.next() // plugged in again
			waitFor(t, "state ok again", func() bool { return src.Health().State == crossing.StateOK })
			host.Store(int64(tt.hostAfter))
			write(t, dec, tt.after)
			got := rec.waitN(t, 2)
			if h := src.Health(); h.Reconnect != 1 || h.Detail != "pipe 2" {
				t.Errorf("health after re-plug = %+v, want 1 reconnect on pipe 2", h)
			}
			assertLaps(t, got, tt.wantLap)
			if got[0].HostTimed || got[1].HostTimed != tt.hostTimed {
				t.Errorf("HostTimed = %v, %v; want false, %v", got[0].HostTimed, got[1].HostTimed, tt.hostTimed)
			}
		})
	}
}

func TestSourceSendsHelloOnEveryOpen(t *testing.T) {
	links := newPipeLinks()
	p := lineProtocol
	p.Hello = []byte("%C&")
	src := New("line:test", links, p, fastConfig(t))
	run(t, src, (&recorder{}).sink)
	for i := range 2 {
		dec := links.next()
		buf := make([]byte, 3)
		dec.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.ReadFull(dec, buf); err != nil || string(buf) != "%C&" {
			t.Fatalf("open %d: hello %q, %v; want %%C&", i+1, buf, err)
		}
		dec.Close()
	}
}

func TestSourceSilentLinkIsReopened(t *testing.T) {
	links := newPipeLinks()
	dec := links.next()
	cfg := fastConfig(t)
	cfg.Silence = 50 * time.Millisecond
	cfg.Backoff = Backoff{Min: 200 * time.Millisecond, Max: 400 * time.Millisecond}
	src := New("line:test", links, lineProtocol, cfg)
	run(t, src, (&recorder{}).sink)
	write(t, dec, "S\n")
	waitFor(t, "silent link reported down", func() bool {
		return strings.Contains(src.Health().Detail, "no data from pipe 1")
	})
	links.next()
	waitFor(t, "reopened", func() bool { return src.Health().Reconnect == 1 })
}

// The silence limit belongs to the protocol (P3 and AMB send status every
// few seconds); a Config that does not set one takes it.
func TestSourceSilenceComesFromTheProtocol(t *testing.T) {
	links := newPipeLinks()
	dec := links.next()
	p := lineProtocol
	p.Silence = 50 * time.Millisecond
	cfg := fastConfig(t)
	cfg.Backoff = Backoff{Min: 200 * time.Millisecond, Max: 400 * time.Millisecond}
	src := New("line:test", links, p, cfg)
	run(t, src, (&recorder{}).sink)
	write(t, dec, "S\n")
	waitFor(t, "silent link reported down", func() bool {
		return strings.Contains(src.Health().Detail, "no data from pipe 1 for 50ms")
	})
	for _, name := range []string{"p3", "amb"} {
		if p, _ := ProtocolByName(name); p.Silence != 15*time.Second {
			t.Errorf("%s silence %v, want 15s", name, p.Silence)
		}
	}
	for _, name := range []string{"zround", "ilap"} {
		if p, _ := ProtocolByName(name); p.Silence != 0 {
			t.Errorf("%s silence %v, want none (silent between passings)", name, p.Silence)
		}
	}
}

func TestSourceRunRefusesWhatCannotWork(t *testing.T) {
	sink := (&recorder{}).sink
	configErr := transportFunc(func(ctx context.Context) (io.ReadWriteCloser, string, error) {
		return nil, "", ErrConfig
	})
	tests := []struct {
		name string
		src  *Source
		sink crossing.Sink
	}{
		{"nil sink", New("x", newPipeLinks(), lineProtocol, Config{}), nil},
		{"nil transport", New("x", nil, lineProtocol, Config{}), sink},
		{"protocol without codec", New("x", newPipeLinks(), Protocol{Name: "none"}, Config{}), sink},
		{"transport misconfigured", New("x", configErr, lineProtocol, Config{Logger: testLogger(t)}), sink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			err := tt.src.Run(ctx, tt.sink)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Run = %v, want an ErrConfig error", err)
			}
			if ctx.Err() != nil {
				t.Fatal("Run retried instead of failing at once")
			}
		})
	}
}

func TestSourceRunsOnce(t *testing.T) {
	src := New("x", newPipeLinks(), lineProtocol, fastConfig(t))
	run(t, src, (&recorder{}).sink)
	waitFor(t, "connecting", func() bool { return src.Health().State == crossing.StateConnecting })
	if err := src.Run(context.Background(), (&recorder{}).sink); err == nil {
		t.Fatal("second concurrent Run succeeded")
	}
}

type transportFunc func(ctx context.Context) (io.ReadWriteCloser, string, error)

func (f transportFunc) Open(ctx context.Context) (io.ReadWriteCloser, string, error) { return f(ctx) }
