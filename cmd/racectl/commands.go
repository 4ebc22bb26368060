package main

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"pitwall/mqtt"
	"pitwall/trackside/race"
)

// command is one racectl subcommand: the words that name it, the signed
// command it sends, and its flags.
type command struct {
	path  string // "racer add"
	name  string // mqtt command name
	help  string
	flags func(fs *flag.FlagSet, io cmdIO) argsFunc
	// stream: the reply is a chunked file (export, backup), written to -o.
	stream bool
}

// argsFunc builds the command's arguments once flags are parsed; it
// checks them before anything is sent.
type argsFunc func() (any, error)

// cmdIO is what an argsFunc may read (racer import reads the CSV).
type cmdIO struct {
	stdin io.Reader
}

func noArgs(*flag.FlagSet, cmdIO) argsFunc { return func() (any, error) { return nil, nil } }

func need(flagName, v string) error {
	if strings.TrimSpace(v) == "" {
		return usageErr("--%s is needed", flagName)
	}
	return nil
}

// checkTransponder refuses, before anything is sent, a transponder id no
// decoder reports ("" is none).
func checkTransponder(tr string) error {
	if tr == "" {
		return nil
	}
	if err := race.ValidateTransponder(tr); err != nil {
		return usageErr("--transponder: %v", err)
	}
	return nil
}

func usageErr(format string, a ...any) error {
	return &cliError{code: "usage", err: fmt.Errorf(format, a...)}
}

// optional is a string flag that knows whether it was given ("" clears).
type optional struct {
	v   string
	set bool
}

func (o *optional) String() string     { return o.v }
func (o *optional) Set(s string) error { o.v, o.set = s, true; return nil }
func (o *optional) ptr() *string {
	if !o.set {
		return nil
	}
	return &o.v
}

// racerID registers --id (and its alias --racer) for racer commands.
func racerID(fs *flag.FlagSet) *string {
	var id string
	fs.StringVar(&id, "id", "", "racer id (as `racer add` printed it)")
	fs.StringVar(&id, "racer", "", "same as --id")
	return &id
}

// newRacerID makes an event-wide racer id: "r-" and 8 random base32
// characters (40 bits), the same on every track.
func newRacerID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "r-" + strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

func lapFlags(fs *flag.FlagSet, withTime bool, lapName string) (race *string, no *int, t *string) {
	race = fs.String("race", "", "race id (see `racectl status` or `racectl audit`)")
	no = fs.Int(lapName, 0, "lap number (1 is the first lap)")
	if withTime {
		t = fs.String("time", "", "lap time, e.g. 9.512s")
	}
	return
}

func lapArgs(race string, no int, t *string, lapName string, minNo int) (mqtt.LapArgs, error) {
	if err := need("race", race); err != nil {
		return mqtt.LapArgs{}, err
	}
	if no < minNo {
		return mqtt.LapArgs{}, usageErr("--%s %d: want %d or more", lapName, no, minNo)
	}
	a := mqtt.LapArgs{Race: race, No: no}
	if t != nil {
		if err := need("time", *t); err != nil {
			return a, err
		}
		a.Time = *t
	}
	return a, nil
}

// rule flags of `rules set`: flag name (key with - for _) and kind.
var ruleFlags = []struct{ key, kind, help string }{
	{"duration", "duration", "race duration, e.g. 3m"},
	{"start_mode", "string", "how a race starts (see docs/trackside.md rules)"},
	{"expiry", "string", "what happens when time is up"},
	{"grace", "duration", "grace period"},
	{"crossing_resumes", "bool", "a crossing resumes a paused race"},
	{"reset_mode", "string", "how off-track resets count"},
	{"max_resets_per_lap", "int", "resets allowed per lap"},
	{"reset_penalty", "duration", "penalty per reset"},
	{"min_lap", "duration", "shortest lap counted"},
	{"max_runs", "int", "races per racer"},
	{"enforce_max_runs", "bool", "refuse races beyond max_runs"},
	{"ranking", "string", "best_lap, best_average or total (see docs/trackside.md)"},
	{"rank_laps", "int", "laps averaged by best_average"},
}

