// Package problem shows why a unit cannot start on the unit's own screen,
// and retries when the file at fault changes. At a venue the person in
// front of a kiosk or trackside has a screen and an SD card, not a
// terminal: a unit that exited on a bad config would be restarted by
// systemd every few seconds with a blank screen, and nobody would know
// which file to edit. Instead the process stays up, draws the error (which
// names the file and the key) and what to do, and tries again as soon as
// one of the files it depends on changes.
//
// Both the kiosk and the trackside use it around their config loading and
// start-up (cmd/kiosk, cmd/trackside).
package problem

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pitwall/display"
)

// Output is a screen to draw the problem on: the framebuffer.
type Output interface {
	display.Sink
	Bounds() image.Rectangle
	Close() error
}

// Screen shows start-up problems and waits for them to be fixed.
type Screen struct {
	// Role names the unit in the title: "kiosk" or "trackside".
	Role string
	// FB is the framebuffer device to draw on; "" draws nothing (the
	// problem is still logged and retried).
	FB string
	// Open opens FB. A failure (no screen, no permission) is logged once
	// and the problem is only logged.
	Open func(path string, log *slog.Logger) (Output, error)
	// Log receives every problem, once per distinct message.
	Log *slog.Logger
	// Poll is how often the watched files are checked; 0 means 1 s.
	Poll time.Duration
	// Alive is called at every poll while waiting (the watchdog's "still
	// running" ping), with a status line for systemd. May be nil.
	Alive func(status string)
	// RetryEvery replaces DefaultRetryEvery (tests).
	RetryEvery time.Duration
	// Footer is the small print (host name, version).
	Footer string
	// Extra files whose change also triggers a retry, and whose content,
	// when not empty, is itself a problem (bootconf writes the role file's
	// problem into one). Missing files are no problem.
	ProblemFiles []string
}

// DefaultRetryEvery is how often a Transient problem is retried without a
// file change.
const DefaultRetryEvery = 5 * time.Second

// transient is a problem that may go away by itself (no broker found yet):
// retried every RetryEvery as well as on a file change.
type transient struct{ error }

func (t transient) Unwrap() error { return t.error }

// Transient marks err as one that may go away by itself.
func Transient(err error) error { return transient{err} }

// withFix carries its own steps for the screen.
type withFix struct {
	error
	title string
	fix   []string
}

func (w withFix) Unwrap() error { return w.error }

// WithFix gives err its own title and steps on the screen, for problems
// that are not fixed by editing the config (a damaged database).
func WithFix(err error, title string, steps ...string) error {
	return withFix{err, title, steps}
}

// Until calls try until it returns nil, and returns nil; or returns
// ctx.Err() when ctx ends first. After each failure it shows the error on
// the screen and waits until one of watch (the config file, usually) or
// ProblemFiles changes. The screen is closed before Until returns, so the
// caller can open it for its own use.
func (s *Screen) Until(ctx context.Context, watch []string, try func() error) error {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	poll := s.Poll
	if poll <= 0 {
		poll = time.Second
	}
	var out Output
	var ren *display.Renderer
	defer func() {
		if out != nil {
			out.Close()
		}
	}()
	files := append(append([]string{}, watch...), s.ProblemFiles...)
	lastShown := ""
	openTried := false
	for {
		err := s.fileProblem()
		if err == nil {
			err = try()
		}
		if err == nil {
			if lastShown != "" {
				log.Info("problem solved: starting", "role", s.Role)
			}
			return nil
		}
		before := fingerprint(files)
		p := s.Describe(err, watch)
		if msg := err.Error(); msg != lastShown {
			log.Error("cannot start: showing the problem on the screen until a file changes", "err", err, "screen", s.FB, "files", files)
			lastShown = msg
			if !openTried && s.FB != "" && s.Open != nil {
				openTried = true
				o, oerr := s.Open(s.FB, log)
				if oerr != nil {
					log.Warn("no screen to show the problem on", "err", oerr)
				} else {
					out = o
					sz := out.Bounds().Size()
					if ren, oerr = display.NewRenderer(sz.X, sz.Y); oerr != nil {
						log.Warn("no screen to show the problem on", "err", oerr)
						out.Close()
						out = nil
					}
				}
			}
			if out != nil {
				if serr := out.Show(ren.Frame(), ren.RenderProblem(p)); serr != nil {
					log.Warn("showing the problem", "err", serr)
				}
			}
		}
		// Wait for a change.
		t := time.NewTicker(poll)
		var retryAt <-chan time.Time
		if errors.As(err, new(transient)) {
			every := s.RetryEvery
			if every <= 0 {
				every = DefaultRetryEvery
			}
			retryAt = time.After(every)
		}
		why := "a watched file changed: trying again"
		for changed := false; !changed; {
			if s.Alive != nil {
				s.Alive("waiting: " + oneLine(err.Error()))
			}
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			case <-retryAt:
				changed, why = true, "trying again (the problem may have gone by itself)"
				continue
			}
			changed = !bytes.Equal(fingerprint(files), before)
		}
		t.Stop()
		log.Info(why, "role", s.Role)
	}
}

