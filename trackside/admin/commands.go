package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/pin"
	"pitwall/trackside/race"
	"pitwall/trackside/racercsv"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// result of a command: a JSON result, or streamed chunks already sent.
type result struct {
	raw      json.RawMessage
	streamed bool
}

type exec func(ctx context.Context) (result, error)

func ok() (result, error) { return result{}, nil }

func asResult(v any) (result, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return result{}, fmt.Errorf("encode result: %w", err)
	}
	return result{raw: b}, nil
}

// args decodes a command's arguments strictly: unknown fields are refused,
// so a typo never silently does something else.
func args(cmd mqtt.Command, v any) error {
	raw := cmd.Args
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return mqtt.Errorf(mqtt.CodeBadArgs, "%s: args: %v", cmd.Name, err)
	}
	return nil
}

func badArgs(cmd mqtt.Command, format string, a ...any) error {
	return mqtt.Errorf(mqtt.CodeBadArgs, "%s: %s", cmd.Name, fmt.Sprintf(format, a...))
}

func duration(cmd mqtt.Command, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, badArgs(cmd, "time %q: want a duration such as 12.345s", s)
	}
	return d, nil
}

// prepare checks a verified command's arguments and returns what runs it.
// Every exec goes through the track with the command's sequence number, so
// its effect, its audit entry and its sequence are one transaction.
func prepare(h *Handler, cmd mqtt.Command) (exec, error) {
	t, who := h.o.Track, cmd.Key
	engine := func(fn func(ctx context.Context, who string) (race.Effect, error)) (exec, error) {
		if err := args(cmd, &struct{}{}); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) { _, err := fn(ctx, who); return result{}, err }, nil
	}
	switch cmd.Name {
	case mqtt.CmdStatus:
		if err := args(cmd, &struct{}{}); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) {
			if err := t.Record(ctx, who, cmd.Name, ""); err != nil {
				return result{}, err
			}
			return asResult(h.status())
		}, nil

	case mqtt.CmdRacerAdd:
		var a mqtt.RacerArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		r := race.Racer{ID: a.ID, Name: a.Name, FullName: a.FullName, Country: a.Country, Email: a.Email, Phone: a.Phone}
		if err := race.ValidateRacer(r); err != nil {
			return nil, badArgs(cmd, "%v", err)
		}
		return func(ctx context.Context) (result, error) { return result{}, t.AddRacer(ctx, who, r) }, nil
	case mqtt.CmdRacerUpdate:
		var a mqtt.RacerUpdateArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) {
			return result{}, t.UpdateRacer(ctx, who, cmd.Name, a.ID, func(r *race.Racer) error {
				set(&r.Name, a.Name)
				set(&r.FullName, a.FullName)
				set(&r.Country, a.Country)
				return nil
			})
		}, nil
	case mqtt.CmdRacerContact:
		var a mqtt.RacerContactArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) {
			return result{}, t.UpdateRacer(ctx, who, cmd.Name, a.ID, func(r *race.Racer) error {
				set(&r.Email, a.Email)
				set(&r.Phone, a.Phone)
				return nil
			})
		}, nil
	case mqtt.CmdRacerTransponder:
		var a mqtt.RacerTransponderArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		tr := strings.TrimSpace(a.Transponder)
		if tr != "" {
			if err := race.ValidateTransponder(tr); err != nil {
				return nil, badArgs(cmd, "%v", err)
			}
		}
		return func(ctx context.Context) (result, error) {
			return result{}, t.UpdateRacer(ctx, who, cmd.Name, a.ID, func(r *race.Racer) error {
				r.Transponder = tr
				return nil
			})
		}, nil
	case mqtt.CmdRacerDisqualify, mqtt.CmdRacerReinstate:
		var a mqtt.RacerIDArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		dq := cmd.Name == mqtt.CmdRacerDisqualify
		return func(ctx context.Context) (result, error) { return result{}, t.Disqualify(ctx, who, a.ID, dq) }, nil
	case mqtt.CmdRacerRemove:
		var a mqtt.RacerIDArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) { return result{}, t.RemoveRacer(ctx, who, a.ID) }, nil
	case mqtt.CmdRacerShow:
		var a mqtt.RacerIDArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) {
			if err := t.Record(ctx, who, cmd.Name, a.ID); err != nil {
				return result{}, err
			}
			var r race.Racer
			var found bool
			if err := h.o.Store.View(func(tx *store.Tx) (err error) { r, found, err = tx.Racer(a.ID); return err }); err != nil {
				return result{}, err
			}
			if !found {
				return result{}, fmt.Errorf("no racer %q", a.ID)
			}
			return asResult(mqtt.RacerResult{ID: r.ID, Name: r.Name, FullName: r.FullName, Country: r.Country,
				Email: r.Email, Phone: r.Phone, Transponder: r.Transponder, Disqualified: r.Disqualified})
		}, nil
	case mqtt.CmdRacerImport:
		return prepareImport(h, cmd)

	case mqtt.CmdQueue, mqtt.CmdUnqueue:
		var a mqtt.RacerIDArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		fn := t.Queue
		if cmd.Name == mqtt.CmdUnqueue {
			fn = t.Unqueue
		}
		return func(ctx context.Context) (result, error) { return result{}, fn(ctx, who, a.ID) }, nil
	case mqtt.CmdLoad:
		var a mqtt.LoadArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) {
			if a.Racer == "" {
				_, err := t.Load(ctx, who)
				return result{}, err
			}
			_, err := t.LoadRacer(ctx, who, a.Racer)
			return result{}, err
		}, nil
	case mqtt.CmdBind:
		var a mqtt.BindArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		tr := strings.TrimSpace(a.Transponder)
		if tr != "" {
			if err := race.ValidateTransponder(tr); err != nil {
				return nil, badArgs(cmd, "%v", err)
			}
		}
		return func(ctx context.Context) (result, error) {
			_, err := t.BindTransponder(ctx, who, tr)
			return result{}, err
		}, nil
	case mqtt.CmdStart:
		return engine(t.Start)
	case mqtt.CmdPause:
		return engine(t.Pause)
	case mqtt.CmdResume:
		return engine(t.Resume)
	case mqtt.CmdCapture:
		return engine(t.Capture)
	case mqtt.CmdUndoFalseFinish:
		return engine(t.UndoFalseFinish)
	case mqtt.CmdDNF:
		return engine(t.DNF)
	case mqtt.CmdEnd:
		return engine(t.End)
	case mqtt.CmdSubmit:
		return engine(t.Submit)
	case mqtt.CmdDiscard:
		return engine(t.Discard)
	case mqtt.CmdReset:
		var a mqtt.ResetArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		if a.Delta != 1 && a.Delta != -1 {
			return nil, badArgs(cmd, "delta %d: want 1 or -1", a.Delta)
		}
		return func(ctx context.Context) (result, error) { _, err := t.Reset(ctx, who, a.Delta); return result{}, err }, nil
	case mqtt.CmdReassign:
		var a mqtt.ReassignArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) {
			_, err := t.Reassign(ctx, who, a.Race, a.Racer)
			return result{}, err
		}, nil

	case mqtt.CmdLapEdit, mqtt.CmdLapValid, mqtt.CmdLapDelete, mqtt.CmdLapRestore, mqtt.CmdLapAdd, mqtt.CmdLapSplit:
		return prepareLap(h, cmd)

	case mqtt.CmdRulesSet:
		var a Rules
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) {
			cur, err := t.Rules(ctx)
			if err != nil {
				return result{}, err
			}
			// SetRules validates (the engine refuses bad rules) in the
			// transaction that checks the sequence and audits.
			next := a.Over(cur)
			if err := t.SetRules(ctx, who, next); err != nil {
				return result{}, err
			}
			return asResult(next)
		}, nil
	case mqtt.CmdPINSet:
		var a mqtt.PINArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		if err := mqtt.ValidID(a.Official); err != nil {
			return nil, badArgs(cmd, "official: %v", err)
		}
		var hashed []byte
		if a.PIN != "" {
			var err error
			if hashed, err = pin.Hash(a.PIN); err != nil {
				return nil, badArgs(cmd, "%v", err)
			}
		}
		return func(ctx context.Context) (result, error) {
			return result{}, t.PutSetting(ctx, who, cmd.Name, pin.Setting(a.Official), hashed)
		}, nil

	case mqtt.CmdExportCSV, mqtt.CmdExportJSON:
		var a mqtt.ExportArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		o := store.ExportOptions{Contacts: a.Contacts}
		write := h.o.Store.WriteCSV
		if cmd.Name == mqtt.CmdExportJSON {
			write = h.o.Store.WriteJSON
		}
		target := "public"
		if a.Contacts {
			target = "with contact details"
		}
		return h.stream(cmd, target, func(w io.Writer) error { return write(w, o) }), nil
	case mqtt.CmdBackup:
		if err := args(cmd, &struct{}{}); err != nil {
			return nil, err
		}
		return h.stream(cmd, "", func(w io.Writer) error { _, err := h.o.Store.Backup(w); return err }), nil
	case mqtt.CmdAudit:
		var a mqtt.AuditArgs
		if err := args(cmd, &a); err != nil {
			return nil, err
		}
		if a.Limit <= 0 || a.Limit > 1000 {
			a.Limit = 1000
		}
		return func(ctx context.Context) (result, error) {
			if err := t.Record(ctx, who, cmd.Name, ""); err != nil {
				return result{}, err
			}
			res, err := queryAudit(h.o.Store, a)
			if err != nil {
				return result{}, err
			}
			return asResult(res)
		}, nil
	}
	// Verify refuses names outside mqtt.Commands; a name there without a
	// case above is a bug of this build, answered as unknown.
	return nil, mqtt.Errorf(mqtt.CodeUnknownCommand, "%s is not implemented by this trackside", cmd.Name)
}

