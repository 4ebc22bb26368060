package store

import (
	"path/filepath"
	"testing"

	"pitwall/trackside/crossing"
)

func TestReleasePagesKeepsDataReadable(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 50; i++ {
		if err := s.Update(func(tx *Tx) error {
			_, err := tx.AddCrossing(crossing.Crossing{Source: "t", MonoNS: int64(i + 1)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReleasePages(); err != nil {
		t.Fatal(err)
	}
	var n int
	s.View(func(tx *Tx) error {
		return tx.ForEachCrossing(0, func(_ uint64, c crossing.Crossing) error {
			n++
			if c.MonoNS != int64(n) {
				t.Fatalf("crossing %d reads back as %+v", n, c)
			}
			return nil
		})
	})
	if n != 50 {
		t.Fatalf("read %d crossings after releasing pages, want 50", n)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestEpochIsStableAcrossOpensAndNewPerDatabase(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(filepath.Join(dir, "a.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e1 := a.Epoch()
	a.Close()
	a, err = Open(filepath.Join(dir, "a.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(filepath.Join(dir, "b.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(e1) != 16 || a.Epoch() != e1 || b.Epoch() == e1 {
		t.Fatalf("epochs %q, reopened %q, other database %q", e1, a.Epoch(), b.Epoch())
	}
}

// TestEpochAtRecordedOnceAndKept: a database's creation time is unknown
// until noted, then the first one noted stays, across reopens.
func TestEpochAtRecordedOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.EpochAt() != 0 {
		t.Fatalf("a new database claims creation time %d", s.EpochAt())
	}
	if err := s.NoteEpochAt(1_700_000_000_000); err != nil {
		t.Fatal(err)
	}
	if err := s.NoteEpochAt(1_800_000_000_000); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.EpochAt() != 1_700_000_000_000 {
		t.Fatalf("creation time after reopen %d, want the first noted", s.EpochAt())
	}
}
