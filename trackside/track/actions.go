package track

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"pitwall/trackside/race"
	"pitwall/trackside/store"
)

// action is an official's or admin's request, run by the writer inside the
// batch transaction and audited there.
type action struct {
	name   string // audit action: "start", "edit-lap", ...
	who    string // the official or admin key that asked
	target string // race, lap or racer it concerns
	fn     func(tx *store.Tx, now int64, out *outbound) (race.Effect, error)
	before *race.Race // set by corrections of stored races, for the audit
	// unaudit marks a request of the unit itself (Republish), not of an
	// official or admin: it writes no audit entry.
	unaudit bool
	// onRace: the target is the race the action acts on, resolved by the
	// writer when it runs the action — the caller cannot know it, since
	// requests ahead in the same batch (a Load) may change the race.
	onRace bool
	// seq, for a signed admin command, is checked and raised in the same
	// transaction (WithCommandSeq); such a command is audited even when it
	// is refused or fails.
	seq *CommandSeq
}

// storeFail marks an error of the store inside an action: it stops the track.
type storeFail struct{ err error }

func (e storeFail) Error() string { return e.err.Error() }
func (e storeFail) Unwrap() error { return e.err }

func (t *Track) runAction(tx *store.Tx, a *action, now int64, out *outbound) (race.Effect, error) {
	// Actions read state through t and write through tx; both belong to the
	// writer goroutine, which is the one running this.
	var sf storeFail
	if a.seq != nil {
		if err := bumpSeq(tx, *a.seq); err != nil {
			if errors.As(err, &sf) {
				return race.Effect{}, fmt.Errorf("%s: %w", a.name, sf.err)
			}
			if aerr := auditRefusal(tx, a.who, a.name, a.target, err); aerr != nil {
				return race.Effect{}, fmt.Errorf("%s: %w", a.name, aerr)
			}
			return race.Effect{}, errAction{fmt.Errorf("%s: %w", a.name, err)}
		}
	}
	before := t.eng.Current()
	if a.onRace {
		a.target = raceID(before)
	}
	eff, err := a.fn(tx, now, out)
	if errors.As(err, &sf) {
		return eff, fmt.Errorf("%s: %w", a.name, sf.err)
	}
	if err != nil {
		if a.seq != nil {
			if aerr := auditRefusal(tx, a.who, a.name, a.target, err); aerr != nil {
				return race.Effect{}, fmt.Errorf("%s: %w", a.name, aerr)
			}
		}
		return eff, errAction{fmt.Errorf("%s: %w", a.name, err)}
	}
	if a.unaudit {
		return eff, nil
	}
	if a.onRace && eff.Race != nil {
		a.target = eff.Race.ID // a load acts on the race it creates
	}
	if a.before != nil {
		before = a.before
	} else if eff.Race != nil && (before == nil || before.ID != eff.Race.ID) {
		before = nil
	}
	audit := store.Audit{At: time.Now(), Who: a.who, Action: a.name, Target: a.target}
	if before != nil {
		audit.Before, _ = json.Marshal(before)
	}
	if eff.Race != nil {
		audit.After, _ = json.Marshal(eff.Race)
	}
	if _, err := tx.AddAudit(audit); err != nil {
		return eff, fmt.Errorf("audit %s: %w", a.name, err)
	}
	return eff, nil
}

func (t *Track) do(ctx context.Context, who, name, target string, fn func(tx *store.Tx, now int64, out *outbound) (race.Effect, error)) (race.Effect, error) {
	return t.submit(ctx, request{act: &action{name: name, who: who, target: target, fn: fn}})
}

// engineOp runs one engine call that needs only the time, audited against
// the race it acts on.
func (t *Track) engineOp(ctx context.Context, who, name string, op func(e *race.Engine, now int64) (race.Effect, error)) (race.Effect, error) {
	return t.submit(ctx, request{act: &action{name: name, who: who, onRace: true,
		fn: func(_ *store.Tx, now int64, _ *outbound) (race.Effect, error) { return op(t.eng, now) }}})
}

