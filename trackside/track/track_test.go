package track_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

const sec = int64(time.Second)

// fakeClock is the host monotonic clock, set by the test.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() int64 { return c.ns.Load() }

type harness struct {
	t      testing.TB
	path   string
	st     *store.Store
	tr     *track.Track
	clock  *fakeClock
	cancel context.CancelFunc
	done   chan error
}

func open(t testing.TB, path string, rules race.Config) *harness {
	t.Helper()
	h := openStopped(t, path, rules)
	h.run()
	return h
}

// openStopped opens the track without starting its writer: requests made
// now wait, and the writer's first batch takes them all (see run).
func openStopped(t testing.TB, path string, rules race.Config) *harness {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, path: path, st: st, clock: &fakeClock{}}
	h.clock.ns.Store(1000 * sec)
	h.tr, err = track.Open(track.Config{ID: "t1", Store: st, Rules: rules, Boot: "test", Clock: h.clock.now, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.tr.Run(ctx) }()
}

func (h *harness) close() {
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Fatalf("track stopped with %v", err)
	}
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) cross(atSec float64) {
	h.t.Helper()
	c := crossing.Crossing{Source: "test", MonoNS: int64(atSec * float64(sec)), Clock: crossing.ClockHost, Transponder: "car-1"}
	if err := h.tr.Sink(context.Background(), c); err != nil {
		h.t.Fatal(err)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func rules() race.Config {
	c := race.DefaultConfig()
	c.Duration = 5 * time.Minute
	return c
}

func (h *harness) racer(id, name string) {
	h.t.Helper()
	if err := h.tr.PutRacer(context.Background(), "official", race.Racer{ID: id, Name: name, Email: id + "@example.com"}); err != nil {
		h.t.Fatal(err)
	}
}

// pendingTopics lists the outbox's pending topics.
func (h *harness) pending() []mqtt.Message {
	msgs, err := h.st.Pending(1000)
	if err != nil {
		h.t.Fatal(err)
	}
	return msgs
}

func TestCrossingRecordedWithItsEffectsInOneCommit(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Zoë")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r1"))
	h.cross(1000)
	h.cross(1010.5)
	// When Sink returned, the crossing, the lap, and its messages were on disk.
	h.st.View(func(tx *store.Tx) error {
		if n := tx.CrossingCount(); n != 2 {
			t.Errorf("crossings stored: %d, want 2", n)
		}
		cur := h.tr.Current()
		r, ok, err := tx.Race(cur.ID)
		if err != nil || !ok || len(r.Laps) != 1 || r.Laps[0].Time != 10500*time.Millisecond {
			t.Errorf("stored race %+v ok=%v err=%v, want one 10.5 s lap", r, ok, err)
		}
		return nil
	})
	var laps, raceState int
	for _, m := range h.pending() {
		switch m.Topic {
		case mqtt.TrackLaps("t1"):
			laps++
			var ev mqtt.LapEvent
			if err := mqtt.Decode(m.Payload, &ev); err != nil || ev.Lap.TimeMS != 10500 || ev.Name != "Zoë" {
				t.Errorf("lap event %+v err %v", ev, err)
			}
			if m.Retained {
				t.Error("lap events must not be retained")
			}
		case mqtt.TrackRace("t1"):
			raceState++
			if !m.Retained {
				t.Error("race state must be retained")
			}
		}
	}
	if laps != 1 || raceState != 1 {
		t.Fatalf("outbox has %d lap events and %d race states, want 1 and 1 (retained state is latest-wins)", laps, raceState)
	}
	for _, m := range h.pending() {
		if strings.Contains(string(m.Payload), "example.com") {
			t.Fatalf("personal data in %s: %s", m.Topic, m.Payload)
		}
	}
}

func TestRecoversRaceAndStandingsAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := open(t, path, rules())
	ctx := context.Background()
	h.racer("r1", "Ana")
	h.racer("r2", "Ben")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r1"))
	h.cross(1000)
	h.cross(1009)
	h.cross(1020)
	h.clock.ns.Store(1030 * sec)
	must[race.Effect](t)(h.tr.End(ctx, "official"))
	must[race.Effect](t)(h.tr.Submit(ctx, "official"))
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r2"))
	h.cross(1100)
	h.cross(1112)
	before := h.tr.Current()
	h.close()

	h = open(t, path, rules())
	defer h.close()
	after := h.tr.Current()
	if after == nil || after.ID != before.ID || len(after.Laps) != 1 || after.State != race.Running {
		t.Fatalf("after restart current race %+v, want %s running with 1 lap", after, before.ID)
	}
	h.cross(1121) // the race goes on where it was
	if r := h.tr.Current(); len(r.Laps) != 2 || r.Laps[1].Time != 9*time.Second {
		t.Fatalf("lap after restart: %+v", r.Laps)
	}
	// Standings were rebuilt from the store: a correction republishes them.
	must[race.Effect](t)(h.tr.Capture(ctx, "official"))
	if err := h.tr.Disqualify(ctx, "official", "r2", false); err != nil {
		t.Fatal(err)
	}
	st := h.tr.Standings()
	if len(st.Entries) != 1 || st.Entries[0].RacerID != "r1" || st.Entries[0].ResultMS != 9000 {
		t.Fatalf("standings after restart %+v, want r1 with 9.000", st.Entries)
	}
}

func TestCorrectionOfStoredRaceIsAuditedAndRanked(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Ana")
	h.racer("r2", "Ben")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r1"))
	h.cross(1000)
	h.cross(1010)
	h.cross(1021)
	h.clock.ns.Store(1030 * sec)
	must[race.Effect](t)(h.tr.End(ctx, "official"))
	eff := must[race.Effect](t)(h.tr.Submit(ctx, "official"))
	raceID := eff.Race.ID
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r2"))
	if got := h.tr.Standings().Entries[0].ResultMS; got != 10000 {
		t.Fatalf("best before correction %d", got)
	}
	// The race is no longer current: the correction goes to the stored race.
	must[race.Effect](t)(h.tr.EditLap(ctx, "admin-key-1", raceID, 2, 9500*time.Millisecond))
	if got := h.tr.Standings().Entries[0].ResultMS; got != 9500 {
		t.Fatalf("best after correction %d, want 9500", got)
	}
	must[race.Effect](t)(h.tr.Reassign(ctx, "admin-key-1", raceID, "r2"))
	if e := h.tr.Standings().Entries; len(e) != 1 || e[0].RacerID != "r2" {
		t.Fatalf("after reassign %+v", e)
	}
	var edits []store.Audit
	h.st.View(func(tx *store.Tx) error {
		return tx.ForEachAudit(func(a store.Audit) error {
			if a.Action == "edit-lap" {
				edits = append(edits, a)
			}
			return nil
		})
	})
	if len(edits) != 1 || edits[0].Who != "admin-key-1" || len(edits[0].Before) == 0 || len(edits[0].After) == 0 {
		t.Fatalf("audit of the edit: %+v", edits)
	}
}

