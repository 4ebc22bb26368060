package fb

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

// Console modes of <linux/kd.h>. In graphics mode the kernel stops drawing
// console text and the blinking cursor into the framebuffer.
const (
	kdSetMode  = 0x4B3A // KDSETMODE
	kdGetMode  = 0x4B3B // KDGETMODE
	kdText     = 0x00   // KD_TEXT
	kdGraphics = 0x01   // KD_GRAPHICS
)

// consoleGraphics switches the foreground virtual console to graphics mode
// and returns the function that switches it back. It is best effort: a
// kiosk without a console, or without the rights to change it, still shows
// the board (the console may then scribble over it), so failures are
// logged, not returned. A console already in graphics mode (X, another
// kiosk) is left alone and not restored.
func consoleGraphics(log *slog.Logger) (restore func() error) {
	var errs []error
	// Standard input first: a service given its own VT (systemd TTYPath=,
	// StandardInput=tty) may switch that one without the rights to open
	// /dev/tty0 (root:tty 0620). A stdin that is no VT fails KDGETMODE and
	// the next candidate is tried.
	for _, path := range []string{"stdin", "/dev/tty0", "/dev/console"} {
		f, err := openConsole(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fd := int(f.Fd())
		mode, err := unix.IoctlGetInt(fd, kdGetMode)
		if err != nil {
			f.Close()
			errs = append(errs, fmt.Errorf("KDGETMODE on %s: %w", path, err))
			continue
		}
		if mode == kdGraphics {
			f.Close()
			log.Info("console already in graphics mode; leaving it", "tty", path)
			return nil
		}
		if err := unix.IoctlSetInt(fd, kdSetMode, kdGraphics); err != nil {
			f.Close()
			errs = append(errs, fmt.Errorf("KDSETMODE KD_GRAPHICS on %s: %w", path, err))
			continue
		}
		log.Info("console switched to graphics mode", "tty", path)
		return func() error {
			defer f.Close()
			if err := unix.IoctlSetInt(fd, kdSetMode, kdText); err != nil {
				return fmt.Errorf("KDSETMODE KD_TEXT on %s: %w", path, err)
			}
			return nil
		}
	}
	log.Warn("console stays in text mode: its text and cursor may paint over the board", "err", errors.Join(errs...))
	return nil
}

// openConsole opens a console candidate; "stdin" is a duplicate of fd 0, so
// closing it leaves standard input alone.
func openConsole(path string) (*os.File, error) {
	if path == "stdin" {
		fd, err := unix.Dup(0)
		if err != nil {
			return nil, fmt.Errorf("dup stdin: %w", err)
		}
		return os.NewFile(uintptr(fd), "stdin"), nil
	}
	return os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
}