// bindRacer binds a race just loaded to its racer's transponder, if the
// racer has one; otherwise the race learns the first transponder that
// crosses.
func (t *Track) bindRacer(eff race.Effect, err error) (race.Effect, error) {
	if err != nil || eff.Race == nil {
		return eff, err
	}
	tx := t.racers[eff.Race.RacerID].transponder
	if tx == "" {
		return eff, nil
	}
	bound, err := t.eng.Bind(tx)
	if err != nil {
		// The racer record was validated when stored; keep the load, which
		// then learns its transponder, rather than undo it.
		t.log.Warn("racer's transponder not bound", "race", eff.Race.ID, "racer", eff.Race.RacerID, "err", err)
		return eff, nil
	}
	eff.Race = bound.Race
	return eff, nil
}

// BindTransponder binds the loaded race to transponder before its start,
// replacing the binding it has (the racer's transponder, or one it learned
// from the first car that crossed); "" unbinds it, so the next transponder
// that crosses is learned. Refused once the race has started.
func (t *Track) BindTransponder(ctx context.Context, who, transponder string) (race.Effect, error) {
	a := &action{name: "bind-transponder", who: who}
	a.fn = func(_ *store.Tx, _ int64, _ *outbound) (race.Effect, error) {
		a.target = t.eng.CurrentID() + "→" + transponder
		return t.eng.Bind(transponder)
	}
	return t.submit(ctx, request{act: a})
}

// Queue puts a known racer at the end of the queue.
func (t *Track) Queue(ctx context.Context, who, racerID string) error {
	_, err := t.do(ctx, who, "queue", racerID, func(_ *store.Tx, now int64, out *outbound) (race.Effect, error) {
		if _, ok := t.racers[racerID]; !ok {
			return race.Effect{}, fmt.Errorf("no racer %q", racerID)
		}
		out.race = true
		return race.Effect{}, t.eng.Queue(racerID)
	})
	return err
}

// Unqueue takes a racer off the queue.
func (t *Track) Unqueue(ctx context.Context, who, racerID string) error {
	_, err := t.do(ctx, who, "unqueue", racerID, func(_ *store.Tx, now int64, out *outbound) (race.Effect, error) {
		out.race = true
		return race.Effect{}, t.eng.Unqueue(racerID)
	})
	return err
}

// Load makes the next queued racer's race current (Ready).
func (t *Track) Load(ctx context.Context, who string) (race.Effect, error) {
	if err := t.checkArm("load"); err != nil {
		return race.Effect{}, err
	}
	return t.engineOp(ctx, who, "load", func(e *race.Engine, now int64) (race.Effect, error) { return t.bindRacer(e.Load(now)) })
}

// LoadRacer makes a race for the named racer current, bypassing the queue.
func (t *Track) LoadRacer(ctx context.Context, who, racerID string) (race.Effect, error) {
	if err := t.checkArm("load"); err != nil {
		return race.Effect{}, err
	}
	return t.do(ctx, who, "load", racerID, func(_ *store.Tx, now int64, _ *outbound) (race.Effect, error) {
		if _, ok := t.racers[racerID]; !ok {
			return race.Effect{}, fmt.Errorf("no racer %q", racerID)
		}
		return t.bindRacer(t.eng.LoadRacer(racerID, now))
	})
}

// Start starts the race clock.
func (t *Track) Start(ctx context.Context, who string) (race.Effect, error) {
	if err := t.checkArm("start"); err != nil {
		return race.Effect{}, err
	}
	return t.engineOp(ctx, who, "start", (*race.Engine).Start)
}

// Pause stops the race clock.
func (t *Track) Pause(ctx context.Context, who string) (race.Effect, error) {
	return t.engineOp(ctx, who, "pause", (*race.Engine).Pause)
}

// Resume restarts the race clock.
func (t *Track) Resume(ctx context.Context, who string) (race.Effect, error) {
	return t.engineOp(ctx, who, "resume", (*race.Engine).Resume)
}