// A crossing the sensor missed makes one long lap. The official splits it:
// the long lap becomes the first half and the missed lap goes in right
// after it, so the best-average window runs over the laps as driven.
func TestMissedLapAddedMidRaceRanksInDrivenOrder(t *testing.T) {
	cfg := rules()
	cfg.Ranking, cfg.RankLaps = race.BestAverage, 3
	h := open(t, filepath.Join(t.TempDir(), "t.db"), cfg)
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Ana")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r1"))
	// Driven: 12, 9, 9, 9, 12, 12 s; the crossing after lap 3 was missed.
	for _, at := range []float64{1000, 1012, 1021, 1039, 1051, 1063} {
		h.cross(at)
	}
	h.clock.ns.Store(1070 * sec)
	must[race.Effect](t)(h.tr.End(ctx, "official"))
	raceID := must[race.Effect](t)(h.tr.Submit(ctx, "official")).Race.ID
	if got := h.tr.Standings().Entries[0].ResultMS; got != 13000 { // (9+18+12)/3
		t.Fatalf("best average before the split %d, want 13000", got)
	}
	must[race.Effect](t)(h.tr.EditLap(ctx, "official", raceID, 3, 9*time.Second))
	eff := must[race.Effect](t)(h.tr.AddLap(ctx, "official", raceID, 3, 9*time.Second))
	if got := h.tr.Standings().Entries[0].ResultMS; got != 9000 {
		// Appended at the end the laps would read 12 9 9 12 12 9: 10.000.
		t.Fatalf("best average after adding the missed lap %d, want 9000 (9 9 9)", got)
	}
	if !slices.Equal(eff.Recorded, []int{4}) || !slices.Equal(eff.Changed, []int{5, 6}) {
		t.Errorf("effect recorded %v changed %v, want [4] and [5 6]", eff.Recorded, eff.Changed)
	}
	var stored race.Race
	h.st.View(func(tx *store.Tx) error {
		r, ok, err := tx.Race(raceID)
		if err != nil || !ok {
			t.Fatalf("stored race: %v %v", ok, err)
		}
		stored = r
		return nil
	})
	var times []time.Duration
	for i, l := range stored.Laps {
		if l.No != i+1 {
			t.Errorf("stored lap %d numbered %d", i+1, l.No)
		}
		times = append(times, l.Time)
	}
	if want := []time.Duration{12e9, 9e9, 9e9, 9e9, 12e9, 12e9}; !slices.Equal(times, want) || !stored.Laps[3].Manual {
		t.Fatalf("stored laps %v (lap 4 manual %v), want %v with lap 4 manual", times, stored.Laps[3].Manual, want)
	}
	// The new lap is announced as recorded under an id of its own; the laps
	// that moved up keep their ids and are announced as changed. (The
	// outbox is in order; the last event of each lap wins.)
	changes := map[string]string{}
	for _, m := range h.pending() {
		if m.Topic != mqtt.TrackLaps("t1") {
			continue
		}
		var ev mqtt.LapEvent
		if err := mqtt.Decode(m.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		changes[ev.ID] = fmt.Sprintf("%s %d", ev.Change, ev.Lap.No)
	}
	if got := changes[stored.Laps[3].EventID(raceID)]; got != "recorded 4" {
		t.Errorf("event of the added lap: %q", got)
	}
	if got := changes[stored.Laps[4].EventID(raceID)]; got != "changed 5" {
		t.Errorf("event of the lap that moved up: %q", got)
	}
}

func TestBadRequestsChangeNothing(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	audits := func() int {
		n := 0
		h.st.View(func(tx *store.Tx) error { return tx.ForEachAudit(func(store.Audit) error { n++; return nil }) })
		return n
	}
	n := audits()
	for name, do := range map[string]func() error{
		"queue unknown racer": func() error { return h.tr.Queue(ctx, "o", "nobody") },
		"start without race":  func() error { _, err := h.tr.Start(ctx, "o"); return err },
		"edit unknown race":   func() error { _, err := h.tr.EditLap(ctx, "o", "nope", 1, time.Second); return err },
		"racer without name":  func() error { return h.tr.PutRacer(ctx, "o", race.Racer{ID: "x"}) },
		"bad rules":           func() error { return h.tr.SetRules(ctx, "o", race.Config{}) },
	} {
		if err := do(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if got := audits(); got != n {
		t.Fatalf("rejected requests wrote %d audit entries", got-n)
	}
	if d := h.st.OutboxDepth(); d != 0 {
		t.Fatalf("rejected requests enqueued %d messages", d)
	}
	// And the track still works.
	h.racer("r1", "Ana")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "o", "r1"))
}

// BenchmarkDurableIngest measures crossings recorded per second with fsync
// on: 64 concurrent producers (several decoders, or a decoder's burst) are
// grouped into shared transactions by the single writer. Laps are 5 s apart
// on the race clock and an official submits each race when it is over and
// loads the next, so races have realistic sizes (~36 laps).
func BenchmarkDurableIngest(b *testing.B) {
	h := open(b, filepath.Join(b.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		h.racer(fmt.Sprintf("r%d", i), fmt.Sprintf("Racer %d", i))
	}
	must[race.Effect](b)(h.tr.LoadRacer(ctx, "o", "r0"))
	var n atomic.Int64
	stop := make(chan struct{})
	officialDone := make(chan struct{})
	go func() { // the official: submit what is over, load the next racer
		defer close(officialDone)
		for next := 1; ; {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if r := h.tr.Current(); r != nil && r.State == race.Over {
				h.tr.Submit(ctx, "o")
				h.tr.LoadRacer(ctx, "o", fmt.Sprintf("r%d", next%10))
				next++
			}
		}
	}()
	const producers = 64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				c := crossing.Crossing{Source: "bench", MonoNS: 1000*sec + i*5*sec, Seq: uint64(i)}
				if err := h.tr.Sink(ctx, c); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "crossings/s")
	b.StopTimer()
	close(stop)
	<-officialDone
}

