package track

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
)

// outbound collects, while a batch is applied, what the batch must publish.
type outbound struct {
	race      bool
	standings bool
	laps      []lapChange
}

type lapChange struct {
	race   race.Race
	no     int
	change string
}

// errAction marks an error that belongs to one request (bad input, action
// not allowed now): it is answered to the requester and the batch goes on.
type errAction struct{ err error }

func (e errAction) Error() string { return e.err.Error() }
func (e errAction) Unwrap() error { return e.err }

// commit applies a batch of requests (and the race clock) and records all of
// it in one transaction. A store error is returned and stops the track; an
// error of one request is answered to that request only.
func (t *Track) commit(batch []request, refresh bool) error {
	now := t.now()
	results := make([]result, len(batch))
	t.reject(batch, results)
	tick := t.eng.Tick(now)
	if len(batch) == 0 && tick.Race == nil && !(refresh && t.running()) {
		return nil
	}
	var foreign map[string]uint64 // counted once the commit succeeded
	err := t.st.Update(func(tx *store.Tx) error {
		var out outbound
		for i, r := range batch {
			switch {
			case r.crossings != nil:
				for _, c := range r.crossings {
					if _, err := tx.AddCrossing(c); err != nil {
						return fmt.Errorf("record crossing: %w", err)
					}
					eff, err := t.eng.Pass(race.Pass{Stamp: c.MonoNS + t.offset, Line: c.Line, Transponder: c.Transponder, HostTimed: c.HostTimed})
					if err != nil {
						// The crossing is recorded; the engine had no use for it.
						eff.Warning = err.Error()
					}
					switch {
					case eff.Foreign:
						// Other cars on the track (practice, the next racer
						// warming up) cross all the time: counted in status,
						// logged only for debugging.
						if foreign == nil {
							foreign = make(map[string]uint64)
						}
						foreign[c.Source]++
						t.log.Debug("crossing not timed", "source", c.Source, "seq", c.Seq, "reason", eff.Warning)
					case eff.Warning != "":
						t.log.Info("crossing not timed", "source", c.Source, "seq", c.Seq, "reason", eff.Warning)
					}
					results[i] = result{eff: eff}
					if err := t.apply(tx, eff, &out); err != nil {
						return err
					}
				}
			case r.act != nil:
				eff, err := t.runAction(tx, r.act, now, &out)
				var ea errAction
				if errors.As(err, &ea) {
					results[i] = result{err: ea.err}
					continue
				}
				if err != nil {
					return err
				}
				results[i] = result{eff: eff}
				if err := t.apply(tx, eff, &out); err != nil {
					return err
				}
			}
		}
		if err := t.apply(tx, tick, &out); err != nil {
			return err
		}
		if refresh {
			out.race = true
		}
		if err := t.enqueue(tx, &out, now); err != nil {
			return err
		}
		snap, err := t.snapshot()
		if err != nil {
			return err
		}
		return tx.SetEngine(snap)
	})
	if err != nil {
		err = fmt.Errorf("commit to %s: %w", t.st.Path(), err)
		// A commit rolled back for lack of space leaves the track running:
		// memory is brought back to what the store holds BEFORE anyone is
		// answered, so a caller that goes on sees the state on disk. Any
		// other failure is returned and stops the track.
		stop := t.recoverFromNoSpace(err)
		for i := range batch {
			batch[i].done <- result{err: err}
		}
		return stop
	}
	debug := t.log.Enabled(context.Background(), slog.LevelDebug)
	t.mu.Lock()
	for _, r := range batch {
		for _, c := range r.crossings {
			if debug {
				t.log.Debug("crossing recorded", "source", c.Source, "tx", c.Transponder, "seq", c.Seq, "mono_ns", c.MonoNS)
			}
			t.last = c
			t.lastAt = time.Now()
			t.recorded++
		}
	}
	for src, n := range foreign {
		t.foreign[src] += n
	}
	t.live = t.eng.Current()
	if runsMoved(batch, results, tick) {
		t.runs = t.eng.RunCounts()
	}
	t.mu.Unlock()
	for i := range batch {
		batch[i].done <- results[i]
	}
	return nil
}

