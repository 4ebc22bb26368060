package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzPageWalk feeds arbitrary bytes to the page walker as a database file:
// it must report damage, never panic or loop, whatever the pages say.
// Seeds: a real store, and the same with a page header, an element and the
// meta page changed (testdata/fuzz/FuzzPageWalk).
func FuzzPageWalk(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.db")
	s, err := Open(path, Options{Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Update(func(tx *Tx) error {
		for i := 1; i <= 40; i++ {
			if _, err := tx.AddCrossing(sampleCrossing(i)); err != nil {
				return err
			}
		}
		return tx.PutRace(sampleRace("r-1", "alice", 1, 3))
	}); err != nil {
		f.Fatal(err)
	}
	s.Close()
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	// Only the pages in use: bbolt grows files ahead of need.
	if p, err := openPageFile(bytes.NewReader(seed), int64(len(seed))); err == nil {
		seed = seed[:int64(p.meta.highWater)*p.psize]
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := openPageFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		p.walk(kvVisitor{bucket: func(string, uint64) {}, kv: func(string, []byte, []byte) {}})
	})
}
