package admin

import (
	"time"

	"pitwall/internal/jsonconf"
	"pitwall/trackside/race"
)

// Rules are rules.set's arguments: the rules in config-file form, each
// field optional (left out: kept). Same keys as the trackside config's
// "rules" section.
type Rules struct {
	Duration        *jsonconf.Duration `json:"duration,omitempty"`
	StartMode       *string            `json:"start_mode,omitempty"`
	Expiry          *string            `json:"expiry,omitempty"`
	Grace           *jsonconf.Duration `json:"grace,omitempty"`
	CrossingResumes *bool              `json:"crossing_resumes,omitempty"`
	ResetMode       *string            `json:"reset_mode,omitempty"`
	MaxResetsPerLap *int               `json:"max_resets_per_lap,omitempty"`
	ResetPenalty    *jsonconf.Duration `json:"reset_penalty,omitempty"`
	MinLap          *jsonconf.Duration `json:"min_lap,omitempty"`
	MaxRuns         *int               `json:"max_runs,omitempty"`
	EnforceMaxRuns  *bool              `json:"enforce_max_runs,omitempty"`
	Ranking         *string            `json:"ranking,omitempty"`
	RankLaps        *int               `json:"rank_laps,omitempty"`
}

// Over returns c with the fields r sets replaced.
func (r Rules) Over(c race.Config) race.Config {
	d := func(dst *time.Duration, v *jsonconf.Duration) {
		if v != nil {
			*dst = time.Duration(*v)
		}
	}
	s := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	i := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	b := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	d(&c.Duration, r.Duration)
	s((*string)(&c.StartMode), r.StartMode)
	s((*string)(&c.Expiry), r.Expiry)
	d(&c.Grace, r.Grace)
	b(&c.CrossingResumes, r.CrossingResumes)
	s((*string)(&c.ResetMode), r.ResetMode)
	i(&c.MaxResetsPerLap, r.MaxResetsPerLap)
	d(&c.ResetPenalty, r.ResetPenalty)
	d(&c.MinLap, r.MinLap)
	i(&c.MaxRuns, r.MaxRuns)
	b(&c.EnforceMaxRuns, r.EnforceMaxRuns)
	s((*string)(&c.Ranking), r.Ranking)
	i(&c.RankLaps, r.RankLaps)
	return c
}
