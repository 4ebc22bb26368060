package track_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/internal/smallfs"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

func TestArmGuardRefusesLoadAndStart(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Ana")
	h.racer("r2", "Ben")
	full := errors.New("storage full: 10 MB free, below storage.min_free 64 MB")
	h.tr.SetArmGuard(func() error { return full })
	if err := h.tr.Queue(ctx, "official", "r1"); err != nil {
		t.Fatal(err) // the queue is not arming: allowed
	}
	for name, arm := range map[string]func() error{
		"LoadRacer": func() error { _, err := h.tr.LoadRacer(ctx, "official", "r2"); return err },
		"Load":      func() error { _, err := h.tr.Load(ctx, "official"); return err },
	} {
		err := arm()
		if !errors.Is(err, track.ErrNotArmed) || !errors.Is(err, full) || !strings.Contains(err.Error(), "storage full") {
			t.Errorf("%s with a refusing guard = %v, want ErrNotArmed with the guard's reason", name, err)
		}
	}
	if cur := h.tr.Current(); cur != nil {
		t.Fatalf("a race was armed despite the guard: %+v", cur)
	}
	h.tr.SetArmGuard(nil)
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r2"))
	h.tr.SetArmGuard(func() error { return full })
	if _, err := h.tr.Start(ctx, "official"); !errors.Is(err, track.ErrNotArmed) {
		t.Errorf("Start with a refusing guard = %v, want ErrNotArmed", err)
	}
	// Crossings are still recorded: nothing read is lost while space lasts.
	h.cross(1000)
	h.st.View(func(tx *store.Tx) error {
		if n := tx.CrossingCount(); n != 1 {
			t.Errorf("crossings stored: %d, want 1", n)
		}
		return nil
	})
}

func TestNoSpaceRollsBackAndTheTrackGoesOn(t *testing.T) {
	dir := smallfs.Mount(t, 4<<20)
	h := open(t, filepath.Join(dir, "t.db"), rules())
	defer h.close()
	ctx := context.Background()
	h.racer("r1", "Ana")
	must[race.Effect](t)(h.tr.LoadRacer(ctx, "official", "r1"))
	h.cross(1000) // starts the race
	before := h.tr.Current()

	free := smallfs.Fill(t, dir)
	// A burst bigger than the pages the file has free needs new blocks.
	burst := make([]crossing.Crossing, 4000)
	for i := range burst {
		burst[i] = crossing.Crossing{Source: "test", MonoNS: int64(1001+i) * sec, Clock: crossing.ClockHost}
	}
	err := h.tr.SinkBatch(ctx, burst)
	if !errors.Is(err, store.ErrNoSpace) {
		t.Fatalf("SinkBatch on a full disk = %v, want store.ErrNoSpace", err)
	}
	select {
	case err := <-h.done:
		h.done <- nil // for h.close
		t.Fatalf("the track stopped on a full disk: %v", err)
	default:
	}
	if after := h.tr.Current(); after == nil || len(after.Laps) != len(before.Laps) {
		t.Fatalf("race after the rolled-back burst: %+v, want it as before (%d laps)", after, len(before.Laps))
	}
	if h.tr.NoSpaceRollbacks() == 0 {
		t.Error("rollback not counted")
	}

	free()
	h.cross(1010.5) // space is back: recorded, and timed from the state on disk
	r := h.tr.Current()
	if len(r.Laps) != 1 || r.Laps[0].Time != 10500*time.Millisecond {
		t.Fatalf("laps after space returned: %+v, want one 10.5 s lap", r.Laps)
	}
	h.st.View(func(tx *store.Tx) error {
		if n := tx.CrossingCount(); n != 2 {
			t.Errorf("crossings stored: %d, want 2 (none of the rolled-back burst)", n)
		}
		return nil
	})
}
