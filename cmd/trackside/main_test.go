package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trackside-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "trackside")
	if out, err := exec.Command("go", "build", "-o", bin, "pitwall/cmd/trackside").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build cmd/trackside: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// unitDir makes a config and a data_dir whose pitwall.db holds racers,
// races and crossings, as a stopped unit leaves them.
func unitDir(t *testing.T) (cfgPath, dbPath string) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	dbPath = filepath.Join(data, "pitwall.db")
	s, err := store.Open(dbPath, store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(tx *store.Tx) error {
		for i := 1; i <= 500; i++ {
			c := crossing.Crossing{Source: "gpio:finish", MonoNS: int64(i) * 1e9, Seq: uint64(i), Host: time.Unix(int64(i), 0)}
			if _, err := tx.AddCrossing(c); err != nil {
				return err
			}
		}
		for i := 0; i < 20; i++ {
			id := fmt.Sprintf("racer-%02d", i)
			if err := tx.PutRacer(race.Racer{ID: id, Name: "Racer " + id}); err != nil {
				return err
			}
			r := race.Race{ID: "race-" + id, Track: "t1", RacerID: id, Run: 1, State: race.Submitted, Config: race.DefaultConfig(),
				Laps: []race.Lap{{No: 1, Time: 9 * time.Second, Valid: true}}}
			if err := tx.PutRace(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "trackside.json")
	cfg := fmt.Sprintf(`{"track": "t1", "data_dir": %q, "sources": [{"type": "sim", "name": "sim", "cars": 1}]}`, data)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

type fileState struct {
	hash  [32]byte
	mtime time.Time
	size  int64
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{hash: sha256.Sum256(b), mtime: info.ModTime(), size: info.Size()}
}

// syncBuffer is a bytes.Buffer written by a process and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func trackside(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run trackside: %v", err)
	}
	return o.String(), e.String(), code
}

func TestOfflineExportAndBackupChangeNothing(t *testing.T) {
	cfg, db := unitDir(t)
	before := stateOf(t, db)
	out := t.TempDir()
	csvPath, jsonPath, backupPath := filepath.Join(out, "r.csv"), filepath.Join(out, "r.json"), filepath.Join(out, "b.db")
	_, stderr, code := trackside(t, "-config", cfg, "-export-csv", csvPath, "-export-json", jsonPath, "-backup", backupPath)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	if after := stateOf(t, db); after != before {
		t.Errorf("offline export and backup changed the database: before %+v, after %+v", before, after)
	}
	if b, _ := os.ReadFile(csvPath); bytes.Count(b, []byte("\n")) != 21 {
		t.Errorf("csv has %d lines, want a header and 20 races:\n%s", bytes.Count(b, []byte("\n")), b)
	}
	if b, _ := os.ReadFile(jsonPath); !bytes.Contains(b, []byte("race-racer-19")) {
		t.Errorf("json export lacks a race: %.200s", b)
	}
	// The backup is the database as it was: same boot count (no Open of the
	// original counted one more).
	orig, err := store.OpenReadOnly(db, store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	boot := orig.Boot()
	orig.Close()
	cp, err := store.OpenReadOnly(backupPath, store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if cp.Boot() != boot || cp.Stats().Crossings != 500 {
		t.Errorf("backup: boot %d crossings %d, want boot %d and 500 crossings", cp.Boot(), cp.Stats().Crossings, boot)
	}
}

func TestDamagedStoreExitsWithHelpAndSalvages(t *testing.T) {
	cfg, db := unitDir(t)
	// Keep the two meta pages and little else: every tree page is gone.
	if err := os.Truncate(db, 4*4096); err != nil {
		t.Fatal(err)
	}
	// The unit's start: the problem is shown (journal and screen) and the
	// unit waits for a change instead of exiting into a restart loop.
	{
		cmd := exec.Command(bin, "-config", cfg, "-problem-screen", "")
		var e syncBuffer
		cmd.Stderr = &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(e.String(), "trackside -salvage") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		stderr := e.String()
		if err != nil {
			t.Errorf("start on a damaged store: %v (want waiting, then a clean stop on SIGTERM)\n%s", err, stderr)
		}
		if !strings.Contains(stderr, db) || !strings.Contains(stderr, "trackside -salvage") || !strings.Contains(stderr, "showing the problem") {
			t.Errorf("start: message lacks the file, the salvage command or the screen:\n%s", stderr)
		}
	}
	for _, args := range [][]string{
		{"-config", cfg, "-export-csv", filepath.Join(t.TempDir(), "x.csv")}, // an offline export
	} {
		_, stderr, code := trackside(t, args...)
		if code != exitDamaged {
			t.Errorf("trackside %v: exit %d, want %d\n%s", args, code, exitDamaged, stderr)
		}
		if !strings.Contains(stderr, db) || !strings.Contains(stderr, "trackside -salvage") {
			t.Errorf("trackside %v: message lacks the file or the salvage command:\n%s", args, stderr)
		}
		if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
			t.Errorf("trackside %v: a stack trace:\n%s", args, stderr)
		}
	}

	// Salvage from a copy whose trees are intact but whose meta pages are
	// gone: everything comes back, and the unit's data is usable again.
	cfg, db = unitDir(t)
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 2*4096), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before := stateOf(t, db)
	salvaged := filepath.Join(t.TempDir(), "salvaged.db")
	stdout, stderr, code := trackside(t, "-salvage", db, salvaged)
	if code != 0 {
		t.Fatalf("salvage: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "500 crossings, 20 races, 20 racers") {
		t.Errorf("salvage report:\n%s", stdout)
	}
	if stateOf(t, db) != before {
		t.Error("salvage changed the damaged file")
	}
	if _, stderr, code := trackside(t, "-salvage", db); code == 0 || !strings.Contains(stderr, "DAMAGED NEW") {
		t.Errorf("-salvage with one file: exit %d, %s", code, stderr)
	}
}