// refusal is a refusal before the track that carries a result (the rows an
// import refuses).
type refusal struct {
	*mqtt.CommandError
	raw json.RawMessage
}

func (r refusal) Unwrap() error { return r.CommandError }

func set(dst *string, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}

// stream runs a read from one store snapshot (a read transaction: the unit
// keeps committing meanwhile) and sends it as chunked replies.
func (h *Handler) stream(cmd mqtt.Command, target string, write func(io.Writer) error) exec {
	return func(ctx context.Context) (result, error) {
		if err := h.o.Track.Record(ctx, cmd.Key, cmd.Name, target); err != nil {
			return result{}, err
		}
		cw := mqtt.NewChunkWriter(func(c mqtt.Chunk) error {
			r := mqtt.Reply{Track: h.o.Track.ID(), ID: cmd.ID, Cmd: cmd.Name, OK: true, Chunk: &c}
			b, err := mqtt.EncodeReply(r)
			if err != nil {
				return err
			}
			return h.o.Publish(mqtt.AdminResp(r.Track), b)
		})
		if err := write(cw); err != nil {
			return result{}, fmt.Errorf("%s: %w", cmd.Name, err)
		}
		if err := cw.Close(); err != nil {
			return result{}, fmt.Errorf("%s: %w", cmd.Name, err)
		}
		return result{streamed: true}, nil
	}
}

