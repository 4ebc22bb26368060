package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Damaged files. bbolt trusts its pages: reading a page beyond the end of a
// truncated file through the memory map is a SIGBUS, and a branch page of
// random bytes trips one of its assertions. Either would kill the process
// with a stack trace, and under systemd's Restart=always that is a crash
// loop in which nothing can be salvaged. So:
//
//   - Open and OpenReadOnly first walk every reachable page of the file
//     through pread (pagewalk.go), which finds truncation, overwritten pages
//     and out-of-order keys as ErrDamaged before bbolt maps anything;
//   - every bbolt call runs with debug.SetPanicOnFault, which turns a fault
//     in the mapping into a panic, and recovers panics into ErrDamaged, for
//     damage that appears after Open (a failing SD card).
//
// Cost of the walk (BenchmarkCheckFile, 2 shared cores, warm page cache): a
// store of 100,000 crossings, 2,000 racers and 2,000 races of 10 laps (51 MB
// file, 8,352 reachable pages) takes 58 ms; bbolt's tx.Check takes 13 ms on
// the same file but cannot be used here: it runs in a goroutine of its own,
// where a fault in the mapping is fatal whatever SetPanicOnFault says (and
// bbolt's Open rebuilds its freelist the same way). On an SD card the walk
// mostly moves cold reads earlier: bbolt's freelist rebuild and the track's
// recovery read the same pages at every start.

// openBolt opens path with bbolt after checking its pages, turning damage
// into ErrDamaged and a held lock into ErrInUse.
func openBolt(path string, log *slog.Logger, opt *bolt.Options) (db *bolt.DB, err error) {
	pages, warning, err := checkFile(path, !opt.ReadOnly, opt.Timeout)
	if errors.Is(err, ErrInUse) {
		return nil, fmt.Errorf("open %s: %w (no lock within %v; is another trackside running on this file?)", path, ErrInUse, opt.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if warning != "" {
		// bbolt alternates between two meta pages precisely so that one
		// torn write (power cut) leaves the other: still a sign of trouble.
		log.Warn("store: one meta page is damaged, using the other", "path", path, "problem", warning)
	}
	log.Debug("store: page check passed", "path", path, "pages", pages)
	defer func(old bool) {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			log.Error("store: bbolt panicked opening the file", "path", path, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			db, err = nil, fmt.Errorf("open %s: %w: %v", path, ErrDamaged, r)
		}
	}(debug.SetPanicOnFault(true))
	db, err = bolt.Open(path, 0o600, opt)
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (no lock within %v; is another trackside running on this file?)", path, ErrInUse, opt.Timeout)
	}
	if errors.Is(err, bolt.ErrInvalid) || errors.Is(err, bolt.ErrChecksum) || errors.Is(err, bolt.ErrVersionMismatch) {
		return nil, fmt.Errorf("open %s: %w: %v", path, ErrDamaged, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// recoverDamage is deferred, with the previous SetPanicOnFault setting, by
// every method that reads through bbolt: a panic that damage causes (a
// fault in the mapping, a bbolt assertion on a damaged page) becomes an
// ErrDamaged error, with the stack logged. Any other panic (a bug in the
// caller's function) goes on panicking.
func (s *Store) recoverDamage(old bool, err *error) {
	debug.SetPanicOnFault(old)
	r := recover()
	if r == nil {
		return
	}
	if !isDamagePanic(r) {
		panic(r)
	}
	s.log.Error("store: panic reading the database (damaged file?)", "path", s.path, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	*err = fmt.Errorf("store %s: %w: %v", s.path, ErrDamaged, r)
}

// isDamagePanic tells a panic caused by the file's content: a memory fault
// away from address zero (SetPanicOnFault's runtime.Error carries the
// address; a nil dereference is a bug, not damage) or one of bbolt's
// assertions, which panic with a string ("assertion failed: ...", "page 12
// already freed", ...). pitwall's own code never panics with a string.
func isDamagePanic(r any) bool {
	if f, ok := r.(interface{ Addr() uintptr }); ok && f.Addr() >= 4096 {
		return true
	}
	if _, ok := r.(string); ok {
		return true
	}
	// A bounds check failing inside bbolt itself (a random element count
	// on a page) is damage too; the same error in a caller's function is a
	// bug. Called from the deferred function, the stack still holds the
	// panicking frames.
	_, ok := r.(runtime.Error)
	return ok && panickedIn(debug.Stack(), "go.etcd.io/bbolt")
}

// panickedIn reports whether the frame that panicked (the first after the
// runtime's panic frames in a debug.Stack) belongs to package pkg.
func panickedIn(stack []byte, pkg string) bool {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic(") {
			continue
		}
		for _, next := range lines[i+1:] {
			if strings.HasPrefix(next, "\t") || strings.HasPrefix(next, "runtime.") {
				continue
			}
			return strings.HasPrefix(next, pkg)
		}
	}
	return false
}

// boltView and boltUpdate are bbolt's View and Update with recoverDamage.
func (s *Store) boltView(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverDamage(debug.SetPanicOnFault(true), &err)
	return s.db.View(fn)
}

func (s *Store) boltUpdate(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverDamage(debug.SetPanicOnFault(true), &err)
	return s.db.Update(fn)
}

// OpenReadOnly opens an existing database for reading only, as the offline
// export, backup and salvage of a stopped unit do: no migration, no boot
// count, no temp files removed, no file created; the file's bytes and
// modification time stay as they were. It takes bbolt's shared lock, so it
// fails with ErrInUse while a unit has the file open.
func OpenReadOnly(path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: empty path")
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	timeout := opt.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("open %s: no database here", path)
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", path, err)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("open %s: not a regular file (%v)", path, info.Mode())
	case info.Size() == 0:
		return nil, fmt.Errorf("open %s: %w: the file is empty", path, ErrDamaged)
	}
	db, err := openBolt(path, log, &bolt.Options{Timeout: timeout, ReadOnly: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, log: log, notify: make(chan struct{}, 1), readOnly: true}
	err = s.boltView(func(tx *bolt.Tx) error {
		from, err := schemaOf(tx)
		switch {
		case err != nil:
			return err
		case from == 0:
			return errors.New("not a pitwall store: no schema (an empty bbolt file)")
		case from > schemaVersion:
			return fmt.Errorf("%w: file has schema %d, this build knows up to %d", ErrNewerSchema, from, schemaVersion)
		}
		meta := tx.Bucket(bucketMeta)
		if s.boot, err = getU64(meta, metaBoot); err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		s.epoch = string(meta.Get(metaEpoch))
		if ob := tx.Bucket(bucketOutbox); ob != nil {
			s.depth.Store(int64(ob.Stats().KeyN))
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	log.Info("store: opened read-only", "path", path, "boot", s.boot, "at", time.Now().Format(time.RFC3339))
	return s, nil
}
