package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/admin"
	"pitwall/trackside/crossing"
	"pitwall/trackside/pin"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// rig is a handler on a real store and track; replies are captured.
type rig struct {
	t       *testing.T
	st      *store.Store
	tr      *track.Track
	h       *admin.Handler
	signer  *mqtt.Signer
	clock   int64
	mu      sync.Mutex
	replies []mqtt.Reply
	now     time.Time
	synced  bool
}

func newRig(t *testing.T) *rig { return newRigWith(t, 0) }

func newRigWith(t *testing.T, maxRefusalAudits int) *rig {
	st, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, now: time.Now()}
	r.clock = 1000e9
	rules := race.DefaultConfig()
	rules.MinLap = 0
	r.tr, err = track.Open(track.Config{ID: "1", Store: st, Rules: rules, Clock: func() int64 { return r.clock }, Tick: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.tr.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	key, _ := mqtt.GenerateKey("alice", mqtt.RoleAdmin, nil)
	r.signer = &mqtt.Signer{Key: key, NextSeq: (&mqtt.Counter{}).Next, Now: func() time.Time { return r.now }}
	r.h, err = admin.New(admin.Options{Track: r.tr, Store: st, Config: admin.Config{Keys: []mqtt.AuthorizedKey{key.Authorized()}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return time.Now() }, Synced: func() bool { return r.synced },
		MaxRefusalAudits: maxRefusalAudits,
		Publish: func(topic string, p []byte) error {
			rep, err := mqtt.DecodeReply(p)
			if err != nil || topic != mqtt.AdminResp("1") {
				t.Errorf("reply on %s: %v", topic, err)
			}
			r.mu.Lock()
			r.replies = append(r.replies, rep)
			r.mu.Unlock()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run signs and handles a command, returning its (last) reply.
func (r *rig) run(target, name string, args any) mqtt.Reply {
	r.t.Helper()
	topic, p, cmd, err := r.signer.Sign(target, name, args)
	if err != nil {
		r.t.Fatal(err)
	}
	r.h.Handle(context.Background(), topic, p)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.replies) - 1; i >= 0; i-- {
		if r.replies[i].ID == cmd.ID {
			return r.replies[i]
		}
	}
	r.t.Fatalf("no reply to %s", name)
	return mqtt.Reply{}
}

func (r *rig) ok(target, name string, args any) mqtt.Reply {
	r.t.Helper()
	rep := r.run(target, name, args)
	if !rep.OK {
		r.t.Fatalf("%s: %+v", name, rep.Error)
	}
	return rep
}

func (r *rig) cross() {
	r.clock += 12e9
	if err := r.tr.Sink(context.Background(), crossing.Crossing{Source: "t", MonoNS: r.clock, Clock: crossing.ClockHost}); err != nil {
		r.t.Fatal(err)
	}
}

func TestRaceLapAndAuditCommands(t *testing.T) {
	r := newRig(t)
	r.ok("*", mqtt.CmdRacerAdd, mqtt.RacerArgs{ID: "r1", Name: "Ann"})
	r.ok("*", mqtt.CmdRacerAdd, mqtt.RacerArgs{ID: "r2", Name: "Bob"})
	r.ok("1", mqtt.CmdQueue, mqtt.RacerIDArgs{ID: "r1"})
	r.ok("1", mqtt.CmdLoad, nil)
	raceID := r.tr.Current().ID
	r.cross()
	r.cross() // lap 1: 12 s
	r.cross() // lap 2: 12 s
	r.ok("1", mqtt.CmdLapSplit, mqtt.LapArgs{Race: raceID, No: 1, Time: "5s"})
	if laps := r.tr.Current().Laps; len(laps) != 3 || laps[0].Time != 5*time.Second || laps[1].Time != 7*time.Second {
		t.Fatalf("after split: %+v", laps)
	}
	r.ok("1", mqtt.CmdLapEdit, mqtt.LapArgs{Race: raceID, No: 3, Time: "11.5s"})
	r.ok("1", mqtt.CmdLapValid, mqtt.LapArgs{Race: raceID, No: 2, Valid: ptr(false)})
	r.ok("1", mqtt.CmdEnd, nil)
	r.ok("1", mqtt.CmdSubmit, nil)
	r.ok("1", mqtt.CmdReassign, mqtt.ReassignArgs{Race: raceID, Racer: "r2"})
	if rep := r.run("1", mqtt.CmdLapEdit, mqtt.LapArgs{Race: raceID, No: 1, Time: "soon"}); rep.Error.Code != mqtt.CodeBadArgs {
		t.Fatalf("bad time: %+v", rep.Error)
	}
	if rep := r.run("1", mqtt.CmdStart, nil); rep.Error.Code != mqtt.CodeFailed {
		t.Fatalf("start of a submitted race: %+v", rep.Error)
	}

	audit := func(a mqtt.AuditArgs) []mqtt.AuditEntry {
		var res mqtt.AuditResult
		json.Unmarshal(r.ok("1", mqtt.CmdAudit, a).Result, &res)
		return res.Entries
	}
	byRace := audit(mqtt.AuditArgs{Race: raceID})
	if len(byRace) < 5 {
		t.Fatalf("audit of race %s: %d entries", raceID, len(byRace))
	}
	for _, e := range byRace {
		if e.Target != raceID && !bytes.HasPrefix([]byte(e.Target), []byte(raceID)) {
			t.Errorf("race filter let through %+v", e)
		}
	}
	if got := audit(mqtt.AuditArgs{Racer: "r2"}); len(got) < 2 { // its add, the reassignment
		t.Fatalf("audit of r2: %+v", got)
	}
	if got := audit(mqtt.AuditArgs{Who: "nobody"}); len(got) != 0 {
		t.Fatalf("audit by nobody: %+v", got)
	}
	page := audit(mqtt.AuditArgs{Limit: 2})
	if next := audit(mqtt.AuditArgs{AfterID: page[1].ID, Limit: 1}); len(next) != 1 || next[0].ID <= page[1].ID {
		t.Fatalf("paging: %+v then %+v", page, next)
	}
	var st mqtt.StatusResult
	json.Unmarshal(r.ok("*", mqtt.CmdStatus, nil).Result, &st)
	if st.Track != "1" || st.Racers != 2 || st.Races != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestSettingsCommands(t *testing.T) {
	r := newRig(t)
	rep := r.ok("*", mqtt.CmdRulesSet, json.RawMessage(`{"duration":"4m","ranking":"best-average","rank_laps":3}`))
	if got, _ := r.tr.Rules(context.Background()); got.Duration != 4*time.Minute || got.Ranking != race.BestAverage {
		t.Fatalf("rules %+v (reply %s)", got, rep.Result)
	}
	if rep := r.run("*", mqtt.CmdRulesSet, json.RawMessage(`{"duration":"1h"}`)); rep.OK || rep.Error.Code != mqtt.CodeFailed {
		t.Fatalf("bad rules: %+v", rep)
	}
	if got, _ := r.tr.Rules(context.Background()); got.Duration != 4*time.Minute {
		t.Fatalf("refused rules changed the duration to %v", got.Duration)
	}
	r.ok("*", mqtt.CmdPINSet, mqtt.PINArgs{Official: "olly", PIN: "4711"})
	r.st.View(func(tx *store.Tx) error {
		h := tx.Config(pin.Setting("olly"))
		if !pin.Check(h, "4711") || bytes.Contains(h, []byte("4711")) {
			t.Errorf("stored pin %s", h)
		}
		return tx.ForEachAudit(func(a store.Audit) error {
			if bytes.Contains(a.After, []byte("4711")) || bytes.Contains([]byte(a.Target), []byte("4711")) {
				t.Errorf("audit holds the pin: %+v", a)
			}
			return nil
		})
	})
	if rep := r.run("*", mqtt.CmdPINSet, mqtt.PINArgs{Official: "olly", PIN: "12"}); rep.Error.Code != mqtt.CodeBadArgs {
		t.Fatalf("short pin: %+v", rep.Error)
	}
}

// With the unit's clock synced, a command issued outside the window is
// refused as stale; without a synced clock only the sequence protects.
func TestIssuedAtWindow(t *testing.T) {
	r := newRig(t)
	r.now = time.Now().Add(-time.Hour)
	r.synced = true
	if rep := r.run("1", mqtt.CmdStatus, nil); rep.Error == nil || rep.Error.Code != mqtt.CodeStale {
		t.Fatalf("stale command: %+v", rep)
	}
	r.synced = false
	r.ok("1", mqtt.CmdStatus, nil)
}

func TestConfigValidate(t *testing.T) {
	key, _ := mqtt.GenerateKey("alice", mqtt.RoleAdmin, nil)
	if err := (admin.Config{Keys: []mqtt.AuthorizedKey{key.Authorized(), key.Authorized()}}).Validate(); err == nil {
		t.Fatal("duplicate key accepted")
	}
	if err := (admin.Config{ClockWindow: 1}).Validate(); err == nil {
		t.Fatal("1ns window accepted")
	}
}

func ptr[T any](v T) *T { return &v }

// A flood of forgeries is answered, but audited only up to the per-minute cap.
func TestRefusalAuditsCapped(t *testing.T) {
	r := newRigWith(t, 2)
	for range 5 {
		r.h.Handle(context.Background(), mqtt.AdminReq("1"), []byte("{"))
	}
	n := 0
	r.st.View(func(tx *store.Tx) error { return tx.ForEachAudit(func(store.Audit) error { n++; return nil }) })
	if n != 2 || len(r.replies) != 5 {
		t.Fatalf("%d audits, %d replies; want 2 and 5", n, len(r.replies))
	}
}
