// Command racectl is the admin's command line for pitwall: it signs admin
// commands with the admin's Ed25519 key, publishes them to the tracksides
// over MQTT and shows their replies. docs/admin.md documents it.
//
//	racectl keygen --id alice --role admin
//	racectl racer add --name "Zoë Smith" --display Zoë --country FR
//	racectl race load --track 1 --racer r-abcdefgh
//	racectl export csv --track 1 -o results.csv
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"pitwall/internal/version"
	"pitwall/mqtt"
)

// Exit statuses.
const (
	exitOK      = 0
	exitRefused = 1 // a trackside refused or failed the command
	exitUsage   = 2 // bad flags, config or key: nothing was sent
	exitNoReply = 3 // the broker or a trackside did not answer
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is racectl with its environment passed in (tests call it directly).
func run(ctx context.Context, args []string, env envFunc, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "racectl", version.Version)
		return exitOK
	}
	if args[0] == "keygen" {
		return runKeygen(args[1:], env, stdout, stderr)
	}
	c, rest, ok := findCommand(args)
	if !ok {
		fmt.Fprintf(stderr, "racectl: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		usage(stderr)
		return exitUsage
	}
	inv := &invocation{c: c, env: env, stdout: stdout, stderr: stderr}
	return inv.run(ctx, rest, stdin)
}

// invocation is one run of a signed command.
type invocation struct {
	c              command
	g              globalFlags
	track          string
	out            string
	raceID         bool
	env            envFunc
	stdout, stderr io.Writer
}

func (inv *invocation) run(ctx context.Context, rest []string, stdin io.Reader) int {
	fs := flag.NewFlagSet("racectl "+inv.c.path, flag.ContinueOnError)
	fs.SetOutput(inv.stderr)
	registerGlobal(fs, &inv.g)
	fs.StringVar(&inv.track, "track", "", "track id to send to")
	if inv.c.stream {
		fs.StringVar(&inv.out, "o", "", "output file (- for stdout)")
	}
	if inv.c.name == mqtt.CmdStatus {
		fs.BoolVar(&inv.raceID, "race-id", false, "print only the current race's id (needs --track)")
	}
	build := inv.c.flags(fs, cmdIO{stdin: stdin})
	fs.Usage = func() {
		fmt.Fprintf(inv.stderr, "racectl %s: %s\n\nFlags:\n", inv.c.path, inv.c.help)
		fs.PrintDefaults()
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		return inv.fail(usageErr("unexpected argument %q (values go after flags, e.g. --name \"Zoë Smith\")", fs.Arg(0)))
	}
	spec := mqtt.Commands[inv.c.name]
	if inv.track != "" {
		if err := mqtt.ValidID(inv.track); err != nil {
			return inv.fail(usageErr("--track: %v", err))
		}
	} else if !spec.Event {
		return inv.fail(usageErr("--track is needed: %s runs on one track", inv.c.path))
	}
	if inv.raceID && inv.track == "" {
		return inv.fail(usageErr("--race-id needs --track"))
	}
	if inv.c.stream {
		if inv.out == "" && (inv.c.name == mqtt.CmdBackup || inv.g.json) {
			return inv.fail(usageErr("-o is needed: the file to write"))
		}
		if inv.out == "" {
			inv.out = "-"
		}
	}
	a, err := build()
	if err != nil {
		return inv.fail(err)
	}
	s, err := resolveSettings(inv.g, inv.env, true)
	if err != nil {
		return inv.fail(&cliError{code: "config", err: err})
	}
	key, err := loadKey(s.KeyPath)
	if err != nil {
		return inv.fail(&cliError{code: "key", err: err})
	}
	signer := &mqtt.Signer{Key: key, NextSeq: seqFileFor(s.KeyPath).Next, Now: time.Now}

	// paho logs errors of its own on every disconnect; racectl reports
	// what failed itself, so the client's log is shown only on request.
	logTo := io.Discard
	if inv.env("PITWALL_DEBUG") != "" {
		logTo = inv.stderr
	}
	log := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ss, err := dial(ctx, s, signer, inv.stderr, inv.g.quiet || inv.g.json && inv.out == "-", log)
	if err != nil {
		return inv.fail(err)
	}
	defer ss.close()

	target, expect := mqtt.EventTarget, []string{inv.track}
	var offline []string
	if inv.track != "" {
		target = inv.track
	} else if expect = s.Tracks; len(expect) == 0 {
		if expect, offline, err = ss.discover(ctx); err != nil {
			return inv.fail(&cliError{code: "connect", err: err})
		}
		if len(expect) == 0 {
			return inv.fail(&cliError{code: "no_tracks", err: fmt.Errorf("no trackside is online on %s (no retained status): pass --tracks 1,2 or --track 1", s.Broker)})
		}
	}

	res := result{Cmd: inv.c.name, Target: target, Offline: offline}
	if ra, ok := a.(mqtt.RacerArgs); ok {
		res.RacerID = ra.ID
	}
	var sendArgs any = a
	if ia, ok := a.(importArgs); ok {
		sendArgs = ia.ImportArgs
	}
	cmd, replies, err := ss.send(ctx, target, inv.c.name, sendArgs, expect)
	if err != nil {
		return inv.fail(err)
	}
	res.ID = cmd.ID
	if aa, ok := a.(mqtt.AuditArgs); ok && aa.Limit == 0 {
		replies = inv.moreAudit(ctx, ss, target, aa, replies)
	}
	for _, r := range replies {
		res.Tracks = append(res.Tracks, inv.trackResult(r, a))
	}
	return inv.report(res)
}

