//go:build linux

package input

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The request numbers as linux/input.h's _IOR/_IOW/_IOC macros compute them
// on x86, arm and arm64 (EVIOCGABS(ABS_X) = 0x80184540 and EVIOCGNAME(256) =
// 0x81004506 are the values libevdev and evtest use).
func TestIoctlNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"EVIOCGVERSION", eviocgversion(), 0x80044501},
		{"EVIOCGNAME(256)", eviocgname(256), 0x81004506},
		{"EVIOCGBIT(0, 96)", eviocgbit(0, 96), 0x80604520},
		{"EVIOCGBIT(EV_ABS, 96)", eviocgbit(EvAbs, 96), 0x80604523},
		{"EVIOCGABS(ABS_MT_POSITION_X)", eviocgabs(AbsMTPositionX), 0x80184575},
		{"EVIOCGABS(ABS_X)", eviocgabs(AbsX), 0x80184540},
		{"EVIOCGKEY(96)", eviocgkey(96), 0x80604518},
		{"EVIOCGMTSLOTS(44)", eviocgmtslots(44), 0x802c450a},
		{"EVIOCSCLOCKID", eviocsclockid(), 0x400445a0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestDirListsEventNodes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"event10", "event2", "mice", "by-id"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Dir{Path: dir}.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "event10"), filepath.Join(dir, "event2")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
}

func TestDirOpenRejectsNonEvdev(t *testing.T) {
	_, err := Dir{}.Open("/dev/null")
	if err == nil || !strings.Contains(err.Error(), "EVIOCGVERSION: not an evdev device") {
		t.Errorf("open /dev/null: %v", err)
	}
	_, err = Dir{}.Open(filepath.Join(t.TempDir(), "event0"))
	if err == nil || !strings.Contains(err.Error(), "open input device") {
		t.Errorf("open missing node: %v", err)
	}
}

// Dir.Open opens nodes with os.OpenFile, which puts pollable files (evdev
// nodes, FIFOs) in the runtime's poller: Close must end a Read blocked on
// a quiet device, or Run could not stop. A FIFO stands in for the node.
func TestCloseEndsABlockedRead(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "event0")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(fifo, os.O_RDWR, 0) // RDWR: the open does not wait for a writer
	if err != nil {
		t.Fatal(err)
	}
	d := &evdev{f: f}
	done := make(chan error, 1)
	go func() {
		_, err := d.Read(make([]byte, 24))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the Read block (the test passes either way)
	d.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("read ended with %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the blocked Read")
	}
}
