package unit_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pitwall/internal/brokertest"
	"pitwall/internal/sdnotify"
	"pitwall/trackside/store"
	"pitwall/trackside/unit"
)

// notifySocket is a fake systemd: a unixgram socket collecting what the
// daemon sends to $NOTIFY_SOCKET.
func notifySocket(t *testing.T) (string, <-chan string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	got := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	return path, got
}

// nextPing waits up to limit for a WATCHDOG=1 datagram and reports
// whether one came; other datagrams (STATUS=) are skipped.
func nextPing(got <-chan string, limit time.Duration) bool {
	deadline := time.After(limit)
	for {
		select {
		case m := <-got:
			if strings.Contains(m, "WATCHDOG=1") {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// TestWatchdogStopsWhenWriterStuck runs a real unit (bbolt file, embedded
// broker, publisher) under the watchdog: READY then pings while healthy;
// a writer stuck on the database lock stops the pings (systemd would kill
// and restart the unit); released, the pings resume.
func TestWatchdogStopsWhenWriterStuck(t *testing.T) {
	cfg := testConfig(t, "1", brokertest.Start(t).URL(), "127.0.0.1:1")
	u, err := unit.New(cfg, unit.Options{
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		StuckAfter: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("unit stopped with: %v", err)
		}
	})

	path, got := notifySocket(t)
	n := sdnotify.New(path)
	if err := n.Send("READY=1"); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", m)
	}
	go n.Watchdog(ctx, 200*time.Millisecond, u.Healthy, nil)
	for i := range 3 {
		if !nextPing(got, 5*time.Second) {
			t.Fatalf("ping %d of a healthy unit missing (%v)", i, u.Healthy())
		}
	}

	// Stick the writer: hold the database's write lock and give the
	// writer something to commit.
	release := make(chan struct{})
	var once sync.Once
	unlock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unlock) // before the unit's cleanup, which waits for the writer
	locked := make(chan struct{})
	go u.Store().Update(func(*store.Tx) error {
		close(locked)
		<-release
		return nil
	})
	<-locked
	go func() {
		actx, acancel := context.WithTimeout(ctx, 30*time.Second)
		defer acancel()
		u.Track().Pause(actx, "watchdog-test")
	}()
	// Within StuckAfter (1 s) plus a few ping periods the pings stop;
	// then none comes for well over systemd's interval.
	waitFor(t, 10*time.Second, "the writer to count as stuck", func() bool { return u.Healthy() != nil })
	for len(got) > 0 {
		<-got
	}
	if nextPing(got, time.Second) {
		t.Fatalf("watchdog pinged while the writer is stuck (%v)", u.Healthy())
	}
	if err := u.Healthy(); !strings.Contains(err.Error(), "writer") {
		t.Errorf("Healthy() = %v, want the writer named", err)
	}

	unlock()
	if !nextPing(got, 10*time.Second) {
		t.Fatalf("no ping after the writer was released (%v)", u.Healthy())
	}
}
