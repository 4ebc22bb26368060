package store

import (
	"errors"
	"fmt"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// ErrNoSpace marks a commit that failed for lack of space (ENOSPC, EDQUOT)
// and was rolled back completely: the file and bbolt's view of it are as
// before the transaction, so the caller may go on and retry later.
//
// Why that is safe: bbolt writes a transaction's new pages to free or new
// pages first and the meta page that makes them live last. Running out of
// space happens when a write needs new blocks — the new pages, past the
// file's allocated blocks — never when the meta page is overwritten in
// place (on ext4 and tmpfs, the filesystems pitwall runs on). A failure
// before the meta page leaves the old meta page, and the old tree,
// authoritative; bbolt rolls its freelist back. commitFailed checks that the
// committed transaction id did not move before it says ErrNoSpace; any
// other failure (EIO, a failed fsync) is returned as it is and stops the
// track (see track.Run).
var ErrNoSpace = errors.New("no space left for the database")

// commitFailed wraps a failed Commit of transaction txid.
func (s *Store) commitFailed(txid int, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		var now int
		verr := s.boltView(func(tx *bolt.Tx) error { now = tx.ID(); return nil })
		if verr == nil && now < txid {
			return fmt.Errorf("store %s: commit: %w: %w", s.path, ErrNoSpace, err)
		}
	}
	return fmt.Errorf("store %s: commit: %w", s.path, err)
}