// reject answers every crossing request of the batch that holds a crossing
// the store would refuse, before the transaction: one malformed crossing is
// that source's problem, while a failed commit would stop the whole track.
// A rejected request is taken out of the batch (its crossings set to nil).
func (t *Track) reject(batch []request, results []result) {
	for i := range batch {
		for j, c := range batch[i].crossings {
			err := store.ValidateCrossing(c)
			if err == nil {
				continue
			}
			where := ""
			if n := len(batch[i].crossings); n > 1 {
				where = fmt.Sprintf(" (crossing %d of %d, none recorded)", j+1, n)
			}
			results[i] = result{err: fmt.Errorf("track %s: %w: %v%s: source %q line %d tx %q seq %d",
				t.cfg.ID, crossing.ErrRejected, err, where, c.Source, c.Line, c.Transponder, c.Seq)}
			batch[i].crossings = nil
			t.mu.Lock()
			t.rejected++
			t.mu.Unlock()
			// The source logs what it could not record (crossing.Deliver);
			// here it is only counted, so a broken input does not log twice.
			t.log.Debug("crossing rejected", "err", results[i].err)
			break
		}
	}
}

func (t *Track) running() bool {
	r := t.eng.Current()
	return r != nil && (r.State == race.Running || r.State == race.Paused)
}

// apply records an engine effect: the race, its standings contribution and
// the lap events to publish.
func (t *Track) apply(tx *store.Tx, eff race.Effect, out *outbound) error {
	if eff.Race == nil {
		return nil
	}
	r := *eff.Race
	if err := tx.PutRace(r); err != nil {
		return fmt.Errorf("store race %s: %w", r.ID, err)
	}
	if t.eng.CurrentID() == r.ID {
		out.race = true
	}
	for _, no := range eff.Recorded {
		out.laps = append(out.laps, lapChange{race: r, no: no, change: "recorded"})
	}
	for _, no := range eff.Changed {
		out.laps = append(out.laps, lapChange{race: r, no: no, change: "changed"})
	}
	before, had := t.board.Rank(r.RacerID)
	t.board.SetRace(r)
	after, has := t.board.Rank(r.RacerID)
	if had != has || before != after || r.State == race.Submitted {
		out.standings = true
	}
	if eff.Started {
		t.log.Info("race started", "race", r.ID, "racer", r.RacerID)
	}
	if eff.Ended {
		t.log.Info("race over", "race", r.ID, "racer", r.RacerID, "laps", len(r.Laps))
	}
	return nil
}

// enqueue turns what a batch changed into outbox messages, in the same
// transaction, each with a sequence number that increases across restarts.
func (t *Track) enqueue(tx *store.Tx, out *outbound, now int64) error {
	put := func(topic string, retained bool, build func(h mqtt.Header) ([]byte, error)) error {
		seq, err := tx.NextSeq()
		if err != nil {
			return fmt.Errorf("next seq: %w", err)
		}
		payload, err := build(t.header(seq))
		if err != nil {
			// A payload that cannot be encoded (over mqtt.MaxPayload) is a
			// publishing problem, not a reason to stop timing: the state is
			// recorded and the next change publishes it again.
			t.log.Error("payload not published", "topic", topic, "err", err)
			return nil
		}
		_, err = tx.Enqueue(mqtt.Message{Topic: topic, Payload: payload, Retained: retained})
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", topic, err)
		}
		return nil
	}
	for _, lc := range out.laps {
		lc := lc
		if err := put(mqtt.TrackLaps(t.cfg.ID), false, func(h mqtt.Header) ([]byte, error) { return mqtt.Encode(t.lapEvent(h, lc)) }); err != nil {
			return err
		}
	}
	if out.race {
		if err := put(mqtt.TrackRace(t.cfg.ID), true, func(h mqtt.Header) ([]byte, error) { return mqtt.Encode(t.raceState(h, now)) }); err != nil {
			return err
		}
	}
	if out.standings {
		if err := put(mqtt.TrackStandings(t.cfg.ID), true, func(h mqtt.Header) ([]byte, error) { return mqtt.Encode(t.standings(h)) }); err != nil {
			return err
		}
	}
	return nil
}

// runsMoved reports whether a batch changed the racers' run counts: a race
// started, or a race was given to another racer.
func runsMoved(batch []request, results []result, tick race.Effect) bool {
	if tick.Started {
		return true
	}
	for i, r := range batch {
		if results[i].eff.Started || (r.act != nil && r.act.name == "reassign" && results[i].err == nil) {
			return true
		}
	}
	return false
}
