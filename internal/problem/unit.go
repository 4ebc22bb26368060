package problem

import (
	"log/slog"
	"os"

	"pitwall/internal/sdnotify"
	"pitwall/internal/version"
)

// ProblemFileEnv names the environment variable that lists a file whose
// content, when not empty, is a problem found before the daemon started:
// the SD image's bootconf writes the role file's problem there, and runs
// the kiosk (whose screen shows it) when the role is unset.
const ProblemFileEnv = "PITWALL_PROBLEM_FILE"

// ForUnit returns the Screen a daemon (role "kiosk" or "trackside") uses
// at start: footer with host name and version, the problem file from
// $PITWALL_PROBLEM_FILE, and systemd told READY with watchdog pings while
// it waits (a unit showing a problem is doing what it should: a restart
// would only blank the screen).
func ForUnit(role, fb string, open func(path string, log *slog.Logger) (Output, error), notify *sdnotify.Notifier) *Screen {
	host, _ := os.Hostname()
	s := &Screen{
		Role: role, FB: fb, Open: open,
		Footer: host + " · pitwall " + role + " " + version.Version,
		Alive: func(status string) {
			notify.Send("READY=1\nWATCHDOG=1\nSTATUS=" + status)
		},
	}
	if f := os.Getenv(ProblemFileEnv); f != "" {
		s.ProblemFiles = []string{f}
	}
	return s
}