// Reset adds (delta +1) or removes (−1) an off-track reset on the lap in progress.
func (t *Track) Reset(ctx context.Context, who string, delta int) (race.Effect, error) {
	return t.engineOp(ctx, who, "reset", func(e *race.Engine, now int64) (race.Effect, error) { return e.Reset(now, delta) })
}

// Capture closes the lap in progress by hand, now.
func (t *Track) Capture(ctx context.Context, who string) (race.Effect, error) {
	return t.engineOp(ctx, who, "capture", (*race.Engine).Capture)
}

// UndoFalseFinish merges the last lap back into the lap in progress.
func (t *Track) UndoFalseFinish(ctx context.Context, who string) (race.Effect, error) {
	return t.engineOp(ctx, who, "undo-false-finish", func(e *race.Engine, _ int64) (race.Effect, error) { return e.UndoFalseFinish() })
}

// DNF records the lap in progress as invalid and pauses.
func (t *Track) DNF(ctx context.Context, who string) (race.Effect, error) {
	return t.engineOp(ctx, who, "dnf", (*race.Engine).DNF)
}

// End ends the race (Over).
func (t *Track) End(ctx context.Context, who string) (race.Effect, error) {
	return t.engineOp(ctx, who, "end", (*race.Engine).End)
}

// Submit makes an Over race's results official and public.
func (t *Track) Submit(ctx context.Context, who string) (race.Effect, error) {
	return t.engineOp(ctx, who, "submit", func(e *race.Engine, _ int64) (race.Effect, error) { return e.Submit() })
}

// Discard throws the current race away (kept in the store, never ranked).
func (t *Track) Discard(ctx context.Context, who string) (race.Effect, error) {
	return t.engineOp(ctx, who, "discard", func(e *race.Engine, _ int64) (race.Effect, error) { return e.Discard() })
}

// correct applies a correction to a race: the current one through the
// engine, a stored one directly. Standings follow through apply.
func (t *Track) correct(ctx context.Context, who, name, raceID string, target string, fn func(*race.Race) ([]int, error)) (race.Effect, error) {
	a := &action{name: name, who: who, target: target}
	a.fn = func(tx *store.Tx, _ int64, _ *outbound) (race.Effect, error) {
		eff, ok, err := t.eng.Correct(raceID, fn)
		if ok {
			return eff, err
		}
		r, found, err := tx.Race(raceID)
		if err != nil {
			return race.Effect{}, storeFail{fmt.Errorf("load race %s: %w", raceID, err)}
		}
		if !found {
			return race.Effect{}, fmt.Errorf("no race %q", raceID)
		}
		before := r
		before.Laps = append([]race.Lap(nil), r.Laps...)
		a.before = &before
		nos, err := fn(&r)
		if err != nil {
			return race.Effect{}, err
		}
		return race.LapEffect(before.Laps, &r, nos), nil
	}
	return t.submit(ctx, request{act: a})
}

func lapTarget(raceID string, no int) string { return fmt.Sprintf("%s/%d", raceID, no) }

// EditLap corrects a lap's time.
func (t *Track) EditLap(ctx context.Context, who, raceID string, no int, d time.Duration) (race.Effect, error) {
	return t.correct(ctx, who, "edit-lap", raceID, lapTarget(raceID, no), func(r *race.Race) ([]int, error) { return race.EditLap(r, no, d) })
}

// SetLapValid marks a lap valid or invalid.
func (t *Track) SetLapValid(ctx context.Context, who, raceID string, no int, valid bool) (race.Effect, error) {
	return t.correct(ctx, who, "set-lap-valid", raceID, lapTarget(raceID, no), func(r *race.Race) ([]int, error) { return race.SetLapValid(r, no, valid) })
}

// DeleteLap soft-deletes a lap.
func (t *Track) DeleteLap(ctx context.Context, who, raceID string, no int) (race.Effect, error) {
	return t.correct(ctx, who, "delete-lap", raceID, lapTarget(raceID, no), func(r *race.Race) ([]int, error) { return race.DeleteLap(r, no) })
}

// RestoreLap undoes a soft delete.
func (t *Track) RestoreLap(ctx context.Context, who, raceID string, no int) (race.Effect, error) {
	return t.correct(ctx, who, "restore-lap", raceID, lapTarget(raceID, no), func(r *race.Race) ([]int, error) { return race.RestoreLap(r, no) })
}

