package track

import (
	"errors"
	"fmt"

	"pitwall/trackside/store"
)

// Storage faults, kept apart from the timing code.
//
// Arming: the unit refuses to load or start a race while its data
// partition is below the free-space floor (a race that cannot be recorded
// must not begin). The unit installs the check; the track runs it before
// Load, LoadRacer and Start. A race already running goes on: its crossings
// are recorded for as long as the disk takes them.
//
// Out of space: a commit that fails with store.ErrNoSpace was rolled back
// completely, so the track does not stop (stopping would restart the unit
// into the same full disk every 2 s). Every request of the batch is told it
// was not recorded — sources keep their crossings and retry — and the
// engine's state, already advanced in memory by the batch, is rebuilt from
// the store. Any other commit failure still stops the track.

// SetArmGuard installs check, called before a race is loaded or started;
// an error refuses the request with that error. nil removes it.
func (t *Track) SetArmGuard(check func() error) {
	if check == nil {
		t.armGuard.Store(nil)
		return
	}
	t.armGuard.Store(&check)
}

// ErrNotArmed wraps the arm guard's refusal.
var ErrNotArmed = errors.New("race not armed")

func (t *Track) checkArm(action string) error {
	g := t.armGuard.Load()
	if g == nil {
		return nil
	}
	if err := (*g)(); err != nil {
		return fmt.Errorf("%s: %w: %w", action, ErrNotArmed, err)
	}
	return nil
}

// recoverFromNoSpace decides, after a failed commit, whether the track may
// go on: only after a complete rollback for lack of space, and only once
// the in-memory state is back to what the store holds.
func (t *Track) recoverFromNoSpace(err error) error {
	if !errors.Is(err, store.ErrNoSpace) {
		return err
	}
	// recover writes fields that views read under t.mu (live).
	t.mu.Lock()
	t.racers = make(map[string]racerInfo)
	rerr := t.recover()
	t.noSpace++
	first := t.noSpace == 1
	t.mu.Unlock()
	if rerr != nil {
		return fmt.Errorf("%w; then reloading the state: %w", err, rerr)
	}
	if first {
		t.log.Error("storage full: a commit was rolled back; crossings are not recorded until space returns", "err", err)
	}
	return nil
}

// NoSpaceRollbacks is how many commits were rolled back for lack of space.
func (t *Track) NoSpaceRollbacks() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.noSpace
}
