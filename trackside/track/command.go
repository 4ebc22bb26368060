package track

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"pitwall/trackside/race"
	"pitwall/trackside/store"
)

// Signed admin commands carry a per-key sequence number that must rise
// strictly. The last one is kept in the store and checked and raised by the
// writer inside the transaction that records the command's effect, so a
// replay is refused even with no clock and across restarts, and a crash can
// never leave an effect without its sequence or the reverse.

// CommandSeq is a signed command's key and sequence number.
type CommandSeq struct {
	Key string
	Seq uint64
}

type commandSeqKey struct{}

// WithCommandSeq makes the next action submitted with ctx check and raise
// key's last sequence number in its own transaction: the action runs only
// if seq is above the last one, and seq is recorded whether it succeeds or
// fails (a failed command used its number; sending it again is a replay).
func WithCommandSeq(ctx context.Context, key string, seq uint64) context.Context {
	return context.WithValue(ctx, commandSeqKey{}, CommandSeq{Key: key, Seq: seq})
}

func commandSeqFrom(ctx context.Context) (CommandSeq, bool) {
	cs, ok := ctx.Value(commandSeqKey{}).(CommandSeq)
	return cs, ok
}

// ReplayError refuses a command whose sequence number is not above the
// last one recorded for its key.
type ReplayError struct {
	Key       string
	Seq, Last uint64
}

func (e *ReplayError) Error() string {
	return fmt.Sprintf("replay: key %s seq %d is not above the last one seen, %d", e.Key, e.Seq, e.Last)
}

func seqSetting(key string) string { return "admin-seq/" + key }

// LastCommandSeq is the last sequence number recorded for key (0: none).
func LastCommandSeq(tx *store.Tx, key string) uint64 {
	b := tx.Config(seqSetting(key))
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// bumpSeq checks and raises the action's key sequence, in tx.
func bumpSeq(tx *store.Tx, cs CommandSeq) error {
	last := LastCommandSeq(tx, cs.Key)
	if cs.Seq <= last {
		return &ReplayError{Key: cs.Key, Seq: cs.Seq, Last: last}
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], cs.Seq)
	if err := tx.SetConfig(seqSetting(cs.Key), b[:]); err != nil {
		return storeFail{fmt.Errorf("record seq of key %s: %w", cs.Key, err)}
	}
	return nil
}

// auditRefusal records a refused or failed command in tx.
func auditRefusal(tx *store.Tx, who, name, target string, why error) error {
	msg := why.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	if len(target) > 256 {
		target = target[:256]
	}
	if _, err := tx.AddAudit(store.Audit{At: time.Now(), Who: who, Action: name, Target: target, Refused: msg}); err != nil {
		return storeFail{fmt.Errorf("audit refused %s: %w", name, err)}
	}
	return nil
}

// Refuse records, in the audit log only, a command refused before it could
// run (a bad signature, an unknown key...). It changes nothing else.
func (t *Track) Refuse(ctx context.Context, who, name, target string, why error) error {
	a := &action{name: name, who: who, target: target}
	a.fn = func(tx *store.Tx, _ int64, _ *outbound) (race.Effect, error) {
		return race.Effect{}, auditRefusal(tx, who, name, target, why)
	}
	a.unaudit = true
	_, err := t.submit(context.WithValue(ctx, commandSeqKey{}, nil), request{act: a})
	return err
}

// Record audits a command that reads (status, export, backup...): with
// WithCommandSeq it also spends the command's sequence number, so the read
// is refused as a replay like any other command.
func (t *Track) Record(ctx context.Context, who, name, target string) error {
	_, err := t.do(ctx, who, name, target, func(*store.Tx, int64, *outbound) (race.Effect, error) {
		return race.Effect{}, nil
	})
	return err
}

// AddRacer creates a racer; one that exists is refused.
func (t *Track) AddRacer(ctx context.Context, who string, r race.Racer) error {
	_, err := t.do(ctx, who, "racer.add", r.ID, func(tx *store.Tx, _ int64, _ *outbound) (race.Effect, error) {
		if err := race.ValidateRacer(r); err != nil {
			return race.Effect{}, err
		}
		if _, ok := t.racers[r.ID]; ok {
			return race.Effect{}, fmt.Errorf("racer %q exists", r.ID)
		}
		r.Disqualified = false
		if err := tx.PutRacer(r); err != nil {
			return race.Effect{}, err
		}
		t.racers[r.ID] = racerInfo{name: r.Name, transponder: r.Transponder}
		return race.Effect{}, nil
	})
	return err
}

// UpdateRacer changes a stored racer with fn (which must not change the id
// or the disqualification: Disqualify does).
func (t *Track) UpdateRacer(ctx context.Context, who, name, id string, fn func(*race.Racer) error) error {
	_, err := t.do(ctx, who, name, id, func(tx *store.Tx, _ int64, out *outbound) (race.Effect, error) {
		r, ok, err := tx.Racer(id)
		if err != nil {
			return race.Effect{}, storeFail{fmt.Errorf("load racer %s: %w", id, err)}
		}
		if !ok {
			return race.Effect{}, fmt.Errorf("no racer %q", id)
		}
		old := r
		if err := fn(&r); err != nil {
			return race.Effect{}, err
		}
		r.ID, r.Disqualified = old.ID, old.Disqualified
		if err := race.ValidateRacer(r); err != nil {
			return race.Effect{}, err
		}
		if err := tx.PutRacer(r); err != nil {
			return race.Effect{}, err
		}
		if r.Name != old.Name {
			out.standings, out.race = true, true // names are on the boards
		}
		t.racers[id] = racerInfo{name: r.Name, dq: r.Disqualified, transponder: r.Transponder}
		return race.Effect{}, nil
	})
	return err
}

