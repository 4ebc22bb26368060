package kiosk_test

import (
	"log/slog"
	"os"
	"testing"
)

type slogLogger = slog.Logger

// newTestLogger logs errors only, to stderr: the units under test keep
// logging from their goroutines after a test ends, where t.Log would panic.
func newTestLogger(testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}
