package store

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"testing"
	"time"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestCreateLeavesOnlyTheDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pitwall.db")
	s := openAt(t, path)
	if got := dirNames(t, dir); len(got) != 1 || got[0] != "pitwall.db" {
		t.Errorf("directory after creation = %v, want only pitwall.db", got)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %v %v, want 0600 (it holds personal data)", info.Mode(), err)
	}
	if s.db.NoSync || !s.db.NoFreelistSync || s.db.NoGrowSync {
		t.Errorf("NoSync=%v NoFreelistSync=%v NoGrowSync=%v: commits must be fsynced", s.db.NoSync, s.db.NoFreelistSync, s.db.NoGrowSync)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

// TestLeftoverTempFiles simulates a power cut during creation: the path does
// not exist, a half-written temp database lies next to it. Open must build
// a fresh database and clear the leftovers — but not a temp file that a live
// process (simulated by a lock we hold) is still writing, nor files of
// other databases.
func TestLeftoverTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pitwall.db")
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("pitwall.db.tmp-4242-1", make([]byte, 4096)) // half-initialised: a page of zeros
	write("pitwall.db.tmp-4243-7", nil)                // died right after creating the file
	busy := write("pitwall.db.tmp-4244-1", []byte("being written"))
	write("other.db.tmp-1-1", []byte("not ours"))

	f, err := os.Open(busy)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}

	s := openAt(t, path)
	want := []string{"other.db.tmp-1-1", "pitwall.db", "pitwall.db.tmp-4244-1"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory = %v, want %v", got, want)
	}
	if s.Boot() != 1 {
		t.Errorf("Boot = %d, want 1 for a fresh database", s.Boot())
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

func TestEmptyFileIsInitialised(t *testing.T) {
	path := dbPath(t)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path)
	mustUpdate(t, s, func(tx *Tx) error { _, err := tx.AddCrossing(sampleCrossing(1)); return err })
	if s.Stats().Crossings != 1 {
		t.Error("crossing not stored")
	}
}

func TestOpenRejectsBadPaths(t *testing.T) {
	dir := t.TempDir()
	for name, path := range map[string]string{
		"empty":     "",
		"directory": dir,
		"no parent": filepath.Join(dir, "missing", "pitwall.db"),
	} {
		if s, err := Open(path, Options{Logger: quiet}); err == nil {
			s.Close()
			t.Errorf("%s: Open(%q) succeeded", name, path)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("failed Opens left %v", got)
	}
}

// TestConcurrentCreation: two Opens race to create the same database. One
// file results (the loser of the link does not replace the winner's file),
// one Open gets it and the other is told it is in use.
func TestConcurrentCreation(t *testing.T) {
	for round := 0; round < 5; round++ {
		dir := t.TempDir()
		path := filepath.Join(dir, "pitwall.db")
		type result struct {
			s   *Store
			err error
		}
		results := make(chan result, 2)
		for range 2 {
			go func() {
				s, err := Open(path, Options{Logger: quiet, LockTimeout: 100 * time.Millisecond})
				results <- result{s, err}
			}()
		}
		var opened []*Store
		for range 2 {
			r := <-results
			switch {
			case r.err == nil:
				opened = append(opened, r.s)
			case !errors.Is(r.err, ErrInUse):
				t.Errorf("round %d: Open = %v, want success or ErrInUse", round, r.err)
			}
		}
		if len(opened) != 1 {
			t.Errorf("round %d: %d Opens succeeded, want 1", round, len(opened))
		}
		for _, s := range opened {
			if s.Boot() != 1 {
				t.Errorf("round %d: Boot = %d, want 1", round, s.Boot())
			}
			s.Close()
		}
		if got := dirNames(t, dir); len(got) != 1 {
			t.Errorf("round %d: directory = %v", round, got)
		}
	}
}
