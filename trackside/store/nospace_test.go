package store

import (
	"errors"
	"path/filepath"
	"testing"

	"pitwall/internal/smallfs"
)

// TestNoSpaceAtOpenAndCommit fills a real (tmpfs) filesystem: a commit
// that needs new blocks fails with ErrNoSpace and leaves the store as it
// was and usable; Open on the full disk still opens and counts its boot
// (the boot count rewrites one small page, and after any commit the file
// has pages free to reuse without new blocks) instead of failing the
// unit's start.
func TestNoSpaceAtOpenAndCommit(t *testing.T) {
	dir := smallfs.Mount(t, 2<<20)
	path := filepath.Join(dir, "pitwall.db")
	s := openAt(t, path)
	mustUpdate(t, s, func(tx *Tx) error { _, err := tx.AddCrossing(sampleCrossing(1)); return err })
	free := smallfs.Fill(t, dir)

	err := s.Update(func(tx *Tx) error {
		for i := 2; i < 20000; i++ {
			if _, err := tx.AddCrossing(sampleCrossing(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("a big commit on a full disk = %v, want ErrNoSpace", err)
	}
	if w := s.LastWriteError(); w == nil || !errors.Is(w.Err, ErrNoSpace) {
		t.Errorf("LastWriteError = %+v", w)
	}
	mustView(t, s, func(tx *Tx) error {
		if n := tx.CrossingCount(); n != 1 {
			t.Errorf("crossings after the rolled-back commit: %d, want 1", n)
		}
		return nil
	})
	if err := s.Check(); err != nil {
		t.Fatalf("store after the rolled-back commit: %v", err)
	}
	boot := s.Boot()
	s.Close()

	// Use up what the file itself has free, so the next Open's boot count
	// needs a new block.
	s = openAt(t, path)
	for {
		err := s.Update(func(tx *Tx) error {
			_, err := tx.AddCrossing(sampleCrossing(2))
			return err
		})
		if errors.Is(err, ErrNoSpace) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s2, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatalf("Open on a full disk: %v", err)
	}
	if s2.Boot() <= boot || s2.Epoch() == "" {
		t.Errorf("boot %d (before %d), epoch %q", s2.Boot(), boot, s2.Epoch())
	}
	s2.Close()
	free()
	s3 := openAt(t, path)
	mustUpdate(t, s3, func(tx *Tx) error { _, err := tx.AddCrossing(sampleCrossing(3)); return err })
}
