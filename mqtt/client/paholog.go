package client

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// paho logs through package-level variables shared by every client in the
// process. They are replaced once, at init (before any client of the
// process can read them), by adapters that forward to the logger in
// pahoSink, so that a later client can change the destination without a
// data race on paho's variables. paho's DEBUG stays silent: it logs every
// packet.
var (
	// routine lists paho warnings that describe normal operation (its
	// in-memory store is wiped on every clean-session connect, and a late
	// acknowledgement finds its message already gone); they go to Debug
	// so that a unit's log is not filled with them.
	routine = []string{"wiped", "not found"}

	// unreachable lists paho errors that only say the broker cannot be
	// reached, repeated at every retry (every few seconds for as long as a
	// venue's broker is down). The unit's own log and status already say
	// the broker is away, so these go to Warn, not Error.
	unreachable = []string{"connection refused", "Failed to connect to a broker", "i/o timeout", "no route to host", "network is unreachable"}

	pahoSink atomic.Pointer[slog.Logger]
)

func init() {
	paho.CRITICAL = pahoLogger{level: slog.LevelError, pahoLevel: "critical"}
	paho.ERROR = pahoLogger{level: slog.LevelError, pahoLevel: "error"}
	paho.WARN = pahoLogger{level: slog.LevelWarn, pahoLevel: "warn"}
}

func routePahoLogs(log *slog.Logger) { pahoSink.Store(log) }

// pahoLogger implements paho.Logger on top of slog.
type pahoLogger struct {
	level     slog.Level
	pahoLevel string
}

func (l pahoLogger) Println(v ...any) {
	l.emit(strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

func (l pahoLogger) Printf(format string, v ...any) {
	l.emit(fmt.Sprintf(format, v...))
}

func (l pahoLogger) emit(msg string) {
	log := pahoSink.Load()
	if log == nil {
		log = slog.Default()
	}
	level := l.level
	switch {
	case level == slog.LevelWarn && containsAny(msg, routine):
		level = slog.LevelDebug
	case l.pahoLevel == "error" && containsAny(msg, unreachable):
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "paho: "+msg, "paho_level", l.pahoLevel)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
