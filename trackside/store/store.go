// Package store is the trackside's durable memory on bbolt: crossings, races,
// racers, the race engine's snapshot, the audit trail and the MQTT outbox.
//
// Guarantees (docs/architecture.md, "Data path and its guarantees"):
//   - every commit is fsynced (bbolt's NoSync is never set), so a crossing is
//     "recorded" exactly when Update returns nil;
//   - one Update is one transaction: a crossing, its effects on races and
//     laps, the engine snapshot, audit entries and the messages it publishes
//     are all stored, or none is;
//   - nothing is hard-deleted except outbox messages the broker acknowledged
//     (and a pending retained message replaced by a newer one of its topic).
//
// bbolt allows one writer at a time; Update calls are serialised.
package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Options of Open. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// database file. Default 2 s.
	LockTimeout time.Duration
	// Logger receives the store's logs; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultLockTimeout is Options.LockTimeout when it is zero.
const DefaultLockTimeout = 2 * time.Second

// initialMmapSize is mapped up front so that, until the file outgrows it,
// writers never have to remap — a remap waits for every reader, so a long
// hot backup would stall commits. Address space only: the file does not grow.
const initialMmapSize = 64 << 20

// slowCommit is when a commit is worth a warning: SD cards that stall for
// that long delay every sensor acknowledgement.
const slowCommit = 500 * time.Millisecond

// ErrInUse is returned by Open when another process holds the database.
var ErrInUse = errors.New("database is in use by another process")

// Store is an open pitwall database. It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	path   string
	log    *slog.Logger
	boot   uint64
	epoch  string
	depth  atomic.Int64  // outbox messages pending; recomputed at Open
	notify chan struct{} // capacity 1: "the outbox has something new"
	// readOnly: opened by OpenReadOnly; Update refuses.
	readOnly bool
	// writeErr is the last failed commit, for the unit's storage health.
	writeErr atomic.Pointer[WriteError]
	// epochAt is the database's creation time, Unix ms (0: not known yet).
	epochAt atomic.Int64
}

// WriteError is a commit that failed (disk full, I/O error).
type WriteError struct {
	At  time.Time
	Err error
}

// Open opens the database at path, creating it safely if it does not exist,
// migrating it to this build's schema and counting one more boot.
func Open(path string, opt Options) (*Store, error) {
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

	tempsMu.Lock()
	removeStaleTemps(path, log)
	err := ensureCreated(path, log)
	tempsMu.Unlock()
	if err != nil {
		return nil, err
	}
	db, err := openBolt(path, log, &bolt.Options{
		Timeout: timeout,
		// The freelist is rebuilt by scanning at Open instead of written
		// at every commit: fewer pages per fsync. NoSync stays off.
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
	})
	if err != nil {
		return nil, err
	}

	s := &Store{db: db, path: path, log: log, notify: make(chan struct{}, 1)}
	var from int
	var applied []string
	err = s.boltUpdate(func(tx *bolt.Tx) error {
		var err error
		if from, err = schemaOf(tx); err != nil {
			return err
		}
		if applied, err = migrate(tx, from); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		boot, err := getU64(meta, metaBoot)
		if err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		s.boot = boot + 1
		if s.epoch, err = epochOf(meta); err != nil {
			return err
		}
		at, err := getU64(meta, metaEpochAt)
		if err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		s.epochAt.Store(int64(at))
		return putU64(meta, metaBoot, s.boot)
	})
	if err == nil {
		err = s.boltView(func(tx *bolt.Tx) error {
			s.depth.Store(int64(tx.Bucket(bucketOutbox).Stats().KeyN))
			return nil
		})
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if len(applied) > 0 {
		log.Info("store: migrated database", "path", path, "from", from, "to", schemaVersion, "steps", applied)
	}
	if s.depth.Load() > 0 {
		s.signal()
	}
	log.Info("store: opened", "path", path, "schema", schemaVersion, "boot", s.boot, "outbox", s.depth.Load())
	return s, nil
}

// Close closes the database; it waits for transactions in progress.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Boot is this Open's boot number: 1 for the first Open of the file, one more
// at every Open since. Payloads carry it so consumers can tell restarts apart.
func (s *Store) Boot() uint64 { return s.boot }

// Epoch is the database's random id, made when it was first opened. Payload
// sequence numbers increase within one epoch; a new database (a replaced SD
// card) starts a new epoch, so readers know to reset their ordering.
func (s *Store) Epoch() string { return s.epoch }

// EpochAt is when the database was created, Unix ms by a synced clock, or
// 0 while unknown. Payload headers carry it (mqtt.Header.EpochAt) so that
// readers holding retained messages of two databases know which is newer.
func (s *Store) EpochAt() int64 { return s.epochAt.Load() }

// NoteEpochAt records ms (Unix ms, from a synced clock) as the database's
// creation time unless one is known; the first one recorded stays. A
// database created while the clock was not synced (a Pi has no RTC) gets
// the first synced moment it is in use: later than its creation, but still
// earlier than the creation of any database that replaces it, which is
// all readers compare.
func (s *Store) NoteEpochAt(ms int64) error {
	if ms <= 0 || s.epochAt.Load() != 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		at, err := getU64(meta, metaEpochAt)
		switch {
		case err != nil:
			return err
		case at != 0:
			s.epochAt.Store(int64(at))
			return nil
		}
		if err := putU64(meta, metaEpochAt, uint64(ms)); err != nil {
			return err
		}
		s.epochAt.Store(ms)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %s: record epoch_at: %w", s.path, err)
	}
	return nil
}