// fileProblem returns the first non-empty ProblemFiles content as an error.
func (s *Screen) fileProblem() error {
	for _, f := range s.ProblemFiles {
		b, err := os.ReadFile(f)
		if err == nil && len(bytes.TrimSpace(b)) > 0 {
			return &bootError{file: f, msg: strings.TrimSpace(string(b))}
		}
	}
	return nil
}

// bootError is a problem bootconf found (the role file): its text already
// names the boot partition's file.
type bootError struct{ file, msg string }

func (e *bootError) Error() string { return e.msg }

// Describe turns an error into the screen's text: what is wrong (the error
// names the file and key) and which file on the boot partition to edit.
func (s *Screen) Describe(err error, watch []string) display.Problem {
	role := s.Role
	if role == "" {
		role = "unit"
	}
	p := display.Problem{
		Title:  fmt.Sprintf("This %s cannot start", role),
		Detail: err.Error(),
		Footer: s.Footer,
	}
	retry := "This screen tries again by itself as soon as the file changes."
	var wf withFix
	if errors.As(err, &wf) {
		if wf.title != "" {
			p.Title = wf.title
		}
		p.Fix = wf.fix
		return p
	}
	if errors.As(err, new(transient)) {
		p.Fix = []string{"This screen tries again every few seconds by itself."}
		return p
	}
	var be *bootError
	if errors.As(err, &be) {
		p.Title = "This unit has no role"
		p.Fix = []string{
			"Put this unit's SD card in a laptop. For a screen, copy pitwall/kiosk.json.example to pitwall/kiosk.json on its boot partition; for a track, trackside.json.example to trackside.json.",
			"Or write one word into pitwall-role.txt: trackside or kiosk. Save, put the card back and power the unit on.",
		}
		return p
	}
	file := ""
	if len(watch) > 0 {
		file = watch[0]
	}
	where := BootName(file)
	if errors.Is(err, fs.ErrNotExist) && strings.Contains(err.Error(), file) {
		p.Detail = fmt.Sprintf("%s is missing.", file)
		p.Fix = []string{
			fmt.Sprintf("Put this unit's SD card in a laptop: on its boot partition copy %s.example to %s and edit it (docs/venue.md).", where, where),
			"Put the card back and power the unit on. " + retry,
		}
		return p
	}
	p.Fix = []string{
		fmt.Sprintf("Edit %s: fix the key named above (the SD card's boot partition, in any laptop).", where),
		"Put the card back and power the unit on. " + retry,
	}
	return p
}

// BootName says where the user edits the file at path: the SD image copies
// the boot partition's pitwall/ folder to /etc/pitwall at every boot.
func BootName(file string) string {
	if rest, ok := strings.CutPrefix(file, "/etc/pitwall/"); ok {
		return "pitwall/" + rest + " on the boot partition (/etc/pitwall/" + rest + " on a Debian install)"
	}
	if file == "" {
		return "the config file"
	}
	return file
}

// fingerprint identifies the files' current contents (absent files too);
// a directory stands for the files in it (/etc/pitwall: the config and the
// secret it names).
func fingerprint(files []string) []byte {
	h := sha256.New()
	var all []string
	for _, f := range files {
		if ents, err := os.ReadDir(f); err == nil {
			for _, e := range ents {
				all = append(all, filepath.Join(f, e.Name()))
			}
			continue
		}
		all = append(all, f)
	}
	for _, f := range all {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(h, "%s\x00absent:%v\x00", f, errors.Is(err, fs.ErrNotExist))
			continue
		}
		var mtime int64
		if st, err := os.Stat(f); err == nil {
			mtime = st.ModTime().UnixNano()
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", f, len(b), mtime)
		h.Write(b)
	}
	return h.Sum(nil)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
