package unit_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"pitwall/internal/mosquittotest"
	"pitwall/trackside/crossing"
	"pitwall/trackside/store"
)

// buildTrackside compiles cmd/trackside for tests that must kill a real process.
func buildTrackside(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trackside")
	out, err := exec.Command("go", "build", "-o", bin, "pitwall/cmd/trackside").CombinedOutput()
	if err != nil {
		t.Fatalf("go build cmd/trackside: %v\n%s", err, out)
	}
	return bin
}

// ackLog reads a trackside's JSON log and remembers every crossing it
// reported as recorded: those are the crossings the unit acknowledged,
// known by their stamp (one car laps, so the transponder names none).
type ackLog struct {
	mu    sync.Mutex
	acked map[string]bool
}

func (a *ackLog) read(r io.Reader, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var line struct {
			Msg  string      `json:"msg"`
			Mono json.Number `json:"mono_ns"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "crossing recorded" {
			a.mu.Lock()
			a.acked[line.Mono.String()] = true
			a.mu.Unlock()
		}
	}
}

// TestKillDuringIngest SIGKILLs the trackside process at random moments
// while crossings stream in, restarts it, and checks that every crossing it
// acknowledged is in the store and every lap reached the broker.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a real process 20+ times: skipped with -short")
	}
	b := mosquittotest.Start(t)
	dec := newDecoderEmulator(t)
	laps := collectLaps(t, b.URL(), "kill")
	bin := buildTrackside(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "trackside.json")
	cfg := fmt.Sprintf(`{
		"track": "kill", "data_dir": %q, "broker": {"url": %q}, "log_level": "debug",
		"rules": {"duration": "10m", "min_lap": "0s"},
		"sources": [{"type": "tcp", "name": "zround", "protocol": "zround", "addr": %q, "debounce": "1ms"}],
		"auto_official": {"racers": 3}
	}`, filepath.Join(dir, "data"), b.URL(), dec.Addr())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	acks := &ackLog{acked: map[string]bool{}}
	start := func() (*exec.Cmd, chan struct{}) {
		cmd := exec.Command(bin, "-config", cfgPath, "-log-format", "json")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go acks.read(stderr, done)
		return cmd, done
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const kills = 22
	for i := 0; i < kills; i++ {
		cmd, logDone := start()
		dec.mu.Lock()
		conns := dec.conns
		dec.mu.Unlock()
		waitFor(t, 15*time.Second, "trackside connected to the decoder", func() bool {
			dec.mu.Lock()
			defer dec.mu.Unlock()
			return dec.conns > conns && dec.conn != nil
		})
		stop := make(chan struct{})
		streamed := make(chan struct{})
		streamRNG := rand.New(rand.NewPCG(uint64(i), 3)) // the goroutine's own: rand.Rand is not safe to share
		go func() {                                      // crossings every 2–8 ms until the kill
			defer close(streamed)
			for {
				select {
				case <-stop:
					return
				default:
				}
				dec.pass(1)
				time.Sleep(time.Duration(2+streamRNG.IntN(6)) * time.Millisecond)
			}
		}()
		time.Sleep(time.Duration(150+rng.IntN(700)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		<-streamed
		<-logDone
	}
	acks.mu.Lock()
	nAcked := len(acks.acked)
	acks.mu.Unlock()
	if nAcked < kills*10 {
		t.Fatalf("only %d crossings acknowledged over %d runs: the test did not exercise ingest", nAcked, kills)
	}
	// Run until the outbox is drained, then stop cleanly.
	dbPath := filepath.Join(dir, "data", "pitwall.db")
	for attempt := 0; ; attempt++ {
		cmd, logDone := start()
		time.Sleep(3 * time.Second)
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("clean stop: %v", err)
		}
		<-logDone
		st, err := store.Open(dbPath, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		depth := st.OutboxDepth()
		st.Close()
		if depth == 0 {
			break
		}
		if attempt == 5 {
			t.Fatalf("outbox still holds %d messages after 5 clean runs", depth)
		}
	}
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inStore := map[string]bool{}
	var lapIDs []string
	st.View(func(tx *store.Tx) error {
		lapIDs = storedLapIDs(t, tx)
		return tx.ForEachCrossing(0, func(_ uint64, c crossing.Crossing) error {
			inStore[strconv.FormatInt(c.MonoNS, 10)] = true
			return nil
		})
	})
	st.Close()
	acks.mu.Lock()
	for mono := range acks.acked {
		if !inStore[mono] {
			t.Errorf("crossing mono_ns=%s was acknowledged but is not in the store", mono)
		}
	}
	acks.mu.Unlock()
	if len(lapIDs) < nAcked/2 {
		t.Fatalf("%d laps for %d crossings", len(lapIDs), nAcked)
	}
	waitFor(t, 10*time.Second, "every stored lap seen at the broker", func() bool { return len(laps.missing(lapIDs)) == 0 })
	// bbolt's own consistency check on the file the kills left behind.
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
	t.Logf("%d runs killed, %d crossings acknowledged, %d in store, %d laps, all delivered", kills, nAcked, len(inStore), len(lapIDs))
}
