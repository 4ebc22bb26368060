package track

import (
	"fmt"
	"time"

	"pitwall/trackside/race"
	"pitwall/trackside/store"
)

// The race clock and every crossing stamp are the host's CLOCK_MONOTONIC
// (the GPIO character device stamps edges with it), which starts again near
// zero at every boot. Stamps stored before a power cut are then in the
// future of the new boot's clock, and a race that was running would ignore
// every crossing as "earlier than the race's last event" until the new
// uptime passed the old one (found by the whole-system test's power pull).
//
// So the track keeps a clock of its own that never goes back: track time =
// monotonic + offset, with one offset per boot (store.Timeline). On the boot
// that wrote the store, the offset is the stored one (a restart of the
// process keeps the clock, and the time the process was down is race time:
// the car kept driving and the decoder's stamps say so). On a new boot the
// offset is chosen so that track time goes on from the engine's last reading
// (race.Engine.LastReading, at most one LivePeriod before the power went):
// the time the unit was off is not race time, and the lap that spans it is
// flagged for an official's review (race.Engine.ClockGap).

// now is the track's clock.
func (t *Track) now() int64 { return t.cfg.Clock() + t.offset }

// joinTimeline places this boot's monotonic clock on the track's timeline
// and records it. It runs in Open, after recover and before any crossing
// or tick, so nothing is ever applied on the wrong timeline.
func (t *Track) joinTimeline() error {
	if t.cfg.ClockBoot == "" {
		return nil // a test's own clock: left as it is
	}
	var (
		tl     store.Timeline
		stored bool
	)
	if err := t.st.View(func(tx *store.Tx) error {
		var err error
		tl, stored, err = tx.Timeline()
		return err
	}); err != nil {
		return err
	}
	mono := t.cfg.Clock()
	last := t.eng.LastReading()
	gap := false
	switch {
	case stored && tl.Boot == t.cfg.ClockBoot:
		t.offset = tl.Offset // the same boot: the process restarted
	case stored:
		t.offset, gap = last-mono, true // a new boot
	case last > mono+int64(time.Second):
		// A store written before timelines were kept, by an earlier boot
		// (its stamps are ahead of this one's clock): as a new boot.
		t.offset, gap = last-mono, true
	default:
		// No timeline and stamps this clock has passed: the same boot or
		// one that cannot be told apart; the stamps are taken as they are.
		t.offset = 0
	}
	next := store.Timeline{Boot: t.cfg.ClockBoot, Offset: t.offset}
	if stored && next == tl {
		return nil
	}
	if gap {
		t.log.Warn("clock restarted: new boot; the track's clock goes on from its last reading",
			"boot", t.cfg.ClockBoot, "previous_boot", tl.Boot, "offset_ns", t.offset, "race", raceID(t.eng.Current()))
	}
	return t.commitTimeline(next, gap)
}

// commitTimeline records the timeline and, after a gap, its effect on the
// race in progress, in one transaction through the writer's own commit (so
// the race is stored, audited and published as any change is).
func (t *Track) commitTimeline(tl store.Timeline, gap bool) error {
	running := false
	if r := t.eng.Current(); r != nil && r.State == race.Running {
		running = true
	}
	act := &action{name: "clock-gap", who: "unit", onRace: true,
		// Only a gap in a running race changes anything an official sees.
		unaudit: !(gap && running),
		fn: func(tx *store.Tx, _ int64, _ *outbound) (race.Effect, error) {
			if err := tx.SetTimeline(tl); err != nil {
				return race.Effect{}, storeFail{err}
			}
			if !gap {
				return race.Effect{}, nil
			}
			return t.eng.ClockGap(), nil
		}}
	req := request{act: act, done: make(chan result, 1)}
	if err := t.commit([]request{req}, false); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	res := <-req.done
	if res.err != nil {
		return fmt.Errorf("timeline: %w", res.err)
	}
	if res.eff.Warning != "" {
		t.log.Warn("race goes on after a restart", "race", raceID(t.eng.Current()), "note", res.eff.Warning)
	}
	return nil
}