func registerGlobal(fs *flag.FlagSet, g *globalFlags) {
	fs.StringVar(&g.config, "config", "", "config file (default $XDG_CONFIG_HOME/pitwall/racectl.json; env PITWALL_CONFIG)")
	fs.StringVar(&g.broker, "broker", "", "broker URL, tcp://host:1883 (env PITWALL_BROKER)")
	fs.StringVar(&g.username, "username", "", "broker user name (env PITWALL_USERNAME)")
	fs.StringVar(&g.passwordFile, "password-file", "", "file holding the broker password (env PITWALL_PASSWORD_FILE)")
	fs.StringVar(&g.secretFile, "secret-file", "", "the event secret; the broker password is derived from it (env PITWALL_SECRET_FILE)")
	fs.StringVar(&g.key, "key", "", "key id or key file (env PITWALL_KEY; default: the only key in the key dir)")
	fs.StringVar(&g.tracks, "tracks", "", "tracks an event-wide command waits for, e.g. 1,2 (env PITWALL_TRACKS; default: every online track)")
	fs.DurationVar(&g.timeout, "timeout", 0, "how long to wait for each reply (env PITWALL_TIMEOUT; default 5s)")
	fs.BoolVar(&g.json, "json", false, "machine-readable result on stdout")
	fs.BoolVar(&g.quiet, "q", false, "no progress on stderr; racer add prints only the new id")
}

// moreAudit fetches the next pages of an audit log until the unit says
// there are no more.
func (inv *invocation) moreAudit(ctx context.Context, ss *session, target string, a mqtt.AuditArgs, replies []trackReply) []trackReply {
	for len(replies) == 1 && replies[0].Err == nil && replies[0].Reply.OK {
		var page mqtt.AuditResult
		if err := json.Unmarshal(replies[0].Reply.Result, &page); err != nil || !page.More || len(page.Entries) == 0 {
			return replies
		}
		a.AfterID = page.Entries[len(page.Entries)-1].ID
		_, next, err := ss.send(ctx, target, mqtt.CmdAudit, a, []string{target})
		if err != nil || len(next) != 1 || next[0].Err != nil || !next[0].Reply.OK {
			if err == nil && len(next) == 1 {
				return next
			}
			replies[0].Err = fmt.Errorf("audit: next page after entry %d: %v", a.AfterID, err)
			return replies
		}
		var more mqtt.AuditResult
		if err := json.Unmarshal(next[0].Reply.Result, &more); err != nil {
			replies[0].Err = fmt.Errorf("audit: next page: %w", err)
			return replies
		}
		page.Entries, page.More = append(page.Entries, more.Entries...), more.More
		replies[0].Reply.Result, _ = json.Marshal(page)
	}
	return replies
}

// result is --json's output.
type result struct {
	OK      bool          `json:"ok"`
	Cmd     string        `json:"cmd,omitempty"`
	ID      string        `json:"id,omitempty"` // correlation id
	Target  string        `json:"target,omitempty"`
	RacerID string        `json:"racer_id,omitempty"`
	Tracks  []trackResult `json:"tracks,omitempty"`
	Offline []string      `json:"offline,omitempty"` // tracks whose status says offline: not asked
	Error   *jsonError    `json:"error,omitempty"`
}

