package socket

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"pitwall/trackside/console/api"
	"pitwall/trackside/race"
)

// handler runs one command for the official who.
type handler func(ctx context.Context, who string, args json.RawMessage) error

// commandTimeout bounds one command: the writer commits within
// milliseconds, unless the store is failing.
const commandTimeout = 10 * time.Second

// do runs one request of connection c.
func (s *Server) do(ctx context.Context, c *conn, req api.Request) api.Message {
	switch req.Cmd {
	case api.CmdUnlock:
		var a api.UnlockArgs
		if err := decode(req.Args, &a); err != nil {
			return api.Message{Error: err.Error()}
		}
		m := s.unlock(a.PIN)
		if m.OK {
			c.who = m.Official
			s.log.Info("console unlocked", "official", c.who)
		}
		return m
	case api.CmdLock:
		if c.who != "" {
			s.log.Info("console locked", "official", c.who)
		}
		c.who = ""
		return api.Message{OK: true}
	}
	h := s.cmd[req.Cmd]
	if h == nil {
		return api.Message{Error: fmt.Sprintf("unknown command %q", req.Cmd)}
	}
	if c.who == "" {
		return api.Message{Error: "locked: unlock with a PIN first"}
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if err := h(ctx, c.who, req.Args); err != nil {
		s.log.Info("console command refused", "cmd", req.Cmd, "official", c.who, "err", err)
		return api.Message{Error: err.Error()}
	}
	if changesRacers[req.Cmd] {
		s.racerList(true) // the list reads every race: only when it changed
	}
	s.push(true)
	return api.Message{OK: true}
}

// changesRacers are the commands after which the racer list (names, runs)
// is read again at once; otherwise it is refreshed every two seconds.
var changesRacers = map[string]bool{api.CmdRacerAdd: true, api.CmdLoad: true, api.CmdStart: true, api.CmdDiscard: true}

// decode reads a command's arguments, refusing unknown fields: a typo must
// not silently become a default.
func decode(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("arguments: %w", err)
	}
	return nil
}

