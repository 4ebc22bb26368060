//go:build linux

package input

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The evdev ioctl requests (linux/input.h), built like the kernel's _IOC
// macros for the generic encoding (x86, arm, arm64, riscv).
const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'E'<<8 | nr }

func eviocgversion() uintptr             { return ioc(iocRead, 0x01, 4) }
func eviocgname(n int) uintptr           { return ioc(iocRead, 0x06, uintptr(n)) }
func eviocgmtslots(n int) uintptr        { return ioc(iocRead, 0x0a, uintptr(n)) }
func eviocgkey(n int) uintptr            { return ioc(iocRead, 0x18, uintptr(n)) }
func eviocgbit(ev uint16, n int) uintptr { return ioc(iocRead, 0x20+uintptr(ev), uintptr(n)) }
func eviocgabs(abs uint16) uintptr       { return ioc(iocRead, 0x40+uintptr(abs), unsafe.Sizeof(AbsInfo{})) }
func eviocsclockid() uintptr             { return ioc(iocWrite, 0xa0, 4) }

// Dir is the Source of the running system's event devices in /dev/input.
type Dir struct {
	// Path defaults to /dev/input.
	Path string
}

func (s Dir) dir() string {
	if s.Path == "" {
		return "/dev/input"
	}
	return s.Path
}

// List returns the event* nodes, sorted.
func (s Dir) List() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(s.dir(), "event*"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.dir(), err)
	}
	sort.Strings(paths)
	return paths, nil
}

// Open opens an evdev node read-only. The file is in the runtime's poller,
// so Close interrupts a blocked Read.
func (s Dir) Open(path string) (Device, error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("open input device: %w", err)
	}
	d := &evdev{f: f}
	var version int32
	if err := d.ioctl(eviocgversion(), unsafe.Pointer(&version)); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: EVIOCGVERSION: not an evdev device: %w", path, err)
	}
	// Timestamps from CLOCK_MONOTONIC (default is CLOCK_REALTIME): a
	// long-press then survives a clock step from NTP, and the long-press
	// timer can read the same clock.
	clock := int32(unix.CLOCK_MONOTONIC)
	if err := d.ioctl(eviocsclockid(), unsafe.Pointer(&clock)); err != nil {
		// Kernels before 3.4 cannot switch: the device still works, but its
		// long-presses fire at the next event or the lift, not on a timer.
		return d, nil
	}
	return monotonicEvdev{d}, nil
}

type evdev struct{ f *os.File }

// monotonicEvdev is an evdev whose timestamps come from CLOCK_MONOTONIC,
// so the long-press timer can read the same clock.
type monotonicEvdev struct{ *evdev }

func (d *evdev) ioctl(req uintptr, arg unsafe.Pointer) error {
	rc, err := d.f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

func (d *evdev) Read(p []byte) (int, error) { return d.f.Read(p) }
func (d *evdev) Close() error               { return d.f.Close() }
func (d *evdev) Layout() Layout             { return NativeLayout() }

func (d *evdev) Name() (string, error) {
	buf := make([]byte, 256)
	if err := d.ioctl(eviocgname(len(buf)), unsafe.Pointer(&buf[0])); err != nil {
		return "", fmt.Errorf("%s: EVIOCGNAME: %w", d.f.Name(), err)
	}
	for i, b := range buf {
		if b == 0 {
			return string(buf[:i]), nil
		}
	}
	return string(buf), nil
}

func (d *evdev) Bits(evType uint16) ([]byte, error) {
	buf := make([]byte, keyCount/8) // the largest bitmap this package reads (EV_KEY)
	if err := d.ioctl(eviocgbit(evType, len(buf)), unsafe.Pointer(&buf[0])); err != nil {
		return nil, fmt.Errorf("%s: EVIOCGBIT(%d): %w", d.f.Name(), evType, err)
	}
	return buf, nil
}

func (d *evdev) AbsInfo(code uint16) (AbsInfo, error) {
	var a AbsInfo
	if err := d.ioctl(eviocgabs(code), unsafe.Pointer(&a)); err != nil {
		return a, fmt.Errorf("%s: EVIOCGABS(%#x): %w", d.f.Name(), code, err)
	}
	return a, nil
}

func (d *evdev) MTSlots(code uint16, n int) ([]int32, error) {
	// struct input_mt_request_layout { __u32 code; __s32 values[n]; }
	buf := make([]int32, n+1)
	buf[0] = int32(code)
	if err := d.ioctl(eviocgmtslots(4*len(buf)), unsafe.Pointer(&buf[0])); err != nil {
		return nil, fmt.Errorf("%s: EVIOCGMTSLOTS(%#x): %w", d.f.Name(), code, err)
	}
	return buf[1:], nil
}

func (d *evdev) KeyState() ([]byte, error) {
	buf := make([]byte, keyCount/8)
	if err := d.ioctl(eviocgkey(len(buf)), unsafe.Pointer(&buf[0])); err != nil {
		return nil, fmt.Errorf("%s: EVIOCGKEY: %w", d.f.Name(), err)
	}
	return buf, nil
}

// Now reads CLOCK_MONOTONIC, the clock Open switched the timestamps to.
func (monotonicEvdev) Now() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
