//go:build !linux

package fb

import (
	"errors"
	"fmt"
	"log/slog"
)

// Open fails: framebuffer devices exist only on Linux. Use the PNG or HTTP
// preview outputs elsewhere.
func Open(path string, log *slog.Logger) (*Framebuffer, error) {
	return nil, fmt.Errorf("open framebuffer %s: Linux framebuffer devices are only available on Linux: %w", path, errors.ErrUnsupported)
}