// AddLap adds a lap the sensor missed after lap `after` of the race (0:
// first; the race's lap count: at the end). The laps after it move up one.
func (t *Track) AddLap(ctx context.Context, who, raceID string, after int, d time.Duration) (race.Effect, error) {
	return t.correct(ctx, who, "add-lap", raceID, lapTarget(raceID, after), func(r *race.Race) ([]int, error) {
		return race.AddLap(r, after, d, t.eng.TakeSeq())
	})
}

// Reassign gives a race to another racer.
func (t *Track) Reassign(ctx context.Context, who, raceID, racerID string) (race.Effect, error) {
	return t.correct(ctx, who, "reassign", raceID, raceID+"→"+racerID, func(r *race.Race) ([]int, error) {
		if _, ok := t.racers[racerID]; !ok {
			return nil, fmt.Errorf("no racer %q", racerID)
		}
		from := r.RacerID
		if err := race.Reassign(r, racerID); err != nil {
			return nil, err
		}
		if r.Started() && t.eng.CurrentID() != r.ID {
			t.eng.MoveRun(from, racerID) // max runs counts the race for its new racer
		}
		return nil, nil
	})
}

// Disqualify removes a racer from (or restores them to) the standings.
func (t *Track) Disqualify(ctx context.Context, who, racerID string, dq bool) error {
	_, err := t.do(ctx, who, "disqualify", racerID, func(tx *store.Tx, _ int64, out *outbound) (race.Effect, error) {
		r, ok, err := tx.Racer(racerID)
		if err != nil {
			return race.Effect{}, storeFail{fmt.Errorf("load racer %s: %w", racerID, err)}
		}
		if !ok {
			return race.Effect{}, fmt.Errorf("no racer %q", racerID)
		}
		r.Disqualified = dq
		if err := tx.PutRacer(r); err != nil {
			return race.Effect{}, storeFail{err}
		}
		info := t.racers[racerID]
		info.name, info.dq = r.Name, dq
		t.racers[racerID] = info
		t.board.SetDisqualified(racerID, dq)
		out.standings = true
		return race.Effect{}, nil
	})
	return err
}

// PutRacer creates or updates a racer (admins).
func (t *Track) PutRacer(ctx context.Context, who string, r race.Racer) error {
	_, err := t.do(ctx, who, "put-racer", r.ID, func(tx *store.Tx, _ int64, out *outbound) (race.Effect, error) {
		if err := race.ValidateRacer(r); err != nil {
			return race.Effect{}, err
		}
		if old, ok := t.racers[r.ID]; ok {
			r.Disqualified = old.dq
			if old.name != r.Name {
				out.standings, out.race = true, true // names are on the boards
			}
		}
		if err := tx.PutRacer(r); err != nil {
			return race.Effect{}, storeFail{err}
		}
		t.racers[r.ID] = racerInfo{name: r.Name, dq: r.Disqualified, transponder: r.Transponder}
		return race.Effect{}, nil
	})
	return err
}

// SetRules changes the event's rules for races created from now on; a new
// ranking method re-ranks every stored race.
func (t *Track) SetRules(ctx context.Context, who string, cfg race.Config) error {
	_, err := t.do(ctx, who, "set-rules", t.cfg.ID, func(tx *store.Tx, _ int64, out *outbound) (race.Effect, error) {
		old := t.eng.Config()
		if err := t.eng.SetConfig(cfg); err != nil {
			return race.Effect{}, err
		}
		if err := t.saveRules(tx, cfg); err != nil {
			return race.Effect{}, storeFail{err}
		}
		t.mu.Lock()
		t.rules = cfg
		t.mu.Unlock()
		if old.Ranking != cfg.Ranking || old.RankLaps != cfg.RankLaps {
			if err := t.rebuildBoard(tx); err != nil {
				return race.Effect{}, storeFail{err}
			}
			out.standings = true
		}
		return race.Effect{}, nil
	})
	return err
}
