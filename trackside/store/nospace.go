package store

import (
	"errors"
	"fmt"
	"syscall"
	"time"

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

// openWithoutSpace finishes Open when counting the boot failed for lack of
// space: possible only for a file at this build's schema (a migration
// needs the space). The boot number is one more than the stored one but
// not stored, so the next boot may reuse it; the status says the disk is
// full anyway.
func (s *Store) openWithoutSpace(cause error) error {
	err := s.boltView(func(tx *bolt.Tx) error {
		from, err := schemaOf(tx)
		if err != nil {
			return err
		}
		if from != schemaVersion {
			return fmt.Errorf("migrate schema %d→%d: %w: %w", from, schemaVersion, ErrNoSpace, cause)
		}
		meta := tx.Bucket(bucketMeta)
		boot, err := getU64(meta, metaBoot)
		if err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		s.boot = boot + 1
		s.epoch = string(meta.Get(metaEpoch))
		if s.epoch == "" {
			return fmt.Errorf("meta: no epoch: %w: %w", ErrNoSpace, cause)
		}
		return nil
	})
	if err != nil {
		return err
	}
	werr := fmt.Errorf("store %s: count boot: %w: %w", s.path, ErrNoSpace, cause)
	s.writeErr.Store(&WriteError{At: time.Now(), Err: werr})
	s.log.Warn("store: no space to count this boot; running on the file as it is", "path", s.path, "boot", s.boot, "err", cause)
	return nil
}
