package track_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
)

// crossTx records a crossing of transponder tx from source src at atSec.
func (h *harness) crossTx(src, tx string, atSec float64) error {
	c := crossing.Crossing{Source: src, MonoNS: int64(atSec * float64(sec)), Clock: crossing.ClockDecoder, Transponder: tx}
	return h.tr.Sink(context.Background(), c)
}

func (h *harness) audits() []store.Audit {
	var out []store.Audit
	h.st.View(func(tx *store.Tx) error {
		return tx.ForEachAudit(func(a store.Audit) error { out = append(out, a); return nil })
	})
	return out
}

// The scenario: on a P3 loop, a second car crosses 4.2 s into the
// racer's lap. It used to split the lap into 4.2 s + 4.9 s, both valid,
// ranking the racer with 4.2 s. The race learns the racer's transponder
// from the first crossing after the load; the stray car is foreign.
func TestStrayTransponderMakesNoPhantomLap(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Ana")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "o", "r1"))
	for _, c := range []struct {
		tx string
		at float64
	}{{"1001", 1000}, {"2002", 1004.2}, {"1001", 1009.1}} {
		if err := h.crossTx("p3:dec", c.tx, c.at); err != nil {
			t.Fatal(err)
		}
	}
	r := h.tr.Current()
	if len(r.Laps) != 1 || r.Laps[0].Time != 9100*time.Millisecond {
		t.Fatalf("laps %+v, want one lap of 9.1 s", r.Laps)
	}
	// All three crossings are recorded raw.
	h.st.View(func(tx *store.Tx) error {
		if n := tx.CrossingCount(); n != 3 {
			t.Errorf("%d crossings stored, want 3", n)
		}
		return nil
	})
	a := h.tr.Activity()
	if a.Foreign != 1 || a.ForeignBy["p3:dec"] != 1 {
		t.Errorf("foreign counted %d (by source %v), want 1 on p3:dec", a.Foreign, a.ForeignBy)
	}
	rs := h.tr.RaceState()
	if rs.Race == nil || rs.Race.Transponder != "1001" || rs.Race.Binding != "learned" {
		t.Fatalf("race state %+v: want transponder 1001, learned", rs.Race)
	}
}

func TestRacersTransponderIsPresetAtLoad(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	if err := h.tr.PutRacer(ctx, "admin", race.Racer{ID: "r1", Name: "Ana", Transponder: "1001"}); err != nil {
		t.Fatal(err)
	}
	if err := h.tr.PutRacer(ctx, "admin", race.Racer{ID: "r2", Name: "Ben", Transponder: "no spaces please"}); err == nil {
		t.Fatal("racer with a malformed transponder accepted")
	}
	must[struct{}](t)(struct{}{}, h.tr.Queue(ctx, "o", "r1"))
	eff := must[race.Effect](t)(h.tr.Load(ctx, "o"))
	if eff.Race.Transponder != "1001" || eff.Race.Binding != race.BoundPreset {
		t.Fatalf("loaded race bound to %q (%s), want 1001 preset", eff.Race.Transponder, eff.Race.Binding)
	}
	// The next racer's car warming up crosses first: it does not start the race.
	if err := h.crossTx("amb:dec", "2002", 1000); err != nil {
		t.Fatal(err)
	}
	if r := h.tr.Current(); r.State != race.Ready {
		t.Fatalf("foreign car started the race: %s", r.State)
	}
	h.crossTx("amb:dec", "1001", 1001)
	h.crossTx("amb:dec", "1001", 1010)
	if r := h.tr.Current(); len(r.Laps) != 1 || r.Laps[0].Time != 9*time.Second {
		t.Fatalf("laps %+v, want one of 9 s", r.Laps)
	}
	if rs := h.tr.RaceState(); rs.Race.Binding != "preset" {
		t.Errorf("race state binding %q, want preset", rs.Race.Binding)
	}
}

func TestBindTransponderBeforeStartOnly(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Ana")
	raceID := must[race.Effect](t)(h.tr.LoadRacer(ctx, "o", "r1")).Race.ID
	eff, err := h.tr.BindTransponder(ctx, "official-1", "3003")
	if err != nil || eff.Race.Transponder != "3003" || eff.Race.Binding != race.BoundPreset {
		t.Fatalf("bind before start: %+v %v", eff.Race, err)
	}
	audits := h.audits()
	last := audits[len(audits)-1]
	if last.Action != "bind-transponder" || last.Who != "official-1" || last.Target != raceID+"→3003" ||
		!strings.Contains(string(last.After), `"transponder":"3003"`) {
		t.Fatalf("audit %+v", last)
	}
	h.crossTx("p3:dec", "3003", 1000) // starts the race
	if _, err := h.tr.BindTransponder(ctx, "official-1", "1001"); err == nil || !strings.Contains(err.Error(), "running") {
		t.Fatalf("bind after the start: %v, want refused", err)
	}
	if got := len(h.audits()); got != len(audits) {
		t.Fatalf("refused bind wrote %d audit entries", got-len(audits))
	}
	if r := h.tr.Current(); r.Transponder != "3003" {
		t.Fatalf("refused bind changed the race: %q", r.Transponder)
	}
}

func TestBindingSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := open(t, path, rules())
	ctx := context.Background()
	h.racer("r1", "Ana")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "o", "r1"))
	h.crossTx("p3:dec", "1001", 1000)
	h.close()

	h = open(t, path, rules())
	defer h.close()
	if r := h.tr.Current(); r.Transponder != "1001" || r.Binding != race.BoundLearned {
		t.Fatalf("after restart bound to %q (%s)", r.Transponder, r.Binding)
	}
	h.crossTx("p3:dec", "2002", 1004.2)
	h.crossTx("p3:dec", "1001", 1009.1)
	if r := h.tr.Current(); len(r.Laps) != 1 || r.Laps[0].Time != 9100*time.Millisecond {
		t.Fatalf("laps after restart %+v, want one of 9.1 s", r.Laps)
	}
}

// A crossing the store would refuse used to fail the whole group commit
// and stop the track: every later Sink said "track stopped".
func TestMalformedCrossingIsRejectedAlone(t *testing.T) {
	h := openStopped(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	// Queue a good, a malformed and a good crossing before the writer
	// runs, so its first transaction takes all three.
	good := func(at float64) crossing.Crossing {
		return crossing.Crossing{Source: "gpio:finish", MonoNS: int64(at * float64(sec)), Clock: crossing.ClockKernel}
	}
	reqs := []crossing.Crossing{good(1000), {Source: ""}, good(1010)}
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, c := range reqs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = h.tr.Sink(ctx, c) }()
		for h.tr.Queued() < i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	h.run()
	wg.Wait()
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("good crossings in the batch: %v, %v", errs[0], errs[2])
	}
	if !errors.Is(errs[1], crossing.ErrRejected) || !strings.Contains(errs[1].Error(), "source is empty") {
		t.Fatalf("malformed crossing: %v, want ErrRejected naming the fault", errs[1])
	}
	// Later crossings still work, and a batch holding a malformed one
	// records none of it and says which.
	if err := h.tr.Sink(ctx, crossing.Crossing{Source: "x", Line: -1}); !errors.Is(err, crossing.ErrRejected) {
		t.Fatalf("negative line: %v", err)
	}
	if err := h.tr.Sink(ctx, good(1020)); err != nil {
		t.Fatalf("crossing after a rejected one: %v", err)
	}
	err := h.tr.SinkBatch(ctx, []crossing.Crossing{good(1030), {Source: "x", Clock: 99}})
	if !errors.Is(err, crossing.ErrRejected) || !strings.Contains(err.Error(), "crossing 2 of 2") {
		t.Fatalf("batch with a malformed crossing: %v", err)
	}
	h.st.View(func(tx *store.Tx) error {
		if n := tx.CrossingCount(); n != 3 {
			t.Errorf("%d crossings stored, want the 3 good ones", n)
		}
		return nil
	})
	if a := h.tr.Activity(); a.Rejected != 3 || a.Recorded != 3 {
		t.Errorf("activity: %d rejected, %d recorded; want 3 and 3", a.Rejected, a.Recorded)
	}
}

// An action batched right after a Load used to be audited against the race
// before the Load: the caller read the target on its own goroutine.
func TestActionAfterLoadInOneBatchIsAuditedAgainstTheNewRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := open(t, path, rules())
	ctx := context.Background()
	h.racer("r1", "Ana")
	h.racer("r2", "Ben")
	old := must[race.Effect](t)(h.tr.LoadRacer(ctx, "o", "r1")).Race.ID
	must[race.Effect](t)(h.tr.Discard(ctx, "o"))
	if err := h.tr.Queue(ctx, "o", "r2"); err != nil {
		t.Fatal(err)
	}
	h.close()

	h = openStopped(t, path, rules())
	defer h.close()
	var wg sync.WaitGroup
	var loaded, started race.Effect
	var loadErr, startErr error
	wg.Add(2)
	go func() { defer wg.Done(); loaded, loadErr = h.tr.Load(ctx, "o") }()
	for h.tr.Queued() < 1 {
		time.Sleep(time.Millisecond)
	}
	go func() { defer wg.Done(); started, startErr = h.tr.Start(ctx, "o") }()
	for h.tr.Queued() < 2 {
		time.Sleep(time.Millisecond)
	}
	h.run()
	wg.Wait()
	if loadErr != nil || startErr != nil {
		t.Fatalf("load: %v, start: %v", loadErr, startErr)
	}
	newID := loaded.Race.ID
	if newID == old || started.Race.ID != newID {
		t.Fatalf("loaded %s, started %s, old %s", newID, started.Race.ID, old)
	}
	targets := map[string]string{}
	for _, a := range h.audits() {
		targets[a.Action] = a.Target
		if a.Action == "start" {
			var before race.Race
			if err := json.Unmarshal(a.Before, &before); err != nil || before.ID != newID {
				t.Errorf("start's audit 'before' is race %q (%v), want %s", before.ID, err, newID)
			}
		}
	}
	if targets["start"] != newID || targets["load"] != newID {
		t.Fatalf("audit targets: load %q, start %q; want both %s", targets["load"], targets["start"], newID)
	}
}
