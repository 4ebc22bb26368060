package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole database to w from one read
// transaction, while writers go on committing. The copy is a complete bbolt
// file that Open accepts.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.boltView(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", s.path, err)
	}
	return n, nil
}

// BackupFile writes a backup to path atomically: into a temporary sibling,
// fsynced, then renamed over path and the directory fsynced. A crash leaves
// either the old file at path or the new one, never a partial copy.
func (s *Store) BackupFile(path string) error {
	if path == "" {
		return fmt.Errorf("backup %s: empty target path", s.path)
	}
	if same, err := samePath(path, s.path); err != nil {
		return fmt.Errorf("backup %s to %s: %w", s.path, path, err)
	} else if same {
		return fmt.Errorf("backup %s: target is the database itself", s.path)
	}
	tempsMu.Lock()
	removeStaleTemps(path, s.log)
	tmp := tmpName(path)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		if err = lockTemp(f); err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}
	tempsMu.Unlock()
	if err != nil {
		return fmt.Errorf("backup %s to %s: %w", s.path, path, err)
	}
	_, err = s.Backup(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup %s to %s: %w", s.path, path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("backup %s to %s: %w", s.path, path, err)
	}
	return nil
}

// samePath reports whether a and b name the same file (or would, once a is
// created).
func samePath(a, b string) (bool, error) {
	if ia, err := os.Stat(a); err == nil {
		ib, err := os.Stat(b)
		if err != nil {
			return false, err
		}
		return os.SameFile(ia, ib), nil
	}
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	ab, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	return aa == ab, nil
}