func TestReassignMovesTheRunForMaxRuns(t *testing.T) {
	r := rules()
	r.MaxRuns, r.EnforceMaxRuns = 1, true
	h := open(t, filepath.Join(t.TempDir(), "t.db"), r)
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Ana")
	h.racer("r2", "Ben")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "o", "r1"))
	h.cross(1000)
	h.cross(1010)
	must[race.Effect](t)(h.tr.End(ctx, "o"))
	raceID := must[race.Effect](t)(h.tr.Submit(ctx, "o")).Race.ID
	// The run was Ben's, entered under Ana's name by mistake.
	must[race.Effect](t)(h.tr.Reassign(ctx, "admin", raceID, "r2"))
	if _, err := h.tr.LoadRacer(ctx, "o", "r2"); err == nil {
		t.Fatal("Ben got a second run with max_runs 1 after the reassignment")
	}
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "o", "r1"))
}

// TestHeadersCarryEpochAt: payloads carry the store's epoch and, once
// recorded, its creation time (kiosks order databases by it).
func TestHeadersCarryEpochAt(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	if err := h.st.NoteEpochAt(1_700_000_000_000); err != nil {
		t.Fatal(err)
	}
	h.racer("r1", "Ana")
	must[race.Effect](t)(h.tr.LoadRacer(context.Background(), "official", "r1"))
	var found bool
	for _, m := range h.pending() {
		if m.Topic != mqtt.TrackRace("t1") {
			continue
		}
		var rs mqtt.RaceState
		if err := mqtt.Decode(m.Payload, &rs); err != nil {
			t.Fatal(err)
		}
		if rs.Epoch != h.st.Epoch() || rs.EpochAt != 1_700_000_000_000 {
			t.Fatalf("race state header %+v, want epoch %q created at 1700000000000", rs.Header, h.st.Epoch())
		}
		found = true
	}
	if !found {
		t.Fatal("no race state in the outbox")
	}
}

// TestRunsView: the runs the officials' console shows follow the engine's
// count: a start adds one, a reassignment of a stored race moves it, and a
// reopened track has the same.
func TestRunsView(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pitwall.db")
	rules := race.DefaultConfig()
	rules.StartMode = race.StartByOfficial
	h := open(t, path, rules)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := h.tr.PutRacer(ctx, "test", race.Racer{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.tr.Runs()["a"]; n != 0 {
		t.Fatalf("runs before any race: %d", n)
	}
	if _, err := h.tr.LoadRacer(ctx, "test", "a"); err != nil {
		t.Fatal(err)
	}
	if n := h.tr.Runs()["a"]; n != 0 {
		t.Fatalf("a loaded race is not a run: %d", n)
	}
	if _, err := h.tr.Start(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if n := h.tr.Runs()["a"]; n != 1 {
		t.Fatalf("after the start: %d runs, want 1", n)
	}
	id := h.tr.Current().ID
	if _, err := h.tr.End(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.tr.Submit(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.tr.LoadRacer(ctx, "test", "b"); err != nil { // the first race is stored now
		t.Fatal(err)
	}
	if _, err := h.tr.Reassign(ctx, "test", id, "b"); err != nil {
		t.Fatal(err)
	}
	if r := h.tr.Runs(); r["a"] != 0 || r["b"] != 1 {
		t.Fatalf("after the reassignment: %v, want a 0, b 1", r)
	}
	h.close()
	h = open(t, path, rules)
	defer h.close()
	if r := h.tr.Runs(); r["a"] != 0 || r["b"] != 1 {
		t.Fatalf("reopened: %v, want a 0, b 1", r)
	}
}
