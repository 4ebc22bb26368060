package track_test

import (
	"context"
	"path/filepath"
	"testing"

	"pitwall/mqtt"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
)

// Republish puts the current race state and standings in the outbox again,
// once each (a pending copy is replaced), with sequence numbers above every
// earlier message, and writes no audit entry.
func TestRepublishEnqueuesCurrentStateWithFreshSeq(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Zoë")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r1"))
	h.cross(1000)
	h.cross(1010.5)
	must[race.Effect](t)(h.tr.End(ctx, "official"))
	must[race.Effect](t)(h.tr.Submit(ctx, "official"))
	// The broker acknowledged everything so far.
	var maxSeq uint64
	var ids []uint64
	for _, m := range h.pending() {
		ids = append(ids, m.ID)
		var hd struct {
			mqtt.Header
		}
		if err := mqtt.Decode(m.Payload, &hd); err != nil {
			t.Fatalf("%s: %v", m.Topic, err)
		}
		maxSeq = max(maxSeq, hd.Seq)
	}
	if err := h.st.Ack(ids...); err != nil {
		t.Fatal(err)
	}
	audits := func() int {
		n := 0
		h.st.View(func(tx *store.Tx) error { return tx.ForEachAudit(func(store.Audit) error { n++; return nil }) })
		return n
	}
	nAudit := audits()

	for range 2 {
		if err := h.tr.Republish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs := h.pending()
	if len(msgs) != 2 {
		t.Fatalf("outbox after two republishes: %d messages, want 2 (race state and standings, once each)", len(msgs))
	}
	for _, m := range msgs {
		if !m.Retained {
			t.Errorf("%s republished without the retained flag", m.Topic)
		}
		switch m.Topic {
		case mqtt.TrackStandings("t1"):
			var st mqtt.Standings
			if err := mqtt.Decode(m.Payload, &st); err != nil {
				t.Fatal(err)
			}
			if st.Seq <= maxSeq || len(st.Entries) != 1 || st.Entries[0].Name != "Zoë" || st.Entries[0].ResultMS != 10500 {
				t.Errorf("republished standings seq %d %+v, want seq above %d and Zoë at 10500 ms", st.Seq, st.Entries, maxSeq)
			}
		case mqtt.TrackRace("t1"):
			var rs mqtt.RaceState
			if err := mqtt.Decode(m.Payload, &rs); err != nil {
				t.Fatal(err)
			}
			if rs.Seq <= maxSeq {
				t.Errorf("republished race state seq %d, want above %d", rs.Seq, maxSeq)
			}
		default:
			t.Errorf("republished %s", m.Topic)
		}
	}
	if n := audits(); n != nAudit {
		t.Errorf("audit entries %d after republishing, want %d: a reconnect is not an official's action", n, nAudit)
	}
}
