package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"pitwall/mqtt"
)

// Key files live in the admin's config dir, one per key id:
//
//	<dir>/<id>.key    the private key (0600), mqtt.PrivateKeyFile
//	<dir>/<id>.seq    the last sequence number signed with it
//	<dir>/<id>.lock   held (flock) while a number is taken
//
// The private key never leaves this machine; tracksides know only its
// public half (admin.keys in their config).
const keyExt, seqExt, lockExt = ".key", ".seq", ".lock"

// keyDir is where keygen writes and where --key <id> looks:
// $XDG_CONFIG_HOME/pitwall/racectl (~/.config/pitwall/racectl on Linux).
func keyDir(env envFunc) (string, error) {
	if d := env("PITWALL_KEY_DIR"); d != "" {
		return d, nil
	}
	base, err := userConfigDir(env)
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "pitwall", "racectl"), nil
}

// userConfigDir is os.UserConfigDir read through env (tests pass their own).
func userConfigDir(env envFunc) (string, error) {
	if d := env("XDG_CONFIG_HOME"); d != "" {
		return d, nil
	}
	if h := env("HOME"); h != "" {
		return filepath.Join(h, ".config"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config dir: %w (set XDG_CONFIG_HOME or HOME)", err)
	}
	return d, nil
}

// keygen writes a new private key file (never over an existing one) and
// returns its path and key.
func keygen(dir, id string, role mqtt.Role) (string, mqtt.PrivateKeyFile, error) {
	if err := mqtt.ValidKeyID(id); err != nil {
		return "", mqtt.PrivateKeyFile{}, fmt.Errorf("--id: %w", err)
	}
	if role != mqtt.RoleAdmin && role != mqtt.RoleOfficial {
		return "", mqtt.PrivateKeyFile{}, fmt.Errorf("--role %q: want admin or official", role)
	}
	k, err := mqtt.GenerateKey(id, role, nil)
	if err != nil {
		return "", k, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", k, fmt.Errorf("create key dir: %w", err)
	}
	path := filepath.Join(dir, id+keyExt)
	// O_EXCL: a second keygen for the same id must not destroy the key
	// the tracksides already trust.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", k, fmt.Errorf("key file %s exists: remove it first to replace key %q (and update admin.keys on every trackside)", path, id)
		}
		return "", k, fmt.Errorf("create key file: %w", err)
	}
	_, err = f.Write(k.Marshal())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", k, fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return "", k, err
	}
	return path, k, nil
}

// resolveKey turns --key (a path, or a key id in dir) into a path. With no
// --key it takes the only key in dir.
func resolveKey(dir, key string) (string, error) {
	if key != "" {
		if strings.ContainsRune(key, os.PathSeparator) || strings.HasSuffix(key, keyExt) {
			return key, nil
		}
		return filepath.Join(dir, key+keyExt), nil
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*"+keyExt))
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no key in %s: run `racectl keygen --id <you> --role admin`, or pass --key", dir)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, p := range found {
		names[i] = strings.TrimSuffix(filepath.Base(p), keyExt)
	}
	return "", fmt.Errorf("several keys in %s (%s): pass --key <id>", dir, strings.Join(names, ", "))
}

// loadKey reads a key file, refusing one others may read.
func loadKey(path string) (mqtt.PrivateKeyFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return mqtt.PrivateKeyFile{}, fmt.Errorf("key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return mqtt.PrivateKeyFile{}, fmt.Errorf("key file %s has mode %v: others may read the private key; chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return mqtt.PrivateKeyFile{}, fmt.Errorf("key: %w", err)
	}
	k, err := mqtt.ParsePrivateKeyFile(b)
	if err != nil {
		return k, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// SeqFile hands out a key's sequence numbers, persisted beside the key.
//
// A number is written to disk (temporary file, fsync, rename, fsync of the
// directory) before it is returned, so a crash after signing can only skip
// numbers, never reuse one. An exclusive flock on the .lock file makes two
// racectl processes with the same key take turns. The next number is also
// at least the current Unix time in milliseconds: a lost or restored .seq
// file, or a key moved to a new laptop, then still signs numbers above
// every one used before (the trackside refuses a number not above the
// last it saw).
type SeqFile struct {
	Path string // the .seq file; the lock is Path with .lock instead
	Now  func() time.Time
}

// seqFileFor is the SeqFile beside key file path.
func seqFileFor(keyPath string) *SeqFile {
	return &SeqFile{Path: strings.TrimSuffix(keyPath, keyExt) + seqExt, Now: time.Now}
}

// Next takes the next number.
func (s *SeqFile) Next() (uint64, error) {
	lockPath := strings.TrimSuffix(s.Path, seqExt) + lockExt
	lock, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, fmt.Errorf("sequence lock: %w", err)
	}
	defer lock.Close() // releases the flock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return 0, fmt.Errorf("sequence lock %s: flock: %w", lockPath, err)
	}
	last, err := s.Last()
	if err != nil {
		return 0, err
	}
	next := last + 1
	if s.Now != nil {
		if ms := s.Now().UnixMilli(); ms > 0 && uint64(ms) > next {
			next = uint64(ms)
		}
	}
	if err := writeFileAtomic(s.Path, []byte(strconv.FormatUint(next, 10)+"\n"), 0o600); err != nil {
		return 0, fmt.Errorf("sequence: %w", err)
	}
	return next, nil
}

// Last is the last number taken, 0 when none was.
func (s *SeqFile) Last() (uint64, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sequence: %w", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		// Never guess: a guessed number could be one already used.
		return 0, fmt.Errorf("sequence file %s is damaged (%v): write a number above the last used (e.g. the current Unix time in ms) into it", s.Path, err)
	}
	return n, nil
}

// writeFileAtomic writes data to a temporary sibling of path, fsyncs it,
// renames it over path and fsyncs the directory: after a crash path holds
// the old or the new content, whole.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}
