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

func (r *rig) crossTx(transponder string) {
	r.clock += 12e9
	c := crossing.Crossing{Source: "t", MonoNS: r.clock, Clock: crossing.ClockHost, Transponder: transponder}
	if err := r.tr.Sink(context.Background(), c); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) shown(id string) mqtt.RacerResult {
	r.t.Helper()
	var rr mqtt.RacerResult
	if err := json.Unmarshal(r.ok("1", mqtt.CmdRacerShow, mqtt.RacerIDArgs{ID: id}).Result, &rr); err != nil {
		r.t.Fatal(err)
	}
	return rr
}

// A racer's transponder, set event-wide, binds each of their races at
// load; race.bind changes the loaded race's binding until the start; a bad
// transponder is refused and changes nothing.
func TestTransponderCommands(t *testing.T) {
	r := newRig(t)
	r.ok("*", mqtt.CmdRacerAdd, mqtt.RacerArgs{ID: "r1", Name: "Ann"})
	r.ok("*", mqtt.CmdRacerTransponder, mqtt.RacerTransponderArgs{ID: "r1", Transponder: "1001"})
	if got := r.shown("r1").Transponder; got != "1001" {
		t.Fatalf("racer show: transponder %q, want 1001", got)
	}
	if rep := r.run("*", mqtt.CmdRacerTransponder, mqtt.RacerTransponderArgs{ID: "r1", Transponder: "car 7"}); rep.OK || rep.Error.Code != mqtt.CodeBadArgs {
		t.Fatalf("bad transponder: %+v", rep)
	}
	if rep := r.run("*", mqtt.CmdRacerTransponder, mqtt.RacerTransponderArgs{ID: "nobody", Transponder: "1"}); rep.OK || rep.Error.Code != mqtt.CodeFailed {
		t.Fatalf("transponder of an unknown racer: %+v", rep)
	}
	// A later change of another field keeps the transponder.
	r.ok("*", mqtt.CmdRacerUpdate, mqtt.RacerUpdateArgs{ID: "r1", Name: ptr("Annie")})
	if got := r.shown("r1").Transponder; got != "1001" {
		t.Fatalf("after racer.update: transponder %q, want 1001", got)
	}

	r.ok("1", mqtt.CmdLoad, mqtt.LoadArgs{Racer: "r1"})
	if cur := r.tr.Current(); cur.Transponder != "1001" || cur.Binding != race.BoundPreset {
		t.Fatalf("loaded race bound to %q (%s), want the racer's 1001", cur.Transponder, cur.Binding)
	}
	if rep := r.run("*", mqtt.CmdBind, mqtt.BindArgs{Transponder: "2002"}); rep.OK || rep.Error.Code != mqtt.CodeWrongTarget {
		t.Fatalf("race.bind to the event: %+v", rep)
	}
	if rep := r.run("1", mqtt.CmdBind, mqtt.BindArgs{Transponder: "no/slash"}); rep.OK || rep.Error.Code != mqtt.CodeBadArgs {
		t.Fatalf("race.bind to a bad transponder: %+v", rep)
	}
	r.ok("1", mqtt.CmdBind, mqtt.BindArgs{Transponder: "2002"})
	if cur := r.tr.Current(); cur.Transponder != "2002" || cur.Binding != race.BoundPreset {
		t.Fatalf("after race.bind: %q (%s), want 2002", cur.Transponder, cur.Binding)
	}
	r.ok("1", mqtt.CmdStart, nil)
	r.crossTx("1001") // the racer's usual car: not this race's now
	r.crossTx("2002") // the start was timed at the command: one lap of 24 s
	if cur := r.tr.Current(); len(cur.Laps) != 1 || cur.Laps[0].Time != 24*time.Second {
		t.Fatalf("laps %+v, want one lap of 24s ending at 2002's crossing", cur.Laps)
	}
	if rep := r.run("1", mqtt.CmdBind, mqtt.BindArgs{Transponder: "3003"}); rep.OK || rep.Error.Code != mqtt.CodeFailed {
		t.Fatalf("race.bind after the start: %+v", rep)
	}
	if cur := r.tr.Current(); cur.Transponder != "2002" {
		t.Fatalf("a refused race.bind changed the binding to %q", cur.Transponder)
	}
	r.ok("1", mqtt.CmdEnd, nil)
	r.ok("1", mqtt.CmdSubmit, nil)

	// Cleared: the next race learns the first car that crosses.
	r.ok("*", mqtt.CmdRacerTransponder, mqtt.RacerTransponderArgs{ID: "r1", Transponder: ""})
	r.ok("1", mqtt.CmdLoad, mqtt.LoadArgs{Racer: "r1"})
	if cur := r.tr.Current(); cur.Transponder != "" {
		t.Fatalf("race of a racer without transponder bound to %q", cur.Transponder)
	}
	r.ok("1", mqtt.CmdDiscard, nil)
}

// An import with a transponder column sets (or clears) transponders; one
// without it keeps them.
func TestImportTransponders(t *testing.T) {
	r := newRig(t)
	r.ok("*", mqtt.CmdRacerImport, mqtt.ImportArgs{CSV: "id,display_name,transponder\nr1,Ann,1001\nr2,Bob,\n"})
	if a, b := r.shown("r1").Transponder, r.shown("r2").Transponder; a != "1001" || b != "" {
		t.Fatalf("imported transponders %q %q, want 1001 and none", a, b)
	}
	r.ok("1", mqtt.CmdLoad, mqtt.LoadArgs{Racer: "r1"})
	if cur := r.tr.Current(); cur.Transponder != "1001" || cur.Binding != race.BoundPreset {
		t.Fatalf("race of an imported racer bound to %q (%s)", cur.Transponder, cur.Binding)
	}
	r.ok("1", mqtt.CmdDiscard, nil)

	r.ok("*", mqtt.CmdRacerImport, mqtt.ImportArgs{CSV: "id,display_name\nr1,Annie\n"})
	if rr := r.shown("r1"); rr.Transponder != "1001" || rr.Name != "Annie" {
		t.Fatalf("import without a transponder column: %+v, want 1001 kept", rr)
	}
	r.ok("1", mqtt.CmdLoad, mqtt.LoadArgs{Racer: "r1"})
	if cur := r.tr.Current(); cur.Transponder != "1001" {
		t.Fatalf("after an import without transponders the race is bound to %q", cur.Transponder)
	}
	r.ok("1", mqtt.CmdDiscard, nil)

	rep := r.run("*", mqtt.CmdRacerImport, mqtt.ImportArgs{CSV: "id,display_name,transponder\nr1,Ann,\nr2,Bob,car 2\n"})
	var res mqtt.ImportResult
	json.Unmarshal(rep.Result, &res)
	if rep.OK || len(res.Refused) != 1 || res.Refused[0].Line != 3 || res.Refused[0].Reason != "transponder: want 1-32 of [A-Za-z0-9._:-]" {
		t.Fatalf("import with a bad transponder: %+v %+v", rep, res)
	}
	if got := r.shown("r1").Transponder; got != "1001" {
		t.Fatalf("a refused import changed r1's transponder to %q", got)
	}
	r.ok("*", mqtt.CmdRacerImport, mqtt.ImportArgs{CSV: "id,display_name,transponder\nr1,Ann,\n"})
	if got := r.shown("r1").Transponder; got != "" {
		t.Fatalf("an empty transponder cell left %q", got)
	}
}