func prepareLap(h *Handler, cmd mqtt.Command) (exec, error) {
	t, who := h.o.Track, cmd.Key
	var a mqtt.LapArgs
	if err := args(cmd, &a); err != nil {
		return nil, err
	}
	if a.Race == "" {
		return nil, badArgs(cmd, "race is empty")
	}
	var d time.Duration
	switch cmd.Name {
	case mqtt.CmdLapEdit, mqtt.CmdLapAdd, mqtt.CmdLapSplit:
		var err error
		if d, err = duration(cmd, a.Time); err != nil {
			return nil, err
		}
	case mqtt.CmdLapValid:
		if a.Valid == nil {
			return nil, badArgs(cmd, "valid is missing")
		}
	}
	run := func(fn func(ctx context.Context) (race.Effect, error)) (exec, error) {
		return func(ctx context.Context) (result, error) { _, err := fn(ctx); return result{}, err }, nil
	}
	switch cmd.Name {
	case mqtt.CmdLapEdit:
		return run(func(ctx context.Context) (race.Effect, error) { return t.EditLap(ctx, who, a.Race, a.No, d) })
	case mqtt.CmdLapValid:
		return run(func(ctx context.Context) (race.Effect, error) { return t.SetLapValid(ctx, who, a.Race, a.No, *a.Valid) })
	case mqtt.CmdLapDelete:
		return run(func(ctx context.Context) (race.Effect, error) { return t.DeleteLap(ctx, who, a.Race, a.No) })
	case mqtt.CmdLapRestore:
		return run(func(ctx context.Context) (race.Effect, error) { return t.RestoreLap(ctx, who, a.Race, a.No) })
	case mqtt.CmdLapAdd:
		return run(func(ctx context.Context) (race.Effect, error) { return t.AddLap(ctx, who, a.Race, a.No, d) })
	default: // split
		return run(func(ctx context.Context) (race.Effect, error) { return t.SplitLap(ctx, who, a.Race, a.No, d) })
	}
}

