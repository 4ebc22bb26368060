package decoded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"pitwall/trackside/crossing"
)

// testLogger keeps test output readable; set -v to see the source's logs.
func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testLoggerB discards logs in benchmarks.
func testLoggerB() *slog.Logger { return slog.New(slog.DiscardHandler) }

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// fastConfig has backoffs small enough for tests.
func fastConfig(t *testing.T) Config {
	return Config{Backoff: Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}, Logger: testLogger(t)}
}

// run starts src and, at test cleanup, stops it and checks Run returned nil
// promptly.
func run(t *testing.T, src *Source, sink crossing.Sink) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, sink) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(3 * time.Second):
			t.Errorf("Run did not return within 3s of cancel")
		}
		if h := src.Health(); h.State != crossing.StateDown {
			t.Errorf("state after Run returned = %q, want down", h.State)
		}
	})
}

// waitFor polls cond until it holds or 3 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// recorder is a Sink that keeps what it recorded and can be told to fail.
type recorder struct {
	mu    sync.Mutex
	got   []crossing.Crossing
	calls int
	fail  int // fail this many more calls
}

func (r *recorder) sink(ctx context.Context, c crossing.Crossing) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail > 0 {
		r.fail--
		return errors.New("store: disk full")
	}
	r.got = append(r.got, c)
	return nil
}

func (r *recorder) crossings() []crossing.Crossing {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]crossing.Crossing(nil), r.got...)
}

func (r *recorder) waitN(t *testing.T, n int) []crossing.Crossing {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d crossings", n), func() bool { return len(r.crossings()) >= n })
	return r.crossings()
}

// pipeLinks is a Transport handing out in-memory links the test creates
// with next; Open waits for the next link like a driver waiting for a
// device to appear.
type pipeLinks struct {
	links chan net.Conn
	mu    sync.Mutex
	n     int
}

func newPipeLinks() *pipeLinks { return &pipeLinks{links: make(chan net.Conn, 4)} }

// next makes a link and returns the decoder's end of it.
func (p *pipeLinks) next() net.Conn {
	host, dec := net.Pipe()
	p.links <- host
	return dec
}

func (p *pipeLinks) Open(ctx context.Context) (io.ReadWriteCloser, string, error) {
	select {
	case c := <-p.links:
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		return c, fmt.Sprintf("pipe %d", n), nil
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// write sends s on the decoder end of a link, failing the test on error.
func write(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatalf("decoder write %q: %v", s, err)
	}
}

// assertLaps checks that consecutive crossings are exactly the given
// decoder time differences apart.
func assertLaps(t *testing.T, got []crossing.Crossing, want ...time.Duration) {
	t.Helper()
	if len(got) != len(want)+1 {
		t.Fatalf("%d crossings, want %d", len(got), len(want)+1)
	}
	for i, w := range want {
		if d := time.Duration(got[i+1].MonoNS - got[i].MonoNS); d != w {
			t.Errorf("crossing %d→%d: %v apart, want exactly %v (decoder difference)", i, i+1, d, w)
		}
	}
}
