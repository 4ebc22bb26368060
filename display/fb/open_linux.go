package fb

import (
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

// Open maps the framebuffer device at path (usually /dev/fb0) and switches
// the console to graphics mode for as long as it is open. log may be nil
// (slog.Default()).
func Open(path string, log *slog.Logger) (*Framebuffer, error) {
	if log == nil {
		log = slog.Default()
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open framebuffer: %w", err)
	}
	info, err := readScreenInfo(int(f.Fd()))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("framebuffer %s: %w", path, err)
	}
	if err := info.Validate(); err != nil {
		f.Close()
		return nil, fmt.Errorf("framebuffer %s: %w", path, err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, info.MemLen, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mmap framebuffer %s (%d bytes): %w", path, info.MemLen, err)
	}
	fb, err := OpenMemory(info, mem)
	if err != nil {
		unix.Munmap(mem)
		f.Close()
		return nil, fmt.Errorf("framebuffer %s: %w", path, err)
	}
	fb.closers = append(fb.closers, f.Close, func() error {
		if err := unix.Munmap(mem); err != nil {
			return fmt.Errorf("munmap framebuffer %s: %w", path, err)
		}
		return nil
	})
	if restore := consoleGraphics(log); restore != nil {
		fb.closers = append(fb.closers, restore)
	}
	log.Info("framebuffer open", "device", path, "driver", info.ID, "size", fmt.Sprintf("%dx%d", info.Width, info.Height),
		"bpp", info.BitsPerPixel, "line_length", info.LineLength)
	return fb, nil
}