// ImportCount is what PutRacers did.
type ImportCount struct{ Added, Updated int }

// ImportOptions say what an import leaves as it is.
type ImportOptions struct {
	// KeepTransponders: a racer that exists keeps its stored transponder
	// (the import's file has no transponder column, so it does not say);
	// otherwise each racer gets the transponder given, "" clearing it.
	KeepTransponders bool
}

// PutRacers creates or updates racers in one transaction: all of them or,
// if one is refused, none. Disqualifications are kept.
func (t *Track) PutRacers(ctx context.Context, who string, rs []race.Racer, o ImportOptions) (ImportCount, error) {
	var n ImportCount
	_, err := t.do(ctx, who, "racer.import", fmt.Sprintf("%d racers", len(rs)), func(tx *store.Tx, _ int64, out *outbound) (race.Effect, error) {
		n = ImportCount{}
		for _, r := range rs {
			if err := race.ValidateRacer(r); err != nil {
				return race.Effect{}, err
			}
		}
		seen := map[string]bool{}
		for _, r := range rs {
			if seen[r.ID] {
				return race.Effect{}, fmt.Errorf("racer %q is listed twice", r.ID)
			}
			seen[r.ID] = true
		}
		next := map[string]racerInfo{}
		for _, r := range rs {
			old, had := t.racers[r.ID]
			r.Disqualified = old.dq
			if had && o.KeepTransponders {
				r.Transponder = old.transponder
			}
			if err := tx.PutRacer(r); err != nil {
				// Validated above: a refusal here is the store's.
				return race.Effect{}, storeFail{err}
			}
			if had {
				n.Updated++
				if old.name != r.Name {
					out.standings, out.race = true, true
				}
			} else {
				n.Added++
			}
			next[r.ID] = racerInfo{name: r.Name, dq: r.Disqualified, transponder: r.Transponder}
		}
		for id, ri := range next {
			t.racers[id] = ri
		}
		return race.Effect{}, nil
	})
	return n, err
}

// RemoveRacer deletes a racer who has no races and is not queued or racing.
func (t *Track) RemoveRacer(ctx context.Context, who, id string) error {
	_, err := t.do(ctx, who, "racer.remove", id, func(tx *store.Tx, _ int64, _ *outbound) (race.Effect, error) {
		if _, ok := t.racers[id]; !ok {
			return race.Effect{}, fmt.Errorf("no racer %q", id)
		}
		if cur := t.eng.Current(); cur != nil && cur.RacerID == id && !cur.State.Final() {
			return race.Effect{}, fmt.Errorf("racer %q has the current race", id)
		}
		for _, q := range t.eng.Queued() {
			if q == id {
				return race.Effect{}, fmt.Errorf("racer %q is queued; unqueue first", id)
			}
		}
		if err := tx.DeleteRacer(id); err != nil {
			if errors.Is(err, store.ErrHasRaces) {
				return race.Effect{}, err
			}
			return race.Effect{}, storeFail{err}
		}
		delete(t.racers, id)
		return race.Effect{}, nil
	})
	return err
}

// SplitLap splits lap no of a race into two: the first of time first, and
// a manual lap of the rest (a crossing the sensor missed).
func (t *Track) SplitLap(ctx context.Context, who, raceID string, no int, first time.Duration) (race.Effect, error) {
	return t.correct(ctx, who, "split-lap", raceID, lapTarget(raceID, no), func(r *race.Race) ([]int, error) {
		return race.SplitLap(r, no, first, t.eng.TakeSeq())
	})
}

// PutSetting stores (or, with nil, clears) a setting such as an official's
// hashed PIN. The audit names the key, never the value.
func (t *Track) PutSetting(ctx context.Context, who, name, key string, value []byte) error {
	_, err := t.do(ctx, who, name, key, func(tx *store.Tx, _ int64, _ *outbound) (race.Effect, error) {
		if err := tx.SetConfig(key, value); err != nil {
			return race.Effect{}, err
		}
		return race.Effect{}, nil
	})
	return err
}

// Rules are the rules for races created from now on.
func (t *Track) Rules(ctx context.Context) (race.Config, error) {
	var cfg race.Config
	_, err := t.submit(context.WithValue(ctx, commandSeqKey{}, nil), request{act: &action{name: "rules", unaudit: true,
		fn: func(*store.Tx, int64, *outbound) (race.Effect, error) {
			cfg = t.eng.Config()
			return race.Effect{}, nil
		}}})
	return cfg, err
}

// settingRules holds rules set by an admin (SetRules) with the config
// file's rules they replaced: they survive restarts until the file's rules
// change, so an edited config file still wins.
const settingRules = "rules"

type storedRules struct {
	Base  race.Config `json:"base"`
	Rules race.Config `json:"rules"`
}

func (t *Track) saveRules(tx *store.Tx, cfg race.Config) error {
	b, err := json.Marshal(storedRules{Base: t.cfg.Rules, Rules: cfg})
	if err != nil {
		return fmt.Errorf("encode rules: %w", err)
	}
	return tx.SetConfig(settingRules, b)
}

// configuredRules are the rules to start with: the admin's, while the
// config file still has the rules they replaced.
func (t *Track) configuredRules(tx *store.Tx) race.Config {
	var sr storedRules
	if b := tx.Config(settingRules); len(b) > 0 && json.Unmarshal(b, &sr) == nil && sr.Base == t.cfg.Rules && sr.Rules.Validate() == nil {
		return sr.Rules
	}
	return t.cfg.Rules
}