// handlers is the dispatch table: command name → track API call. It has
// the admin commands' names and argument shapes (trackside/admin on the
// admin branch runs the same calls for signed MQTT commands).
func (s *Server) handlers() map[string]handler {
	t := s.cfg.Track
	noArgs := func(fn func(ctx context.Context, who string) (race.Effect, error)) handler {
		return func(ctx context.Context, who string, raw json.RawMessage) error {
			if err := decode(raw, &struct{}{}); err != nil {
				return err
			}
			_, err := fn(ctx, who)
			return err
		}
	}
	lap := func(fn func(ctx context.Context, who string, a api.LapArgs) error) handler {
		return func(ctx context.Context, who string, raw json.RawMessage) error {
			var a api.LapArgs
			if err := decode(raw, &a); err != nil {
				return err
			}
			if a.Race == "" || a.No < 0 {
				return errors.New("arguments: race and lap number needed")
			}
			return fn(ctx, who, a)
		}
	}
	lapTime := func(a api.LapArgs) (time.Duration, error) {
		if a.Time == "" {
			return 0, errors.New("arguments: time needed")
		}
		return api.ParseLapTime(a.Time)
	}
	return map[string]handler{
		api.CmdRacerAdd: func(ctx context.Context, who string, raw json.RawMessage) error {
			var a api.RacerArgs
			if err := decode(raw, &a); err != nil {
				return err
			}
			a.Name = strings.TrimSpace(a.Name)
			if a.Name == "" {
				return errors.New("arguments: a name is needed")
			}
			if a.Email != "" || a.Phone != "" || a.FullName != "" {
				return errors.New("arguments: contact details and full names are entered by admins (racer.contact), not at the console")
			}
			if a.ID == "" {
				a.ID = newRacerID()
			}
			r := race.Racer{ID: a.ID, Name: a.Name, Country: a.Country}
			if err := race.ValidateRacer(r); err != nil {
				return fmt.Errorf("arguments: %w", err)
			}
			return t.AddRacer(ctx, who, r)
		},
		api.CmdQueue: func(ctx context.Context, who string, raw json.RawMessage) error {
			var a api.RacerIDArgs
			if err := decode(raw, &a); err != nil {
				return err
			}
			return t.Queue(ctx, who, a.ID)
		},
		api.CmdUnqueue: func(ctx context.Context, who string, raw json.RawMessage) error {
			var a api.RacerIDArgs
			if err := decode(raw, &a); err != nil {
				return err
			}
			return t.Unqueue(ctx, who, a.ID)
		},
		api.CmdLoad: func(ctx context.Context, who string, raw json.RawMessage) error {
			var a api.LoadArgs
			if err := decode(raw, &a); err != nil {
				return err
			}
			var err error
			if a.Racer == "" {
				_, err = t.Load(ctx, who)
			} else {
				_, err = t.LoadRacer(ctx, who, a.Racer)
			}
			return err
		},
		api.CmdBind: func(ctx context.Context, who string, raw json.RawMessage) error {
			var a api.BindArgs
			if err := decode(raw, &a); err != nil {
				return err
			}
			_, err := t.BindTransponder(ctx, who, strings.TrimSpace(a.Transponder))
			return err
		},
		api.CmdStart:  noArgs(t.Start),
		api.CmdPause:  noArgs(t.Pause),
		api.CmdResume: noArgs(t.Resume),
		api.CmdReset: func(ctx context.Context, who string, raw json.RawMessage) error {
			var a api.ResetArgs
			if err := decode(raw, &a); err != nil {
				return err
			}
			if a.Delta != 1 && a.Delta != -1 {
				return fmt.Errorf("arguments: delta %d is not 1 or -1", a.Delta)
			}
			_, err := t.Reset(ctx, who, a.Delta)
			return err
		},
		api.CmdCapture:         noArgs(t.Capture),
		api.CmdUndoFalseFinish: noArgs(t.UndoFalseFinish),
		api.CmdDNF:             noArgs(t.DNF),
		api.CmdEnd:             noArgs(t.End),
		api.CmdSubmit:          noArgs(t.Submit),
		api.CmdDiscard:         noArgs(t.Discard),
		api.CmdLapEdit: lap(func(ctx context.Context, who string, a api.LapArgs) error {
			d, err := lapTime(a)
			if err != nil {
				return err
			}
			_, err = t.EditLap(ctx, who, a.Race, a.No, d)
			return err
		}),
		api.CmdLapValid: lap(func(ctx context.Context, who string, a api.LapArgs) error {
			if a.Valid == nil {
				return errors.New("arguments: valid needed")
			}
			_, err := t.SetLapValid(ctx, who, a.Race, a.No, *a.Valid)
			return err
		}),
		api.CmdLapDelete: lap(func(ctx context.Context, who string, a api.LapArgs) error {
			_, err := t.DeleteLap(ctx, who, a.Race, a.No)
			return err
		}),
		api.CmdLapRestore: lap(func(ctx context.Context, who string, a api.LapArgs) error {
			_, err := t.RestoreLap(ctx, who, a.Race, a.No)
			return err
		}),
		api.CmdLapSplit: lap(func(ctx context.Context, who string, a api.LapArgs) error {
			d, err := lapTime(a)
			if err != nil {
				return err
			}
			_, err = t.SplitLap(ctx, who, a.Race, a.No, d)
			return err
		}),
		api.CmdLapAdd: lap(func(ctx context.Context, who string, a api.LapArgs) error {
			d, err := lapTime(a)
			if err != nil {
				return err
			}
			_, err = t.AddLap(ctx, who, a.Race, a.No, d)
			return err
		}),
	}
}

// newRacerID names a racer added at the console: "c-" and 8 random hex
// digits (the registry's own ids come from admins' imports).
func newRacerID() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("c-%x", b)
}
