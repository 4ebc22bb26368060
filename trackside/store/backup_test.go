package store

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestBackupWhileWriting takes hot backups while another goroutine commits
// crossing transactions, then opens each backup as a store: it must be a
// consistent snapshot (every transaction whole, bbolt check clean).
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, filepath.Join(dir, "pitwall.db"))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			var id uint64
			if err := s.Update(func(tx *Tx) error { return writeCrashStep(tx, &id) }); err != nil {
				writeErr = err
				return
			}
		}
	}()

	var counts []int
	for i := 0; i < 5; i++ {
		time.Sleep(20 * time.Millisecond)
		var buf bytes.Buffer
		n, err := s.Backup(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(buf.Len()) {
			t.Errorf("Backup reported %d bytes, wrote %d", n, buf.Len())
		}
		copyPath := filepath.Join(dir, "copy.db")
		if err := os.WriteFile(copyPath, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Open(copyPath, Options{Logger: quiet})
		if err != nil {
			t.Fatalf("open backup %d: %v", i, err)
		}
		counts = append(counts, checkCrashInvariants(t, c))
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(copyPath); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("writer: %v", writeErr)
	}
	t.Logf("crossings in successive backups: %v", counts)
	if counts[len(counts)-1] <= counts[0] {
		t.Errorf("writer made no progress during backups: %v", counts)
	}
}

func TestBackupFile(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, filepath.Join(dir, "pitwall.db"))
	var id uint64
	mustUpdate(t, s, func(tx *Tx) error { return writeCrashStep(tx, &id) })

	target := filepath.Join(dir, "backup", "pitwall-backup.db")
	if err := os.Mkdir(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	// A leftover of an interrupted backup is cleared; an old backup is replaced.
	if err := os.WriteFile(target+".tmp-1-1", []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.BackupFile(target); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, filepath.Dir(target)); len(got) != 1 || got[0] != "pitwall-backup.db" {
		t.Errorf("backup directory = %v", got)
	}
	b := openAt(t, target)
	if n := checkCrashInvariants(t, b); n != 1 {
		t.Errorf("backup has %d crossings, want 1", n)
	}

	for _, bad := range []string{"", s.Path(), filepath.Join(dir, ".", "pitwall.db")} {
		if err := s.BackupFile(bad); err == nil {
			t.Errorf("BackupFile(%q) accepted", bad)
		}
	}
	if err := s.BackupFile(filepath.Join(dir, "missing", "x.db")); err == nil {
		t.Error("BackupFile into a missing directory succeeded")
	}
}
