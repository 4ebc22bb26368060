// Package logging builds the slog logger every pitwall command uses.
package logging

import (
	"fmt"
	"io"
	"log/slog"
)

// New returns a logger writing text or JSON records of at least level
// ("debug", "info", "warn", "error") to w.
func New(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log_level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format: %q is not text or json", format)
}