func prepareImport(h *Handler, cmd mqtt.Command) (exec, error) {
	var a mqtt.ImportArgs
	if err := args(cmd, &a); err != nil {
		return nil, err
	}
	rows, refused, err := racercsv.Parse([]byte(a.CSV))
	if err != nil {
		return nil, badArgs(cmd, "%v", err)
	}
	res := mqtt.ImportResult{DryRun: a.DryRun, Refused: refused}
	if len(refused) > 0 && !a.DryRun {
		raw, _ := json.Marshal(res)
		return nil, refusal{mqtt.Errorf(mqtt.CodeBadArgs, "%s: %d rows refused, nothing imported (see result.refused; --dry-run lists them)", cmd.Name, len(refused)), raw}
	}
	return func(ctx context.Context) (result, error) {
		t := h.o.Track
		if a.DryRun {
			// Spend the sequence number and audit the attempt; change nothing.
			if err := t.Record(ctx, cmd.Key, cmd.Name, fmt.Sprintf("dry run of %d rows", len(rows)+len(refused))); err != nil {
				return result{}, err
			}
			if err := h.o.Store.View(func(tx *store.Tx) error {
				for _, r := range rows {
					if _, ok, err := tx.Racer(r.Racer.ID); err != nil {
						return err
					} else if ok {
						res.Updated++
					} else {
						res.Added++
					}
				}
				return nil
			}); err != nil {
				return result{}, err
			}
			return asResult(res)
		}
		racers := make([]race.Racer, len(rows))
		for i, r := range rows {
			racers[i] = r.Racer
		}
		// Every row of a file says the same: it has a transponder column or not.
		keep := len(rows) > 0 && !rows[0].SaysTransponder
		n, err := t.PutRacers(ctx, cmd.Key, racers, track.ImportOptions{KeepTransponders: keep})
		if err != nil {
			return result{}, err
		}
		res.Added, res.Updated = n.Added, n.Updated
		return asResult(res)
	}, nil
}

func queryAudit(st *store.Store, a mqtt.AuditArgs) (mqtt.AuditResult, error) {
	res := mqtt.AuditResult{Entries: []mqtt.AuditEntry{}}
	stop := errors.New("stop")
	racerNeedle := []byte(`"racer_id":"` + a.Racer + `"`)
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachAudit(func(e store.Audit) error {
			if e.ID <= a.AfterID {
				return nil
			}
			if a.Who != "" && e.Who != a.Who && e.Who != "unverified:"+a.Who {
				return nil
			}
			if a.Race != "" && !(e.Target == a.Race || strings.HasPrefix(e.Target, a.Race+"/") || strings.HasPrefix(e.Target, a.Race+"→")) {
				return nil
			}
			if a.Racer != "" && !(e.Target == a.Racer || strings.HasSuffix(e.Target, "→"+a.Racer) ||
				bytes.Contains(e.Before, racerNeedle) || bytes.Contains(e.After, racerNeedle)) {
				return nil
			}
			if len(res.Entries) == a.Limit {
				res.More = true
				return stop
			}
			ae := mqtt.AuditEntry{ID: e.ID, At: e.At.UnixMilli(), Who: e.Who, Action: e.Action, Target: e.Target,
				Before: e.Before, After: e.After, Refused: e.Refused}
			res.Entries = append(res.Entries, ae)
			return nil
		})
	})
	if err != nil && !errors.Is(err, stop) {
		return res, err
	}
	return res, nil
}

func (h *Handler) status() mqtt.StatusResult {
	t := h.o.Track
	st := mqtt.StatusResult{Track: t.ID(), Version: h.o.Version, ClockSynced: h.o.Synced(), OutboxDepth: h.o.Store.OutboxDepth()}
	rs := t.RaceState()
	st.Race, st.Queue = rs.Race, rs.Queue
	_ = h.o.Store.View(func(tx *store.Tx) error {
		_ = tx.ForEachRacer(func(race.Racer) error { st.Racers++; return nil })
		_ = tx.ForEachRace(func(race.Race) error { st.Races++; return nil })
		return nil
	})
	return st
}
