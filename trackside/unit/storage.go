package unit

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/store"
)

// Storage health. A full data partition must not stop the unit (under
// systemd it would restart every 2 s into the same full disk, announcing
// itself online each time): below the free-space floor the unit stays up
// and online, records crossings for as long as the disk takes them, refuses
// to arm (load or start) a race, and says "storage full" in its status;
// below four times the floor it warns. Free space is read every health
// check (2 s), so the unit resumes by itself when space returns.

// DefaultMinFree is storage.min_free when it is not set: a race day's
// crossings and races take a few MB, so 64 MiB leaves room for the race in
// progress to finish and for a backup's temporary file to be noticed.
const DefaultMinFree = 64 << 20

// warnFactor: the low-space warning comes at this multiple of the floor.
const warnFactor = 4

// StorageConfig is the "storage" section of the config file.
type StorageConfig struct {
	// MinFree is the free-space floor of the partition of data_dir, as
	// bytes (a number) or a string with a unit: "64MB", "512MiB", "1GB".
	MinFree *ByteSize `json:"min_free,omitempty"`
}

// minFree is the floor in bytes.
func (c StorageConfig) minFree() uint64 {
	if c.MinFree == nil {
		return DefaultMinFree
	}
	return uint64(*c.MinFree)
}

func (c StorageConfig) validate() error {
	if c.MinFree != nil && (*c.MinFree < 1<<20 || *c.MinFree > 1<<40) {
		return fmt.Errorf("min_free: %s is outside 1MiB..1TiB", *c.MinFree)
	}
	return nil
}

// ByteSize is a size in bytes, written in config files as a number of
// bytes or a string such as "64MB" or "1.5GiB". MB and MiB both mean 2^20:
// nobody sizing a free-space floor means the difference.
type ByteSize uint64

func (b ByteSize) String() string {
	switch {
	case b >= 1<<30 && b%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", b>>30)
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", b>>20)
	case b >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%dB", uint64(b))
}

// UnmarshalJSON accepts 67108864 or "64MB".
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	var n json.Number
	if err := json.Unmarshal(data, &n); err == nil {
		v, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil {
			return fmt.Errorf("%s is not a whole number of bytes", n)
		}
		*b = ByteSize(v)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return errors.New(`want a number of bytes or a size such as "64MB"`)
	}
	v, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// ParseByteSize reads "64MB", "512 MiB", "1.5G", "4096" (bytes).
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	}
	mult := map[string]float64{"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10,
		"M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
		"T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v < 0 || v*mult >= 1<<63 {
		return 0, fmt.Errorf("%q is not a size such as \"64MB\"", s)
	}
	return ByteSize(v * mult), nil
}

// FreeSpace reports the bytes an unprivileged writer may still use on the
// filesystem holding dir.
type FreeSpace func(dir string) (uint64, error)

// statfsFree is FreeSpace from statfs(2): blocks available to non-root
// (the unit runs as user pitwall, so the root reserve is not its to use).
func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// storageWatch keeps the data partition's health.
type storageWatch struct {
	dir   string
	floor uint64
	free  FreeSpace
	log   *slog.Logger

	mu      sync.Mutex
	state   string
	since   time.Time // when state last changed
	bytes   uint64
	statErr error
}

func newStorageWatch(dir string, cfg StorageConfig, free FreeSpace, log *slog.Logger) *storageWatch {
	if free == nil {
		free = statfsFree
	}
	w := &storageWatch{dir: dir, floor: cfg.minFree(), free: free, log: log}
	w.check()
	return w
}

// check reads the free space now and logs a change of state.
func (w *storageWatch) check() (state string, free uint64, err error) {
	free, err = w.free(w.dir)
	switch {
	case err != nil:
		// Unknown free space: do not refuse races on a guess; the error is
		// in the status and the log.
		state = mqtt.StorageOK
	case free < w.floor:
		state = mqtt.StorageFull
	case free < warnFactor*w.floor:
		state = mqtt.StorageLow
	default:
		state = mqtt.StorageOK
	}
	w.mu.Lock()
	prev, prevErr := w.state, w.statErr
	if state != prev {
		w.since = time.Now()
	}
	w.state, w.bytes, w.statErr = state, free, err
	w.mu.Unlock()
	attrs := []any{"dir", w.dir, "free", ByteSize(free).String(), "min_free", ByteSize(w.floor).String()}
	switch {
	case err != nil && prevErr == nil:
		w.log.Warn("storage: cannot read free space", "dir", w.dir, "err", err)
	case state == prev:
	case state == mqtt.StorageFull:
		w.log.Error("storage full: below storage.min_free; races are not armed until space is freed", attrs...)
	case state == mqtt.StorageLow:
		w.log.Warn("storage low: free space is below 4 × storage.min_free; free some space before it runs out", attrs...)
	case prev != "":
		w.log.Info("storage: free space is back", attrs...)
	}
	return state, free, err
}

// armGuard refuses to arm a race while the partition is below the floor.
// It reads the free space afresh: the official who just freed space must
// not wait for the next health check.
func (w *storageWatch) armGuard() error {
	state, free, _ := w.check()
	if state == mqtt.StorageFull {
		return fmt.Errorf("storage full: %s free on %s, below storage.min_free %s; free some space (old backups, logs) and try again",
			ByteSize(free), w.dir, ByteSize(w.floor))
	}
	return nil
}

// status is the storage part of the unit's status.
func (w *storageWatch) status(lastWrite *store.WriteError) *mqtt.StorageStatus {
	w.mu.Lock()
	since := w.since
	st := &mqtt.StorageStatus{State: w.state, FreeBytes: w.bytes, MinFreeBytes: w.floor}
	if w.statErr != nil {
		st.Detail = w.statErr.Error()
	} else if w.state == mqtt.StorageFull {
		st.Detail = "storage full: races are not armed"
	} else if w.state == mqtt.StorageLow {
		st.Detail = "storage low"
	}
	w.mu.Unlock()
	if lastWrite != nil {
		st.LastWriteError = lastWrite.Err.Error()
		st.LastWriteErrorAt = lastWrite.At.UnixMilli()
		if errors.Is(lastWrite.Err, store.ErrNoSpace) && st.State != mqtt.StorageFull && lastWrite.At.After(since) {
			// The disk said no even above the floor (a floor set too low,
			// another writer filling it between checks), and the free
			// space has not changed state since.
			st.State, st.Detail = mqtt.StorageFull, "storage full: the last commit found no space"
		}
	}
	return st
}
