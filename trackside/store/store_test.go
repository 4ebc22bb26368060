package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func dbPath(t testing.TB) string { return filepath.Join(t.TempDir(), "pitwall.db") }

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustUpdate(t testing.TB, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func mustView(t testing.TB, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func sampleCrossing(i int) crossing.Crossing {
	return crossing.Crossing{
		Source:      "gpio:finish",
		Line:        0,
		Transponder: fmt.Sprintf("tx%d", i%3),
		MonoNS:      int64(1_000_000_000 + i*12_345_678),
		Clock:       crossing.ClockKernel,
		Seq:         uint64(i),
		Host:        time.Date(2025, 6, 1, 10, 0, i%60, 0, time.UTC),
	}
}

func sampleRace(id, racer string, run, laps int) race.Race {
	r := race.Race{ID: id, Track: "t1", RacerID: racer, Run: run, State: race.Running,
		Config: race.DefaultConfig(), StartNS: 1_000_000_000, Laps: []race.Lap{}}
	for i := 1; i <= laps; i++ {
		r.Laps = append(r.Laps, race.Lap{No: i, StartNS: int64(i) * 1e10, EndNS: int64(i+1) * 1e10,
			Time: 10*time.Second + time.Duration(i)*time.Millisecond, Valid: true, Seq: uint64(i)})
	}
	return r
}

func TestRoundTripAcrossReopen(t *testing.T) {
	path := dbPath(t)
	s := openAt(t, path)

	crossings := []crossing.Crossing{sampleCrossing(1), sampleCrossing(2), sampleCrossing(3)}
	r1 := sampleRace("r-1", "alice", 1, 3)
	r1.Note = "max runs exceeded"
	r1.Laps[1].Deleted, r1.Laps[1].Penalty, r1.Laps[1].Resets = true, 2*time.Second, 1
	alice := race.Racer{ID: "alice", Name: "Alice Ng", Email: "alice@example.org", Phone: "+44 20 7946 0958"}
	bob := race.Racer{ID: "bob", Name: "Bob", Disqualified: true}
	engine := []byte(`{"current":"r-1","armed":true}`)
	audit := Audit{At: time.Date(2025, 6, 1, 11, 0, 0, 0, time.UTC), Who: "official", Action: "lap.delete",
		Target: "race/r-1/lap/2", Before: json.RawMessage(`{"deleted":false}`), After: json.RawMessage(`{"deleted":true}`)}

	var ids []uint64
	mustUpdate(t, s, func(tx *Tx) error {
		for _, c := range crossings {
			id, err := tx.AddCrossing(c)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		for _, err := range []error{tx.PutRace(r1), tx.PutRacer(alice), tx.PutRacer(bob),
			tx.SetEngine(engine), tx.SetConfig("race.config", []byte(`{"duration":180}`))} {
			if err != nil {
				return err
			}
		}
		id, err := tx.AddAudit(audit)
		if err != nil {
			return err
		}
		audit.ID = id
		return nil
	})
	if !reflect.DeepEqual(ids, []uint64{1, 2, 3}) {
		t.Fatalf("crossing ids = %v, want [1 2 3]", ids)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	mustView(t, s, func(tx *Tx) error {
		if n := tx.CrossingCount(); n != 3 {
			t.Errorf("CrossingCount = %d, want 3", n)
		}
		var got []crossing.Crossing
		var gotIDs []uint64
		if err := tx.ForEachCrossing(1, func(id uint64, c crossing.Crossing) error {
			gotIDs = append(gotIDs, id)
			got = append(got, c)
			return nil
		}); err != nil {
			return err
		}
		if !reflect.DeepEqual(gotIDs, []uint64{2, 3}) || !reflect.DeepEqual(got, crossings[1:]) {
			t.Errorf("ForEachCrossing(after 1) = %v %+v, want [2 3] %+v", gotIDs, got, crossings[1:])
		}
		if r, ok, err := tx.Race("r-1"); err != nil || !ok || !reflect.DeepEqual(r, r1) {
			t.Errorf("Race(r-1) = %+v %v %v, want %+v", r, ok, err, r1)
		}
		if _, ok, err := tx.Race("nope"); ok || err != nil {
			t.Errorf("Race(nope) = %v %v, want not found", ok, err)
		}
		var racers []race.Racer
		if err := tx.ForEachRacer(func(r race.Racer) error { racers = append(racers, r); return nil }); err != nil {
			return err
		}
		if !reflect.DeepEqual(racers, []race.Racer{alice, bob}) {
			t.Errorf("racers = %+v", racers)
		}
		if r, ok, err := tx.Racer("bob"); err != nil || !ok || r != bob {
			t.Errorf("Racer(bob) = %+v %v %v", r, ok, err)
		}
		if got, err := tx.Engine(); err != nil || string(got) != string(engine) {
			t.Errorf("Engine = %s %v", got, err)
		}
		if got := tx.Config("race.config"); string(got) != `{"duration":180}` {
			t.Errorf("Config = %s", got)
		}
		if got := tx.Config("missing"); got != nil {
			t.Errorf("Config(missing) = %q, want nil", got)
		}
		var audits []Audit
		if err := tx.ForEachAudit(func(a Audit) error { audits = append(audits, a); return nil }); err != nil {
			return err
		}
		if len(audits) != 1 || audits[0].ID != 1 || !audits[0].At.Equal(audit.At) || audits[0].Who != audit.Who ||
			string(audits[0].Before) != string(audit.Before) || string(audits[0].After) != string(audit.After) {
			t.Errorf("audit = %+v, want %+v", audits, audit)
		}
		return nil
	})
}

func TestEmptyStoreReads(t *testing.T) {
	s := openAt(t, dbPath(t))
	mustView(t, s, func(tx *Tx) error {
		if got, err := tx.Engine(); got != nil || err != nil {
			t.Errorf("Engine of new store = %q %v, want nil", got, err)
		}
		if n := tx.CrossingCount(); n != 0 {
			t.Errorf("CrossingCount = %d", n)
		}
		if rs, err := tx.RacesOf("alice"); len(rs) != 0 || err != nil {
			t.Errorf("RacesOf = %v %v", rs, err)
		}
		return tx.ForEachCrossing(0, func(uint64, crossing.Crossing) error {
			t.Error("crossing in a new store")
			return nil
		})
	})
}

func TestFailedUpdateLeavesNothing(t *testing.T) {
	boom := errors.New("engine refused")
	for _, tc := range []struct {
		name string
		end  func() error // how fn ends after writing
	}{
		{"error", func() error { return boom }},
		{"panic", func() error { panic(boom) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openAt(t, dbPath(t))
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						err = p.(error)
					}
				}()
				err = s.Update(func(tx *Tx) error {
					if _, err := tx.AddCrossing(sampleCrossing(1)); err != nil {
						return err
					}
					if err := tx.PutRace(sampleRace("r-1", "alice", 1, 1)); err != nil {
						return err
					}
					if _, err := tx.Enqueue(mqtt.Message{Topic: mqtt.TrackRace("t1"), Payload: []byte(`{}`), Retained: true}); err != nil {
						return err
					}
					if _, err := tx.Enqueue(mqtt.Message{Topic: mqtt.TrackLaps("t1"), Payload: []byte(`{}`)}); err != nil {
						return err
					}
					if err := tx.SetEngine([]byte(`{}`)); err != nil {
						return err
					}
					if _, err := tx.AddAudit(Audit{At: time.Now(), Who: "x", Action: "y"}); err != nil {
						return err
					}
					if _, err := tx.NextSeq(); err != nil {
						return err
					}
					return tc.end()
				})
			}()
			if !errors.Is(err, boom) {
				t.Fatalf("Update = %v, want %v", err, boom)
			}
			assertEmpty(t, s)
			select {
			case <-s.Notify():
				t.Error("Notify signalled for a rolled-back transaction")
			default:
			}
			// The writer lock was released: the store still takes writes.
			mustUpdate(t, s, func(tx *Tx) error {
				n, err := tx.NextSeq()
				if n != 1 {
					t.Errorf("NextSeq after rollback = %d, want 1", n)
				}
				return err
			})
		})
	}
}

func assertEmpty(t *testing.T, s *Store) {
	t.Helper()
	mustView(t, s, func(tx *Tx) error {
		if n := tx.CrossingCount(); n != 0 {
			t.Errorf("CrossingCount = %d, want 0", n)
		}
		if _, ok, _ := tx.Race("r-1"); ok {
			t.Error("race stored")
		}
		if rs, _ := tx.RacesOf("alice"); len(rs) != 0 {
			t.Error("race indexed")
		}
		if e, _ := tx.Engine(); e != nil {
			t.Errorf("engine snapshot stored: %s", e)
		}
		return tx.ForEachAudit(func(a Audit) error {
			t.Errorf("audit stored: %+v", a)
			return nil
		})
	})
	if d := s.OutboxDepth(); d != 0 {
		t.Errorf("OutboxDepth = %d, want 0", d)
	}
	if p, err := s.Pending(10); err != nil || len(p) != 0 {
		t.Errorf("Pending = %v %v, want none", p, err)
	}
}

func TestNextSeqAndBootAcrossReopen(t *testing.T) {
	path := dbPath(t)
	var last uint64
	for boot := uint64(1); boot <= 3; boot++ {
		s, err := Open(path, Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if s.Boot() != boot {
			t.Errorf("Boot = %d, want %d", s.Boot(), boot)
		}
		mustUpdate(t, s, func(tx *Tx) error {
			for i := 0; i < 3; i++ {
				n, err := tx.NextSeq()
				if err != nil {
					return err
				}
				if n != last+1 {
					t.Errorf("boot %d: NextSeq = %d, want %d", boot, n, last+1)
				}
				last = n
			}
			return nil
		})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRacesOfFollowsReassignment(t *testing.T) {
	s := openAt(t, dbPath(t))
	mustUpdate(t, s, func(tx *Tx) error {
		for _, r := range []race.Race{
			sampleRace("r-3", "a", 2, 0), sampleRace("r-1", "a", 1, 1),
			sampleRace("r-2", "ab", 1, 0), // "a" is a prefix of "ab": must not leak into RacesOf("a")
			sampleRace("r-4", "", 1, 0),   // no racer yet: not indexed
		} {
			if err := tx.PutRace(r); err != nil {
				return err
			}
		}
		return nil
	})
	raceIDs := func(racer string) []string {
		var ids []string
		mustView(t, s, func(tx *Tx) error {
			rs, err := tx.RacesOf(racer)
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			return err
		})
		return ids
	}
	if got := raceIDs("a"); !reflect.DeepEqual(got, []string{"r-1", "r-3"}) {
		t.Errorf("RacesOf(a) = %v, want [r-1 r-3] (by run)", got)
	}
	if got := raceIDs("ab"); !reflect.DeepEqual(got, []string{"r-2"}) {
		t.Errorf("RacesOf(ab) = %v", got)
	}
	// Reassign r-3 from a to b (a correction), and give r-4 a racer.
	mustUpdate(t, s, func(tx *Tx) error {
		r3 := sampleRace("r-3", "b", 1, 2)
		if err := tx.PutRace(r3); err != nil {
			return err
		}
		return tx.PutRace(sampleRace("r-4", "b", 2, 0))
	})
	if got := raceIDs("a"); !reflect.DeepEqual(got, []string{"r-1"}) {
		t.Errorf("after reassignment RacesOf(a) = %v, want [r-1]", got)
	}
	if got := raceIDs("b"); !reflect.DeepEqual(got, []string{"r-3", "r-4"}) {
		t.Errorf("after reassignment RacesOf(b) = %v, want [r-3 r-4]", got)
	}
}

// TestBadInputChangesNothing commits a transaction whose only writes were
// refused, and checks the refusals left no trace.
func TestBadInputChangesNothing(t *testing.T) {
	letters := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'x'
		}
		return string(b)
	}
	cases := []struct {
		name string
		op   func(*Tx) error
	}{
		{"racer without id", func(tx *Tx) error { return tx.PutRacer(race.Racer{Name: "A"}) }},
		{"racer without name", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: "a"}) }},
		{"racer with blank name", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: "a", Name: "  "}) }},
		{"racer id too long", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: letters(65), Name: "A"}) }},
		{"racer id with space", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: "a b", Name: "A"}) }},
		{"racer name too long", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: "a", Name: letters(65)}) }},
		{"racer name with newline", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: "a", Name: "A\nB"}) }},
		{"racer name not utf-8", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: "a", Name: "\xff"}) }},
		{"racer email without @", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: "a", Name: "A", Email: "a.example.org"}) }},
		{"racer email too long", func(tx *Tx) error {
			return tx.PutRacer(race.Racer{ID: "a", Name: "A", Email: letters(250) + "@x.org"})
		}},
		{"racer phone too long", func(tx *Tx) error { return tx.PutRacer(race.Racer{ID: "a", Name: "A", Phone: letters(33)}) }},
		{"race without id", func(tx *Tx) error { return tx.PutRace(sampleRace("", "a", 1, 0)) }},
		{"race id too long", func(tx *Tx) error { return tx.PutRace(sampleRace(letters(129), "a", 1, 0)) }},
		{"race with bad racer id", func(tx *Tx) error { return tx.PutRace(sampleRace("r", "a\tb", 1, 0)) }},
		{"crossing without source", func(tx *Tx) error { _, err := tx.AddCrossing(crossing.Crossing{MonoNS: 1}); return err }},
		{"crossing with negative line", func(tx *Tx) error {
			_, err := tx.AddCrossing(crossing.Crossing{Source: "s", Line: -1})
			return err
		}},
		{"crossing with unknown clock", func(tx *Tx) error {
			_, err := tx.AddCrossing(crossing.Crossing{Source: "s", Clock: 9})
			return err
		}},
		{"audit without time", func(tx *Tx) error { _, err := tx.AddAudit(Audit{Who: "a", Action: "b"}); return err }},
		{"audit without who", func(tx *Tx) error { _, err := tx.AddAudit(Audit{At: time.Now(), Action: "b"}); return err }},
		{"audit without action", func(tx *Tx) error { _, err := tx.AddAudit(Audit{At: time.Now(), Who: "a"}); return err }},
		{"audit with bad before", func(tx *Tx) error {
			_, err := tx.AddAudit(Audit{At: time.Now(), Who: "a", Action: "b", Before: json.RawMessage(`{`)})
			return err
		}},
		{"engine empty", func(tx *Tx) error { return tx.SetEngine(nil) }},
		{"engine not json", func(tx *Tx) error { return tx.SetEngine([]byte("{oops")) }},
		{"config without key", func(tx *Tx) error { return tx.SetConfig("", []byte("x")) }},
		{"config key too long", func(tx *Tx) error { return tx.SetConfig(letters(257), []byte("x")) }},
		{"message without topic", func(tx *Tx) error { _, err := tx.Enqueue(mqtt.Message{Payload: []byte("x")}); return err }},
		{"message to a wildcard", func(tx *Tx) error { _, err := tx.Enqueue(mqtt.Message{Topic: mqtt.AllTrackLaps}); return err }},
		{"message payload too big", func(tx *Tx) error {
			_, err := tx.Enqueue(mqtt.Message{Topic: "a/b", Payload: make([]byte, maxPayload+1)})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openAt(t, dbPath(t))
			var opErr error
			mustUpdate(t, s, func(tx *Tx) error {
				opErr = tc.op(tx)
				return nil // commit whatever the refused call might have written
			})
			if opErr == nil {
				t.Fatal("accepted")
			}
			t.Logf("error: %v", opErr)
			st := s.Stats()
			if st.Crossings != 0 || st.Races != 0 || st.Racers != 0 || st.Audit != 0 || st.OutboxDepth != 0 {
				t.Errorf("refused call wrote something: %+v", st)
			}
			mustView(t, s, func(tx *Tx) error {
				if e, _ := tx.Engine(); e != nil {
					t.Errorf("engine snapshot written: %q", e)
				}
				if n := tx.tx.Bucket(bucketSettings).Stats().KeyN; n != 0 {
					t.Errorf("%d settings written", n)
				}
				return nil
			})
		})
	}
}