// commands is every subcommand; TestEveryCommandHasASubcommand checks it
// covers mqtt.Commands.
var commands = []command{
	{path: "status", name: mqtt.CmdStatus, help: "state of each trackside (every online one, or --track)", flags: noArgs},

	{path: "racer add", name: mqtt.CmdRacerAdd, help: "add a racer on every track; prints the new racer id",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			var a mqtt.RacerArgs
			fs.StringVar(&a.ID, "id", "", "racer id (default: a new one, r-xxxxxxxx)")
			fs.StringVar(&a.FullName, "name", "", "full name (private: admins only)")
			fs.StringVar(&a.Name, "display", "", "name on the boards (public), required")
			fs.StringVar(&a.Country, "country", "", "ISO 3166-1 alpha-2 country, e.g. FR (public)")
			fs.StringVar(&a.Email, "email", "", "email (private)")
			fs.StringVar(&a.Phone, "phone", "", "phone (private)")
			return func() (any, error) {
				if err := need("display", a.Name); err != nil {
					return nil, fmt.Errorf("%w (the public name on the boards; --name, the full name, stays private)", err)
				}
				if a.ID == "" {
					a.ID = newRacerID()
				}
				return a, nil
			}
		}},
	{path: "racer update", name: mqtt.CmdRacerUpdate, help: "change a racer's names or country (only the flags given)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			id := racerID(fs)
			var name, display, country optional
			fs.Var(&name, "name", "full name (private)")
			fs.Var(&display, "display", "name on the boards (public)")
			fs.Var(&country, "country", "country (public)")
			return func() (any, error) {
				if err := need("id", *id); err != nil {
					return nil, err
				}
				if !name.set && !display.set && !country.set {
					return nil, usageErr("nothing to change: give --name, --display or --country")
				}
				return mqtt.RacerUpdateArgs{ID: *id, FullName: name.ptr(), Name: display.ptr(), Country: country.ptr()}, nil
			}
		}},
	{path: "racer contact", name: mqtt.CmdRacerContact, help: "set a racer's email or phone (\"\" clears)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			id := racerID(fs)
			var email, phone optional
			fs.Var(&email, "email", "email (private)")
			fs.Var(&phone, "phone", "phone (private)")
			return func() (any, error) {
				if err := need("id", *id); err != nil {
					return nil, err
				}
				if !email.set && !phone.set {
					return nil, usageErr("nothing to change: give --email or --phone")
				}
				return mqtt.RacerContactArgs{ID: *id, Email: email.ptr(), Phone: phone.ptr()}, nil
			}
		}},
	{path: "racer transponder", name: mqtt.CmdRacerTransponder, help: "set a racer's transponder (car), bound to their races at load (\"\" clears)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			id := racerID(fs)
			var tr optional
			fs.Var(&tr, "transponder", "transponder / car number as the decoder reports it (\"\" clears)")
			return func() (any, error) {
				if err := need("id", *id); err != nil {
					return nil, err
				}
				if !tr.set {
					return nil, usageErr("--transponder is needed (--transponder \"\" clears it)")
				}
				if err := checkTransponder(tr.v); err != nil {
					return nil, err
				}
				return mqtt.RacerTransponderArgs{ID: *id, Transponder: tr.v}, nil
			}
		}},
	racerIDCommand("racer disqualify", mqtt.CmdRacerDisqualify, "disqualify a racer (off every board)"),
	racerIDCommand("racer reinstate", mqtt.CmdRacerReinstate, "undo a disqualification"),
	racerIDCommand("racer remove", mqtt.CmdRacerRemove, "remove a racer who has no races"),
	racerIDCommand("racer show", mqtt.CmdRacerShow, "a racer with contact details"),
	{path: "racer import", name: mqtt.CmdRacerImport, help: "add or update racers from a CSV (--dry-run: check only)", flags: importFlags},

	racerIDCommand("race queue", mqtt.CmdQueue, "put a racer at the end of the queue"),
	racerIDCommand("race unqueue", mqtt.CmdUnqueue, "take a racer off the queue"),
	{path: "race load", name: mqtt.CmdLoad, help: "load a racer (default: the next in the queue)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			r := fs.String("racer", "", "racer id (default: next in the queue)")
			return func() (any, error) { return mqtt.LoadArgs{Racer: *r}, nil }
		}},
	{path: "race bind", name: mqtt.CmdBind, help: "bind the loaded race to a transponder before its start (--unbind: learn the first car)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			tr := fs.String("transponder", "", "transponder / car number as the decoder reports it")
			unbind := fs.Bool("unbind", false, "no transponder: the race learns the first one that crosses")
			return func() (any, error) {
				if (*tr == "") == !*unbind {
					return nil, usageErr("give --transponder or --unbind")
				}
				if err := checkTransponder(*tr); err != nil {
					return nil, err
				}
				return mqtt.BindArgs{Transponder: *tr}, nil
			}
		}},
	{path: "race start", name: mqtt.CmdStart, help: "start the loaded race", flags: noArgs},
	{path: "race pause", name: mqtt.CmdPause, help: "pause the race", flags: noArgs},
	{path: "race resume", name: mqtt.CmdResume, help: "resume a paused race", flags: noArgs},
	{path: "race reset", name: mqtt.CmdReset, help: "count an off-track reset (--delta -1 takes one back)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			d := fs.Int("delta", 1, "1 adds a reset, -1 removes one")
			return func() (any, error) {
				if *d != 1 && *d != -1 {
					return nil, usageErr("--delta %d: want 1 or -1", *d)
				}
				return mqtt.ResetArgs{Delta: *d}, nil
			}
		}},
	{path: "race capture", name: mqtt.CmdCapture, help: "record a lap by hand (a missed crossing)", flags: noArgs},
	{path: "race undo-false-finish", name: mqtt.CmdUndoFalseFinish, help: "undo a false finish", flags: noArgs},
	{path: "race dnf", name: mqtt.CmdDNF, help: "end the race as did not finish", flags: noArgs},
	{path: "race end", name: mqtt.CmdEnd, help: "end the race", flags: noArgs},
	{path: "race submit", name: mqtt.CmdSubmit, help: "submit the ended race to the standings", flags: noArgs},
	{path: "race discard", name: mqtt.CmdDiscard, help: "discard the race", flags: noArgs},
	{path: "race reassign", name: mqtt.CmdReassign, help: "give a race to another racer",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			race := fs.String("race", "", "race id")
			r := fs.String("racer", "", "racer id to give it to")
			return func() (any, error) {
				if err := errors.Join(need("race", *race), need("racer", *r)); err != nil {
					return nil, usageErr("%v", err)
				}
				return mqtt.ReassignArgs{Race: *race, Racer: *r}, nil
			}
		}},

	{path: "lap edit", name: mqtt.CmdLapEdit, help: "change a lap's time",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			race, no, t := lapFlags(fs, true, "lap")
			return func() (any, error) { return lapArgs(*race, *no, t, "lap", 1) }
		}},
	{path: "lap valid", name: mqtt.CmdLapValid, help: "mark a lap valid (--valid=true) or invalid (--valid=false)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			race, no, _ := lapFlags(fs, false, "lap")
			v := fs.String("valid", "", "true or false")
			return func() (any, error) {
				a, err := lapArgs(*race, *no, nil, "lap", 1)
				if err != nil {
					return nil, err
				}
				b, err := strconv.ParseBool(*v)
				if err != nil {
					return nil, usageErr("--valid %q: want true or false", *v)
				}
				a.Valid = &b
				return a, nil
			}
		}},
	{path: "lap delete", name: mqtt.CmdLapDelete, help: "soft-delete a lap (lap restore undoes it)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			race, no, _ := lapFlags(fs, false, "lap")
			return func() (any, error) { return lapArgs(*race, *no, nil, "lap", 1) }
		}},
	{path: "lap restore", name: mqtt.CmdLapRestore, help: "restore a deleted lap",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			race, no, _ := lapFlags(fs, false, "lap")
			return func() (any, error) { return lapArgs(*race, *no, nil, "lap", 1) }
		}},
	{path: "lap add", name: mqtt.CmdLapAdd, help: "add a missed lap after lap --after (0: first)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			race, no, t := lapFlags(fs, true, "after")
			return func() (any, error) { return lapArgs(*race, *no, t, "after", 0) }
		}},
	{path: "lap split", name: mqtt.CmdLapSplit, help: "split a lap in two; --time is the first part",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			race, no, t := lapFlags(fs, true, "lap")
			return func() (any, error) { return lapArgs(*race, *no, t, "lap", 1) }
		}},

	{path: "rules set", name: mqtt.CmdRulesSet, help: "change the event's rules (for races created from now on)",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			vals := map[string]*optional{}
			for _, r := range ruleFlags {
				o := &optional{}
				vals[r.key] = o
				fs.Var(o, strings.ReplaceAll(r.key, "_", "-"), r.help+" ("+r.kind+")")
			}
			return func() (any, error) {
				out := map[string]any{}
				for _, r := range ruleFlags {
					o := vals[r.key]
					if !o.set {
						continue
					}
					name := "--" + strings.ReplaceAll(r.key, "_", "-")
					switch r.kind {
					case "int":
						n, err := strconv.Atoi(o.v)
						if err != nil {
							return nil, usageErr("%s %q: want a whole number", name, o.v)
						}
						out[r.key] = n
					case "bool":
						b, err := strconv.ParseBool(o.v)
						if err != nil {
							return nil, usageErr("%s %q: want true or false", name, o.v)
						}
						out[r.key] = b
					default:
						out[r.key] = o.v
					}
				}
				if len(out) == 0 {
					return nil, usageErr("nothing to change: give at least one rule flag (racectl rules set -h)")
				}
				b, err := json.Marshal(out)
				return json.RawMessage(b), err
			}
		}},
	{path: "pin set", name: mqtt.CmdPINSet, help: "set an official's console PIN (--remove deletes it)",
		flags: func(fs *flag.FlagSet, cio cmdIO) argsFunc {
			official := fs.String("official", "", "official's id")
			pin := fs.String("pin", "", "PIN of 4-12 digits; - reads it from stdin (keeps it out of the shell history)")
			remove := fs.Bool("remove", false, "remove the official's PIN")
			return func() (any, error) {
				if err := need("official", *official); err != nil {
					return nil, err
				}
				switch {
				case *remove && *pin != "":
					return nil, usageErr("--pin and --remove exclude each other")
				case *remove:
					return mqtt.PINArgs{Official: *official}, nil
				case *pin == "-":
					b, err := io.ReadAll(io.LimitReader(cio.stdin, 64))
					if err != nil {
						return nil, fmt.Errorf("read PIN from stdin: %w", err)
					}
					*pin = strings.TrimSpace(string(b))
				}
				if err := need("pin", *pin); err != nil {
					return nil, fmt.Errorf("%w (or --remove)", err)
				}
				return mqtt.PINArgs{Official: *official, PIN: *pin}, nil
			}
		}},

	{path: "export csv", name: mqtt.CmdExportCSV, help: "results as CSV, one row per lap (-o file)", stream: true, flags: exportFlags},
	{path: "export json", name: mqtt.CmdExportJSON, help: "racers and races as JSON (-o file)", stream: true, flags: exportFlags},
	{path: "backup", name: mqtt.CmdBackup, help: "a copy of the running unit's database (-o file.db)", stream: true, flags: noArgs},
	{path: "audit", name: mqtt.CmdAudit, help: "the audit log, filtered by --race, --racer, --who",
		flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
			var a mqtt.AuditArgs
			fs.StringVar(&a.Race, "race", "", "only entries about this race")
			fs.StringVar(&a.Racer, "racer", "", "only entries about this racer")
			fs.StringVar(&a.Who, "who", "", "only entries by this key id")
			fs.Uint64Var(&a.AfterID, "after", 0, "only entries after this entry id")
			fs.IntVar(&a.Limit, "limit", 0, "at most this many entries (default: all, fetched 1000 at a time)")
			return func() (any, error) {
				if a.Limit < 0 {
					return nil, usageErr("--limit %d: want 0 (all) or more", a.Limit)
				}
				return a, nil
			}
		}},
}