type jsonError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type trackResult struct {
	Track  string          `json:"track"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *jsonError      `json:"error,omitempty"`
	File   string          `json:"file,omitempty"` // export/backup: where it was written
	Bytes  int             `json:"bytes,omitempty"`
	Chunks int             `json:"chunks,omitempty"`

	data  []byte
	lines map[int]int
}

func (inv *invocation) trackResult(r trackReply, a any) trackResult {
	tr := trackResult{Track: r.Track, OK: r.Err == nil && r.Reply.OK, Result: r.Reply.Result}
	if ia, ok := a.(importArgs); ok {
		tr.lines = ia.lines
		tr.Result = translateImportLines(tr.Result, ia.lines)
	}
	switch {
	case r.Err != nil:
		tr.Error = &jsonError{Code: codeOf(r.Err), Message: r.Err.Error()}
	case r.Reply.Error != nil:
		tr.Error = &jsonError{Code: string(r.Reply.Error.Code), Message: r.Reply.Error.Message}
	case !r.Reply.OK:
		tr.Error = &jsonError{Code: string(mqtt.CodeFailed), Message: "refused without a message"}
	}
	if tr.OK && inv.c.stream {
		tr.Bytes, tr.Chunks, tr.data = len(r.Data), r.Chunks, r.Data
		if inv.out != "-" {
			mode := os.FileMode(0o644)
			if ea, ok := a.(mqtt.ExportArgs); inv.c.name == mqtt.CmdBackup || ok && ea.Contacts {
				mode = 0o600 // personal data
			}
			if err := writeFileAtomic(inv.out, r.Data, mode); err != nil {
				tr.OK, tr.Error = false, &jsonError{Code: "write", Message: err.Error()}
			} else {
				tr.File = inv.out
			}
		}
	}
	return tr
}

// translateImportLines rewrites refusals' line numbers (of the CSV racectl
// sent) to the lines of the user's file.
func translateImportLines(raw json.RawMessage, lines map[int]int) json.RawMessage {
	if len(raw) == 0 || lines == nil {
		return raw
	}
	var ir mqtt.ImportResult
	if json.Unmarshal(raw, &ir) != nil {
		return raw
	}
	for i, r := range ir.Refused {
		if l, ok := lines[r.Line]; ok {
			ir.Refused[i].Line = l
		}
	}
	b, err := json.Marshal(ir)
	if err != nil {
		return raw
	}
	return b
}

func (inv *invocation) report(res result) int {
	res.OK = len(res.Tracks) > 0
	code := exitOK
	for _, t := range res.Tracks {
		if !t.OK {
			res.OK = false
			if t.Error != nil && t.Error.Code == "timeout" && code == exitOK {
				code = exitNoReply
			} else {
				code = exitRefused
			}
		}
	}
	if inv.g.json {
		if inv.out == "-" && len(res.Tracks) == 1 && res.Tracks[0].OK {
			inv.stdout.Write(res.Tracks[0].data)
			return code
		}
		enc := json.NewEncoder(inv.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
		return code
	}
	printHuman(inv, res)
	return code
}

// fail reports an error that stopped racectl before every reply was in.
func (inv *invocation) fail(err error) int {
	code := codeOf(err)
	if inv.g.json {
		enc := json.NewEncoder(inv.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(result{Cmd: inv.c.name, Error: &jsonError{Code: code, Message: err.Error()}})
	} else {
		fmt.Fprintf(inv.stderr, "racectl %s: %v\n", inv.c.path, err)
	}
	switch code {
	case "usage", "config", "key", "sign":
		return exitUsage
	case "timeout", "connect", "publish", "no_tracks":
		return exitNoReply
	}
	return exitRefused
}

func runKeygen(args []string, env envFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("racectl keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "key id, e.g. your name (lowercase letters, digits, - and _)")
	role := fs.String("role", "admin", "admin (everything) or official (races and laps)")
	dir := fs.String("dir", "", "directory for the key file (default $XDG_CONFIG_HOME/pitwall/racectl; env PITWALL_KEY_DIR)")
	asJSON := fs.Bool("json", false, "print the public key as JSON only")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(err error) int {
		if *asJSON {
			json.NewEncoder(stdout).Encode(result{Cmd: "keygen", Error: &jsonError{Code: "usage", Message: err.Error()}})
		} else {
			fmt.Fprintf(stderr, "racectl keygen: %v\n", err)
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *id == "" {
		return fail(errors.New("--id is needed"))
	}
	d := *dir
	if d == "" {
		var err error
		if d, err = keyDir(env); err != nil {
			return fail(err)
		}
	}
	path, k, err := keygen(d, *id, mqtt.Role(*role))
	if err != nil {
		return fail(err)
	}
	line, _ := json.Marshal(k.Authorized())
	if *asJSON {
		fmt.Fprintf(stdout, "%s\n", line)
		return exitOK
	}
	fmt.Fprintf(stderr, "racectl: wrote the private key to %s (mode 0600; it never leaves this machine)\n", path)
	fmt.Fprintf(stderr, "racectl: add this line to \"admin\": {\"keys\": [...]} in every trackside's config, then restart them:\n")
	fmt.Fprintf(stdout, "%s\n", line)
	return exitOK
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `racectl %s: signed admin commands for pitwall tracksides (docs/admin.md)

usage: racectl keygen --id <you> [--role admin|official]
       racectl <command> [flags]     (racectl <command> -h lists its flags)

Commands:
`, version.Version)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-24s %s\n", c.path, c.help)
	}
	fmt.Fprint(w, `
Every command takes --broker, --username, --secret-file (or --password-file),
--key, --track, --tracks, --timeout, --json and -q (flags > environment >
config file).
Exit status: 0 ok, 1 refused by a trackside, 2 bad flags/config/key
(nothing sent), 3 no reply or no broker.
`)
}