func TestValidInputAccepted(t *testing.T) {
	s := openAt(t, dbPath(t))
	mustUpdate(t, s, func(tx *Tx) error {
		for _, r := range []race.Racer{
			{ID: "a", Name: "Zoë Ångström"},
			{ID: "b", Name: "B", Email: "b@example.org", Phone: "+1 (555) 010-9999"},
			{ID: "c", Name: "=not a formula"},
		} {
			if err := tx.PutRacer(r); err != nil {
				t.Errorf("PutRacer(%+v): %v", r, err)
			}
		}
		if err := tx.SetConfig("empty", nil); err != nil {
			t.Errorf("SetConfig(nil value): %v", err)
		}
		return nil
	})
	mustView(t, s, func(tx *Tx) error {
		if v := tx.Config("empty"); v == nil || len(v) != 0 {
			t.Errorf("Config(empty) = %#v, want empty non-nil", v)
		}
		return nil
	})
}

func TestStats(t *testing.T) {
	s := openAt(t, dbPath(t))
	mustUpdate(t, s, func(tx *Tx) error {
		for i := 0; i < 5; i++ {
			if _, err := tx.AddCrossing(sampleCrossing(i)); err != nil {
				return err
			}
		}
		for _, r := range []race.Race{sampleRace("r1", "a", 1, 2), sampleRace("r2", "a", 2, 0)} {
			if err := tx.PutRace(r); err != nil {
				return err
			}
		}
		if err := tx.PutRacer(race.Racer{ID: "a", Name: "A"}); err != nil {
			return err
		}
		if _, err := tx.AddAudit(Audit{At: time.Now(), Who: "w", Action: "a"}); err != nil {
			return err
		}
		_, err := tx.Enqueue(mqtt.Message{Topic: "x/y", Payload: []byte("1")})
		return err
	})
	st := s.Stats()
	want := Stats{Schema: schemaVersion, Boot: 1, Crossings: 5, Races: 2, Racers: 1, Audit: 1, OutboxDepth: 1, FileSize: st.FileSize}
	if st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	if st.FileSize < 4*4096 {
		t.Errorf("FileSize = %d, too small for a bbolt file", st.FileSize)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

func TestForEachConfigPrefix(t *testing.T) {
	s := openAt(t, dbPath(t))
	if err := s.Update(func(tx *Tx) error {
		for _, k := range []string{"pin/Ben", "pin/Ana", "pim", "pin", "pin0", "race.config"} {
			if err := tx.SetConfig(k, []byte("v-"+k)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.View(func(tx *Tx) error {
		return tx.ForEachConfig("pin/", func(k string, v []byte) error {
			if string(v) != "v-"+k {
				t.Errorf("%s = %q", k, v)
			}
			got = append(got, k)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "pin/Ana,pin/Ben" {
		t.Errorf("pin/ settings: %v", got)
	}
}
