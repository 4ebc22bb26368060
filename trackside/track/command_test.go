package track_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

func audits(t *testing.T, st *store.Store) []store.Audit {
	t.Helper()
	var out []store.Audit
	if err := st.View(func(tx *store.Tx) error {
		return tx.ForEachAudit(func(a store.Audit) error { out = append(out, a); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// A command's sequence number is checked and recorded in the transaction of
// its effect: a replay is refused, audited and changes nothing, also after
// a restart (no clock involved).
func TestCommandSeqSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := open(t, path, rules())
	ctx := context.Background()
	seq5 := track.WithCommandSeq(ctx, "alice", 5)
	if err := h.tr.AddRacer(seq5, "alice", race.Racer{ID: "r1", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	h.close()

	h = open(t, path, rules())
	defer h.close()
	var re *track.ReplayError
	err := h.tr.AddRacer(track.WithCommandSeq(ctx, "alice", 5), "alice", race.Racer{ID: "r2", Name: "Bob"})
	if !errors.As(err, &re) || re.Last != 5 {
		t.Fatalf("replay after restart: %v", err)
	}
	err = h.tr.UpdateRacer(track.WithCommandSeq(ctx, "alice", 4), "alice", "racer.update", "r1", func(r *race.Racer) error { r.Name = "Eve"; return nil })
	if !errors.As(err, &re) {
		t.Fatalf("lower seq: %v", err)
	}
	// Nothing changed: no r2, r1 keeps its name.
	h.st.View(func(tx *store.Tx) error {
		if _, ok, _ := tx.Racer("r2"); ok {
			t.Error("replayed add created r2")
		}
		if r, _, _ := tx.Racer("r1"); r.Name != "Ann" {
			t.Errorf("r1 renamed to %q by a replay", r.Name)
		}
		return nil
	})
	a := audits(t, h.st)
	if len(a) != 3 || a[1].Refused == "" || a[2].Refused == "" || !strings.Contains(a[1].Refused, "replay") {
		t.Fatalf("audit %+v", a)
	}
	// Another key has its own sequence.
	if err := h.tr.AddRacer(track.WithCommandSeq(ctx, "bob", 1), "bob", race.Racer{ID: "r2", Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
}

// A command that fails still spends its number (a later replay of it is
// refused even once it would succeed) and is audited.
func TestFailedCommandSpendsSeq(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	if err := h.tr.Queue(track.WithCommandSeq(ctx, "alice", 1), "alice", "r1"); err == nil {
		t.Fatal("queued an unknown racer")
	}
	h.racer("r1", "Ann")
	var re *track.ReplayError
	if err := h.tr.Queue(track.WithCommandSeq(ctx, "alice", 1), "alice", "r1"); !errors.As(err, &re) {
		t.Fatalf("replay of a failed command: %v", err)
	}
	a := audits(t, h.st)
	if len(a) < 1 || a[0].Action != "queue" || !strings.Contains(a[0].Refused, "no racer") {
		t.Fatalf("audit %+v", a)
	}
}

func TestRefuseAuditsOnly(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	if err := h.tr.Refuse(context.Background(), "unverified:mallory", "admin.refused", "race.start", errors.New("bad_signature: nope")); err != nil {
		t.Fatal(err)
	}
	a := audits(t, h.st)
	if len(a) != 1 || a[0].Who != "unverified:mallory" || a[0].Refused != "bad_signature: nope" {
		t.Fatalf("audit %+v", a)
	}
	if h.tr.Current() != nil {
		t.Fatal("a refusal changed the race")
	}
}

func TestRemoveRacer(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Ann")
	h.racer("r2", "Bob")
	if err := h.tr.RemoveRacer(ctx, "a", "r2"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.tr.LoadRacer(ctx, "a", "r1"); err != nil {
		t.Fatal(err)
	}
	if err := h.tr.RemoveRacer(ctx, "a", "r1"); err == nil {
		t.Fatal("removed the racer of the current race")
	}
	if _, err := h.tr.Discard(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := h.tr.RemoveRacer(ctx, "a", "r1"); !errors.Is(err, store.ErrHasRaces) {
		t.Fatalf("removed a racer with a race: %v", err)
	}
}

// Rules an admin sets survive a restart while the config file keeps the
// rules they replaced; a changed file wins.
func TestSetRulesPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := open(t, path, rules())
	ctx := context.Background()
	c := rules()
	c.Duration = 7 * time.Minute
	if err := h.tr.SetRules(ctx, "alice", c); err != nil {
		t.Fatal(err)
	}
	h.close()
	h = open(t, path, rules())
	if got, _ := h.tr.Rules(ctx); got.Duration != 7*time.Minute {
		t.Fatalf("after restart duration %v", got.Duration)
	}
	h.close()
	other := rules()
	other.Duration = 2 * time.Minute
	h = open(t, path, other)
	defer h.close()
	if got, _ := h.tr.Rules(ctx); got.Duration != 2*time.Minute {
		t.Fatalf("edited config: duration %v", got.Duration)
	}
}
