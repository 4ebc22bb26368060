package unit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"pitwall/trackside/race"
	"pitwall/trackside/sensor/sim"
)

const autoOfficial = "auto-official"

// demoNames are the demo's racers: accented Latin names on purpose, so the
// boards show they render them.
var demoNames = []string{
	"Zoë Müller", "Mateo García", "Aiko Tanaka", "Olúwasẹ̀un Adé", "Björn Ström", "Chloé Lefèvre",
	"Priya Raman", "Lukas Novák", "Sofía Peña", "Émile Durand", "Ingrid Haugen", "Tomás Ó Briain",
	"Hana Kováčová", "Diego Alves", "Maëlle Roux", "Kenji Sato", "Ana Łukasiewicz", "Jonas Weiß",
	"Léa Fontaine", "Nikolaj Søndergaard",
}

// DemoRacers are the demo's n racers, "racer-001"... with accented names.
func DemoRacers(n int) []race.Racer {
	out := make([]race.Racer, 0, n)
	for i := 0; i < n; i++ {
		r := race.Racer{ID: fmt.Sprintf("racer-%03d", i+1), Name: demoNames[i%len(demoNames)]}
		if i >= len(demoNames) {
			r.Name = fmt.Sprintf("%s %d", r.Name, i/len(demoNames)+1)
		}
		out = append(out, r)
	}
	return out
}

// runAutoOfficial stands in for the official in the demo: it creates demo
// racers, loads the next one when the track is free, presses Reset when the
// simulated car goes off track, and submits every race that is over.
func runAutoOfficial(ctx context.Context, u *Unit, cfg AutoOfficial) {
	t := u.track
	for _, r := range DemoRacers(cfg.Racers) {
		if err := t.PutRacer(ctx, autoOfficial, r); err != nil {
			u.log.Error("auto official: create racer", "err", err)
			return
		}
	}
	var sims []*sim.Source
	for _, s := range u.sources {
		if ss, ok := s.(*sim.Source); ok {
			sims = append(sims, ss)
		}
	}
	next := 0
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.offTrack:
			if r := t.Current(); r != nil && r.State == race.Running {
				_, _ = t.Reset(ctx, autoOfficial, +1)
			}
			continue
		case <-tick.C:
		}
		r := t.Current()
		var err error
		switch {
		case r == nil || r.State.Final():
			id := fmt.Sprintf("racer-%03d", next%cfg.Racers+1)
			for _, s := range sims {
				if next == 0 {
					break // the simulator starts with the first car on track
				}
				if err := s.SetCar(next % cfg.Racers); err != nil {
					u.log.Warn("auto official: switch simulated car", "err", err)
				}
			}
			next++
			_, err = t.LoadRacer(ctx, autoOfficial, id)
		case r.State == race.Over:
			_, err = t.Submit(ctx, autoOfficial)
		case r.State == race.Paused:
			_, err = t.Resume(ctx, autoOfficial)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			u.log.Warn("auto official", "err", err)
		}
	}
}
