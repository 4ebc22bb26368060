package store

import (
	"encoding/json"
	"fmt"
)

// timelineKey, in the engine bucket beside the snapshot, holds the Timeline
// the snapshot's clock stamps are on. Optional: a file without it (written
// before it existed) has its stamps on the raw CLOCK_MONOTONIC of some boot.
var timelineKey = []byte("timeline")

// Timeline places the host's CLOCK_MONOTONIC, which starts again near zero
// at every boot, on the track's own clock, which never goes back: track
// time = monotonic + Offset while the host runs Boot. The track sets it
// once per start (track.Open) so the race in progress goes on after a power
// cut instead of waiting for the new boot's uptime to pass the old one's.
type Timeline struct {
	Boot   string `json:"boot"`   // kernel boot id (monoclock.Boot) of the clock
	Offset int64  `json:"offset"` // ns added to that boot's monotonic readings
}

// Timeline returns the stored timeline; ok is false when none is stored.
func (t *Tx) Timeline() (tl Timeline, ok bool, err error) {
	b, err := t.bucket(bucketEngine)
	if err != nil {
		return Timeline{}, false, fmt.Errorf("timeline: %w", err)
	}
	v := b.Get(timelineKey)
	if v == nil {
		return Timeline{}, false, nil
	}
	if err := json.Unmarshal(v, &tl); err != nil {
		return Timeline{}, false, fmt.Errorf("timeline: %w", err)
	}
	if tl.Boot == "" {
		return Timeline{}, false, fmt.Errorf("timeline: boot is empty")
	}
	return tl, true, nil
}

// SetTimeline stores tl.
func (t *Tx) SetTimeline(tl Timeline) error {
	if tl.Boot == "" {
		return fmt.Errorf("set timeline: boot is empty")
	}
	b, err := t.bucket(bucketEngine)
	if err != nil {
		return fmt.Errorf("set timeline: %w", err)
	}
	v, err := json.Marshal(tl)
	if err != nil {
		return fmt.Errorf("set timeline: %w", err)
	}
	if err := b.Put(timelineKey, v); err != nil {
		return fmt.Errorf("set timeline: %w", err)
	}
	return nil
}
