package track

import (
	"encoding/json"
	"fmt"

	"pitwall/trackside/race"
	"pitwall/trackside/standings"
	"pitwall/trackside/store"
)

// recover rebuilds the in-memory state from the store: racers, the engine
// (from its snapshot, committed with every change), run counts and the
// standings of every stored race. Rules from the config file apply to races
// created from now on (unless an admin set other rules since the file last
// changed: SetRules); the race in progress keeps the rules it started with.
func (t *Track) recover() error {
	defer t.st.ReleasePages() // the scan touched every race page
	return t.st.View(func(tx *store.Tx) error {
		if err := tx.ForEachRacer(func(r race.Racer) error {
			t.racers[r.ID] = racerInfo{name: r.Name, dq: r.Disqualified, transponder: r.Transponder}
			return nil
		}); err != nil {
			return fmt.Errorf("racers: %w", err)
		}
		runs := map[string]int{}
		if err := tx.ForEachRace(func(r race.Race) error {
			if r.Started() { // counted as race.RunCounts does, without holding every race
				runs[r.RacerID]++
			}
			return nil
		}); err != nil {
			return fmt.Errorf("races: %w", err)
		}
		snap, err := tx.Engine()
		if err != nil {
			return fmt.Errorf("engine snapshot: %w", err)
		}
		rules := t.configuredRules(tx)
		if snap == nil {
			t.eng, err = race.NewEngine(t.cfg.ID, rules)
			if err != nil {
				return fmt.Errorf("rules: %w", err)
			}
		} else {
			var s race.Snapshot
			if err := json.Unmarshal(snap, &s); err != nil {
				return fmt.Errorf("engine snapshot: %w", err)
			}
			if t.eng, err = race.Restore(s, runs); err != nil {
				return fmt.Errorf("engine snapshot: %w", err)
			}
			if t.eng.Config() != rules {
				if err := t.eng.SetConfig(rules); err != nil {
					return fmt.Errorf("rules: %w", err)
				}
			}
		}
		if err := t.rebuildBoard(tx); err != nil {
			return fmt.Errorf("standings: %w", err)
		}
		t.live = t.eng.Current()
		t.rules = t.eng.Config()
		t.runs = t.eng.RunCounts()
		t.log.Info("recovered", "racers", len(t.racers), "ranked", t.board.Len(),
			"race", raceID(t.live), "outbox", t.st.OutboxDepth())
		return nil
	})
}

// rebuildBoard re-ranks every stored race, for a change of ranking method.
func (t *Track) rebuildBoard(tx *store.Tx) error {
	cfg := t.eng.Config()
	t.board = standings.New(cfg.Ranking, cfg.RankLaps)
	for id, r := range t.racers {
		if r.dq {
			t.board.SetDisqualified(id, true)
		}
	}
	return tx.ForEachRace(func(r race.Race) error {
		t.board.SetRace(r)
		return nil
	})
}

func raceID(r *race.Race) string {
	if r == nil {
		return ""
	}
	return r.ID
}

func (t *Track) snapshot() ([]byte, error) {
	b, err := json.Marshal(t.eng.Snapshot())
	if err != nil {
		return nil, fmt.Errorf("engine snapshot: %w", err)
	}
	return b, nil
}