// epochOf reads the database's epoch, making one on first use.
func epochOf(meta *bolt.Bucket) (string, error) {
	if e := meta.Get(metaEpoch); len(e) > 0 {
		return string(e), nil
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("epoch: %w", err)
	}
	e := hex.EncodeToString(b[:])
	if err := meta.Put(metaEpoch, []byte(e)); err != nil {
		return "", fmt.Errorf("epoch: %w", err)
	}
	return e, nil
}

// Update runs fn in one read-write transaction and commits it with fsync.
// An error from fn (returned unchanged) or a panic rolls everything back.
// The Tx must not be used after fn returns, and Update must not be called
// from inside View or Update (bbolt would deadlock).
func (s *Store) Update(fn func(*Tx) error) (err error) {
	defer s.recoverDamage(debug.SetPanicOnFault(true), &err)
	if s.readOnly {
		return fmt.Errorf("store %s: opened read-only", s.path)
	}
	start := time.Now()
	btx, err := s.db.Begin(true)
	if err != nil {
		return fmt.Errorf("store %s: begin: %w", s.path, err)
	}
	done := false
	defer func() {
		if !done {
			_ = btx.Rollback()
		}
	}()
	t := &Tx{tx: btx}
	if err := fn(t); err != nil {
		return err
	}
	done = true
	txid := btx.ID()
	if err := btx.Commit(); err != nil {
		err = s.commitFailed(txid, err)
		s.writeErr.Store(&WriteError{At: time.Now(), Err: err})
		return err
	}
	s.writeErr.Store(nil)
	if t.outboxDelta != 0 {
		s.depth.Add(int64(t.outboxDelta))
	}
	if t.enqueued > 0 {
		s.signal()
	}
	if d := time.Since(start); d > slowCommit {
		s.log.Warn("store: slow commit", "path", s.path, "took", d)
	}
	return nil
}

// View runs fn in a read-only transaction: a consistent snapshot that
// writers do not block.
func (s *Store) View(fn func(*Tx) error) error {
	return s.boltView(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// LastWriteError is the last commit that failed, or nil.
func (s *Store) LastWriteError() *WriteError { return s.writeErr.Load() }

// Notify returns a channel that receives (without blocking the writer) after
// a commit that enqueued messages, and once at Open if the outbox is not
// empty. Several commits may collapse into one signal: drain Pending fully.
func (s *Store) Notify() <-chan struct{} { return s.notify }

func (s *Store) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Stats are counts for the status page and health logs.
type Stats struct {
	Schema      int    `json:"schema"`
	Boot        uint64 `json:"boot"`
	Crossings   uint64 `json:"crossings"`
	Races       int    `json:"races"`
	Racers      int    `json:"racers"`
	Audit       uint64 `json:"audit"`
	OutboxDepth int    `json:"outbox_depth"`
	FileSize    int64  `json:"file_size"`
}

// Stats counts what the store holds. Races and racers are counted by walking
// their buckets; call it for status, not per crossing. An error reading the
// file is logged and leaves the affected counts zero.
func (s *Store) Stats() Stats {
	st := Stats{Schema: schemaVersion, Boot: s.boot, OutboxDepth: s.OutboxDepth()}
	err := s.boltView(func(tx *bolt.Tx) error {
		st.Crossings = tx.Bucket(bucketCrossings).Sequence()
		st.Audit = tx.Bucket(bucketAudit).Sequence()
		st.Races = tx.Bucket(bucketRaces).Stats().KeyN
		st.Racers = tx.Bucket(bucketRacers).Stats().KeyN
		st.FileSize = tx.Size()
		return nil
	})
	if err != nil {
		s.log.Warn("store: stats", "path", s.path, "err", err)
	}
	if info, err := os.Stat(s.path); err == nil {
		st.FileSize = info.Size()
	}
	return st
}

// Check verifies the file's page structure (bbolt's consistency check) in a
// read transaction. It reads the whole file: for startup self-tests and
// tests, not for the hot path.
func (s *Store) Check() error {
	var errs []error
	err := s.boltView(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check %s: %w", s.path, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("check %s: %w", s.path, errors.Join(errs...))
	}
	return nil
}
