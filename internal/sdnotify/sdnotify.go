// Package sdnotify speaks systemd's notify protocol (sd_notify(3)) in pure
// Go: one datagram of "KEY=value" lines to the unix socket named by
// $NOTIFY_SOCKET. The units run Type=notify with WatchdogSec=: READY=1
// tells systemd the daemon is up, and WATCHDOG=1 must then arrive at least
// every WatchdogSec or systemd kills and restarts it. Watchdog sends those
// pings only while the daemon's loops are alive (internal/heartbeat), so a
// hung daemon is restarted, not kept on life support by a ticker that has
// nothing to do with its work.
package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Notifier sends notifications to systemd. The zero value and a nil
// *Notifier (no $NOTIFY_SOCKET: not run by systemd) send nothing.
type Notifier struct {
	addr *net.UnixAddr
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET, or nil when it is unset.
// Names starting with @ are abstract sockets, as systemd writes them (Go
// maps the @ to the leading NUL byte).
func FromEnv() *Notifier {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	return &Notifier{addr: &net.UnixAddr{Name: name, Net: "unixgram"}}
}

// New returns a Notifier for the socket at path (tests; daemons use
// FromEnv).
func New(path string) *Notifier {
	return &Notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

// Send sends state, e.g. "READY=1" or "WATCHDOG=1\nSTATUS=racing".
func (n *Notifier) Send(state string) error {
	if n == nil || n.addr == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: dial %s: %w", n.addr.Name, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: write to %s: %w", n.addr.Name, err)
	}
	return nil
}

// WatchdogInterval is systemd's WatchdogSec for this process (from
// $WATCHDOG_USEC, when $WATCHDOG_PID is unset or this process), or 0 when
// the watchdog is off.
func WatchdogInterval() time.Duration {
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	return time.Duration(usec) * time.Microsecond
}

// Watchdog pings systemd's watchdog every interval/4 while healthy returns
// nil, until ctx ends. A healthy() error withholds the ping and is logged
// once per episode (systemd kills the daemon when the pings have stopped
// for the whole interval). interval 0 (watchdog off) returns at once.
func (n *Notifier) Watchdog(ctx context.Context, interval time.Duration, healthy func() error, log *slog.Logger) {
	if n == nil || interval <= 0 {
		return
	}
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(interval / 4)
	defer t.Stop()
	var withheld string
	for {
		if err := healthy(); err != nil {
			if msg := err.Error(); msg != withheld {
				log.Error("watchdog: not healthy, pings to systemd withheld (systemd restarts the unit if this lasts)", "err", err, "watchdog", interval)
				withheld = msg
			}
			n.Send("STATUS=unhealthy: " + oneLine(err.Error()))
		} else {
			if withheld != "" {
				log.Info("watchdog: healthy again")
				withheld = ""
			}
			if err := n.Send("WATCHDOG=1"); err != nil {
				log.Warn("watchdog ping", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
