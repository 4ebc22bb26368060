//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"fmt"
	"io"
	"os"
	"time"
)

// removeUnlocked cannot tell on this system whether another process is
// still writing name, so it leaves the file alone and says why.
func removeUnlocked(name string) (bool, error) {
	return false, fmt.Errorf("leftover %s not removed: no flock on this system", name)
}

// lockTemp has nothing to do where removeUnlocked never removes.
func lockTemp(*os.File) error { return nil }

func lockShared(f *os.File, exclusive bool, timeout time.Duration) error { return nil }

func mapFile(f *os.File, size int64) (io.ReaderAt, func(), error) { return f, func() {}, nil }
