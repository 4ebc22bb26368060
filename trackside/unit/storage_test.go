package unit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/brokertest"
	"pitwall/internal/smallfs"
	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
	"pitwall/trackside/unit"
)

// statusWatch keeps the last retained status of a track.
type statusWatch struct {
	mu   sync.Mutex
	last *mqtt.Status
}

func watchStatus(t *testing.T, url, trackID string) *statusWatch {
	t.Helper()
	w := &statusWatch{}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("status-watch-" + trackID).
		SetUsername("admin").SetPassword(brokertest.Password("admin")).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).
		SetOnConnectHandler(func(c paho.Client) {
			c.Subscribe(mqtt.TrackStatus(trackID), 1, func(_ paho.Client, m paho.Message) {
				var st mqtt.Status
				if err := mqtt.Decode(m.Payload(), &st); err != nil {
					t.Errorf("status: %v", err)
					return
				}
				w.mu.Lock()
				w.last = &st
				w.mu.Unlock()
			})
		}))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("status watcher connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return w
}

// waitStorage waits for a status whose storage state is state.
func (w *statusWatch) waitStorage(t *testing.T, state string) *mqtt.Status {
	t.Helper()
	var st *mqtt.Status
	waitFor(t, 15*time.Second, "status with storage "+state, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		st = w.last
		return st != nil && st.Storage != nil && st.Storage.State == state
	})
	return st
}

func storageUnit(t *testing.T, dataDir, minFree string, free unit.FreeSpace) (*unit.Unit, *statusWatch, chan error) {
	t.Helper()
	b := brokertest.Start(t)
	cfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
		"track": "disk", "data_dir": %q, "broker": {"url": %q, "secret_file": %q}, "storage": {"min_free": %q},
		"rules": {"duration": "10m", "min_lap": "0s"},
		"sources": [{"type": "sim", "name": "unused", "cars": 1}]
	}`, dataDir, b.URL(), brokertest.SecretFile(t), minFree)))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	u, err := unit.New(cfg, unit.Options{Logger: log, Sources: []crossing.Source{}, FreeSpace: free})
	if err != nil {
		t.Fatal(err)
	}
	w := watchStatus(t, b.URL(), "disk")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("unit stopped with: %v", err)
		}
	})
	return u, w, done
}

func assertRunning(t *testing.T, done chan error) {
	t.Helper()
	select {
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("the unit stopped: %v", err)
	default:
	}
}

// TestStorageThresholds drives the free space (a fake of statfs, the one
// thing a test cannot set on a real disk at will) through ok, low, full and
// back: the status says so, arming is refused below the floor only, the
// unit stays up and online, and it resumes by itself.
func TestStorageThresholds(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 30)
	u, w, done := storageUnit(t, t.TempDir(), "64MB", func(string) (uint64, error) { return free.Load(), nil })
	ctx := context.Background()
	tr := u.Track()
	for _, id := range []string{"r1", "r2", "r3"} {
		if err := tr.PutRacer(ctx, "t", race.Racer{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	st := w.waitStorage(t, mqtt.StorageOK)
	if !st.Online || st.Storage.FreeBytes != 1<<30 || st.Storage.MinFreeBytes != 64<<20 {
		t.Fatalf("status %+v storage %+v", st, st.Storage)
	}

	free.Store(200 << 20) // below 4 × 64 MiB: a warning, races still armed
	w.waitStorage(t, mqtt.StorageLow)
	if _, err := tr.LoadRacer(ctx, "t", "r1"); err != nil {
		t.Fatalf("load with low space: %v", err)
	}
	if _, err := tr.Start(ctx, "t"); err != nil {
		t.Fatalf("start with low space: %v", err)
	}
	if _, err := tr.End(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Submit(ctx, "t"); err != nil {
		t.Fatal(err)
	}

	free.Store(10 << 20) // below the floor
	st = w.waitStorage(t, mqtt.StorageFull)
	if !st.Online || !strings.Contains(st.Storage.Detail, "storage full") {
		t.Errorf("status below the floor: online %v, storage %+v", st.Online, st.Storage)
	}
	_, err := tr.LoadRacer(ctx, "t", "r2")
	if !errors.Is(err, track.ErrNotArmed) || !strings.Contains(err.Error(), "storage full") || !strings.Contains(err.Error(), "storage.min_free") {
		t.Errorf("load below the floor = %v, want a storage full refusal", err)
	}
	if tr.Current() != nil && tr.Current().RacerID == "r2" {
		t.Error("a race was armed below the floor")
	}
	assertRunning(t, done)

	free.Store(1 << 30) // space is back: no restart, no command
	w.waitStorage(t, mqtt.StorageOK)
	if _, err := tr.LoadRacer(ctx, "t", "r2"); err != nil {
		t.Fatalf("load after space returned: %v", err)
	}
	assertRunning(t, done)
}

// TestDiskFullOnARealFilesystem fills a real (tmpfs) data partition: the
// unit stays up and online, says storage full, refuses to arm, reports the
// commit that found no space as not recorded (the source keeps the
// crossing), and resumes by itself when the space is freed.
func TestDiskFullOnARealFilesystem(t *testing.T) {
	dir := smallfs.Mount(t, 8<<20)
	u, w, done := storageUnit(t, dir, "1MiB", nil) // statfs for real
	ctx := context.Background()
	tr := u.Track()
	if err := tr.PutRacer(ctx, "t", race.Racer{ID: "r1", Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	w.waitStorage(t, mqtt.StorageOK)

	freeSpace := smallfs.Fill(t, dir)
	st := w.waitStorage(t, mqtt.StorageFull)
	if !st.Online {
		t.Error("the unit says offline on a full disk")
	}
	if _, err := tr.LoadRacer(ctx, "t", "r1"); !errors.Is(err, track.ErrNotArmed) {
		t.Errorf("load on a full disk = %v, want ErrNotArmed", err)
	}
	burst := make([]crossing.Crossing, 4000)
	for i := range burst {
		burst[i] = crossing.Crossing{Source: "dec", MonoNS: int64(i+1) * int64(time.Second), Clock: crossing.ClockHost, Seq: uint64(i + 1)}
	}
	if err := tr.SinkBatch(ctx, burst); !errors.Is(err, store.ErrNoSpace) {
		t.Fatalf("a burst on a full disk = %v, want store.ErrNoSpace (not recorded)", err)
	}
	waitFor(t, 15*time.Second, "the failed write in the status", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.last != nil && w.last.Storage != nil && strings.Contains(w.last.Storage.LastWriteError, "no space")
	})
	assertRunning(t, done)

	freeSpace()
	w.waitStorage(t, mqtt.StorageOK)
	if err := tr.SinkBatch(ctx, burst); err != nil { // the source's retry
		t.Fatalf("the retry after space returned: %v", err)
	}
	if _, err := tr.LoadRacer(ctx, "t", "r1"); err != nil {
		t.Fatalf("load after space returned: %v", err)
	}
	if n := u.Store().Stats().Crossings; n != uint64(len(burst)) {
		t.Errorf("crossings stored: %d, want %d (each once)", n, len(burst))
	}
	waitFor(t, 15*time.Second, "the write error cleared", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.last != nil && w.last.Storage != nil && w.last.Storage.LastWriteError == ""
	})
	assertRunning(t, done)
}
