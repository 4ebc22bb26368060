package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// tempsMu serialises, within this process, looking for leftover temp files
// with creating new ones: between the creation of a temp file and its
// flock there is an instant in which it looks abandoned. (Across processes
// that instant remains; losing it makes the creating Open fail cleanly.)
var tempsMu sync.Mutex

// tmpCounter keeps temporary names unique between concurrent calls of one
// process (two Opens of a missing path, two backups to one target).
var tmpCounter atomic.Uint64

// tmpName is the temporary sibling of path that is renamed (or linked) onto
// it once complete. Its prefix is what removeStaleTemps looks for.
func tmpName(path string) string {
	return fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), tmpCounter.Add(1))
}

// removeStaleTemps deletes path.tmp-* files left by a creation or backup
// that died (power cut, kill). A temp file that another process still holds
// locked is being written right now and is left alone.
func removeStaleTemps(path string, log *slog.Logger) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Warn("store: cannot list directory for leftover temp files", "dir", dir, "err", err)
		return
	}
	prefix := base + ".tmp-"
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || e.IsDir() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		removed, err := removeUnlocked(name)
		switch {
		case err != nil:
			log.Warn("store: cannot remove leftover temp file", "file", name, "err", err)
		case removed:
			log.Info("store: removed leftover temp file of an interrupted write", "file", name)
		default:
			log.Debug("store: temp file in use by another process, left alone", "file", name)
		}
	}
}

// ensureCreated makes sure a complete, initialised database exists at path.
// A new database is built and fsynced under a temporary name and only then
// given its real name, so a power cut while creating never leaves a
// half-initialised file at path.
func ensureCreated(path string, log *slog.Logger) error {
	info, err := os.Stat(path)
	replaceEmpty := false
	switch {
	case err == nil && !info.Mode().IsRegular():
		return fmt.Errorf("open %s: not a regular file (%v)", path, info.Mode())
	case err == nil && info.Size() > 0:
		return nil
	case err == nil:
		// An empty file is not a database anyone wrote to (it may be the
		// remains of a crash inside a plain bbolt.Open): replace it.
		log.Warn("store: database file is empty, initialising it", "path", path)
		replaceEmpty = true
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("open %s: %w", path, err)
	}

	created, err := create(path, replaceEmpty)
	switch {
	case err != nil:
		return fmt.Errorf("create %s: %w", path, err)
	case created:
		log.Info("store: created database", "path", path, "schema", schemaVersion)
	default:
		log.Info("store: database was created meanwhile by another process", "path", path)
	}
	return nil
}

// create initialises a database under a temporary name and gives it its
// real name while bbolt still holds it open — and so flock'ed, which keeps
// removeStaleTemps in other processes away from it until it is complete.
func create(path string, replaceEmpty bool) (created bool, err error) {
	tmp := tmpName(path)
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{NoFreelistSync: true})
	if err != nil {
		return false, err // names tmp already
	}
	defer func() {
		if cerr := db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", tmp, cerr)
		}
		// After a successful link tmp is a second name of path; after a
		// failure it is garbage. Either way it goes.
		if rerr := os.Remove(tmp); err == nil && rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
		if err == nil {
			err = syncDir(filepath.Dir(path))
		}
	}()
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := migrate(tx, 0)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("initialise %s: %w", tmp, err)
	}
	if err := syncFile(tmp); err != nil {
		return false, err
	}
	if replaceEmpty {
		return true, os.Rename(tmp, path)
	}
	// Link fails if path appeared meanwhile (another process created it
	// first); rename would silently replace that process's database.
	err = os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		// A file system without hard links: rename is still atomic.
		return true, os.Rename(tmp, path)
	}
	return true, nil
}

// syncFile fsyncs a file's data and metadata (size).
func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	return nil
}

// syncDir fsyncs a directory so a rename or link in it survives a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
