//go:build linux

// Package smallfs mounts a small real filesystem (tmpfs) for tests that must
// run out of disk space for real: ENOSPC from the kernel, not from a fake.
// Mounting needs root (or CAP_SYS_ADMIN); without it Mount skips the test
// with a loud message, or fails it when PITWALL_REQUIRE_MOUNT=1.
package smallfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// EnvRequire makes Mount fail rather than skip when it is "1".
const EnvRequire = "PITWALL_REQUIRE_MOUNT"

// Mount mounts a tmpfs of size bytes on a new temporary directory and
// unmounts it when the test ends.
func Mount(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size))
	if err != nil {
		msg := fmt.Sprintf("SKIPPED: cannot mount a %d-byte tmpfs to run out of space for real (needs root): %v", size, err)
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes a file in dir until the filesystem is full and returns a
// function that frees the space again.
func Fill(t testing.TB, dir string) (free func()) {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		_, err := f.Write(chunk)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			f.Close()
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	// The last blocks, smaller than a chunk.
	for _, err := f.Write(chunk[:4096]); err == nil; _, err = f.Write(chunk[:4096]) {
	}
	f.Close()
	return func() {
		if err := os.Remove(name); err != nil {
			t.Errorf("free %s: %v", dir, err)
		}
	}
}