func racerIDCommand(path, name, help string) command {
	return command{path: path, name: name, help: help, flags: func(fs *flag.FlagSet, _ cmdIO) argsFunc {
		id := racerID(fs)
		return func() (any, error) {
			if err := need("id", *id); err != nil {
				return nil, err
			}
			return mqtt.RacerIDArgs{ID: *id}, nil
		}
	}}
}

func exportFlags(fs *flag.FlagSet, _ cmdIO) argsFunc {
	contacts := fs.Bool("contacts", false, "include email and phone (keep the file private)")
	return func() (any, error) { return mqtt.ExportArgs{Contacts: *contacts}, nil }
}

func importFlags(fs *flag.FlagSet, cio cmdIO) argsFunc {
	path := fs.String("csv", "", "CSV file (- for stdin); columns id, name, display_name, email, phone, country, transponder")
	dry := fs.Bool("dry-run", false, "check every row and change nothing; lists each row that would be refused")
	return func() (any, error) {
		if err := need("csv", *path); err != nil {
			return nil, err
		}
		var data []byte
		var err error
		if *path == "-" {
			data, err = io.ReadAll(io.LimitReader(cio.stdin, mqtt.MaxCommand+1))
		} else {
			data, err = os.ReadFile(*path)
		}
		if err != nil {
			return nil, &cliError{code: "usage", err: fmt.Errorf("--csv: %w", err)}
		}
		filled, lines, err := fillRacerIDs(data)
		if err != nil {
			return nil, &cliError{code: "usage", err: fmt.Errorf("--csv %s: %w", *path, err)}
		}
		return importArgs{ImportArgs: mqtt.ImportArgs{CSV: string(filled), DryRun: *dry}, lines: lines}, nil
	}
}

// findCommand matches the first one or two words of args.
func findCommand(args []string) (command, []string, bool) {
	for _, n := range []int{2, 1} {
		if len(args) < n {
			continue
		}
		path := strings.Join(args[:n], " ")
		for _, c := range commands {
			if c.path == path {
				return c, args[n:], true
			}
		}
	}
	return command{}, nil, false
}
