package race

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// Corrections after the fact. They work on any race, the current one (via
// Engine.Correct) or one the app loaded from its store, and return the lap
// numbers they changed. Bad input returns an error and changes nothing.
// Laps are never removed: deletion is a flag that RestoreLap clears.

// Bounds of a lap time an official may enter.
const (
	MinEnteredLap = 500 * time.Millisecond
	MaxEnteredLap = time.Hour
)

func checkEntered(t time.Duration) error {
	if t < MinEnteredLap || t > MaxEnteredLap {
		return fmt.Errorf("lap time %v is outside %v..%v", t, MinEnteredLap, MaxEnteredLap)
	}
	if t%Resolution != 0 {
		return fmt.Errorf("lap time %v: enter whole milliseconds", t)
	}
	return nil
}

// lapOf finds lap no of r for action.
func lapOf(r *Race, action string, no int) (*Lap, error) {
	if r == nil {
		return nil, fmt.Errorf("%s: no race", action)
	}
	if no < 1 || no > len(r.Laps) || r.Laps[no-1].No != no {
		return nil, fmt.Errorf("%s: race %s has no lap %d", action, r.ID, no)
	}
	return &r.Laps[no-1], nil
}

// liveLap finds a lap that is not deleted.
func liveLap(r *Race, action string, no int) (*Lap, error) {
	l, err := lapOf(r, action, no)
	if err != nil {
		return nil, err
	}
	if l.Deleted {
		return nil, fmt.Errorf("%s: lap %d of race %s is deleted; restore it first", action, no, r.ID)
	}
	return l, nil
}

// EditLap sets lap no's measured time to t and marks it Edited. The Short
// flag follows the race's minimum lap again; a lap that leaves or enters
// Short gets the validity a lap of its resets would have had when recorded
// (a short lap is recorded invalid), while an edit that keeps the flag
// keeps the validity an official may have toggled.
func EditLap(r *Race, no int, t time.Duration) ([]int, error) {
	l, err := liveLap(r, "edit lap", no)
	if err != nil {
		return nil, err
	}
	if err := checkEntered(t); err != nil {
		return nil, fmt.Errorf("edit lap %d of race %s: %w", no, r.ID, err)
	}
	short := isShort(r.Config, t)
	switch {
	case short && !l.Short:
		l.Valid = false
	case !short && l.Short:
		valid, _ := lapRules(r.Config, l.Resets)
		l.Valid = valid && !l.DNF
	}
	l.Short = short
	l.Time = t
	l.Edited = true
	return []int{no}, nil
}

// SetLapValid sets lap no valid or invalid by the official's decision.
// Setting the value it already has changes nothing.
func SetLapValid(r *Race, no int, valid bool) ([]int, error) {
	l, err := liveLap(r, "set lap valid", no)
	if err != nil {
		return nil, err
	}
	if l.Valid == valid {
		return nil, nil
	}
	l.Valid = valid
	return []int{no}, nil
}

// DeleteLap soft-deletes lap no: it stays in the race, flagged Deleted.
func DeleteLap(r *Race, no int) ([]int, error) {
	l, err := lapOf(r, "delete lap", no)
	if err != nil {
		return nil, err
	}
	if l.Deleted {
		return nil, fmt.Errorf("delete lap: lap %d of race %s is already deleted", no, r.ID)
	}
	l.Deleted = true
	return []int{no}, nil
}

// RestoreLap clears lap no's Deleted flag.
func RestoreLap(r *Race, no int) ([]int, error) {
	l, err := lapOf(r, "restore lap", no)
	if err != nil {
		return nil, err
	}
	if !l.Deleted {
		return nil, fmt.Errorf("restore lap: lap %d of race %s is not deleted", no, r.ID)
	}
	l.Deleted = false
	return []int{no}, nil
}

// AddLap inserts a lap the sensor missed, of time t, after lap `after`
// (0 puts it first, len(r.Laps) at the end), marked Manual and without
// clock stamps. Its place matters: a best-average window runs over laps
// in the order they were driven, so a crossing missed mid-race must become
// a lap mid-race, not one at the end. The laps after it move up one number
// (Lap.No stays the lap's place in the race) and are reported as changed
// with it. seq orders it among all laps of the event (Engine.TakeSeq), so
// on a tie it ranks after laps recorded before it. Its validity follows the
// race's rules for a lap without resets, and the minimum lap applies as to
// any lap.
func AddLap(r *Race, after int, t time.Duration, seq uint64) ([]int, error) {
	if r == nil {
		return nil, errors.New("add lap: no race")
	}
	if r.State == Ready {
		return nil, fmt.Errorf("add lap: race %s has not started", r.ID)
	}
	if after < 0 || after > len(r.Laps) {
		return nil, fmt.Errorf("add lap to race %s: after lap %d: the race has laps 1..%d (0 adds it first)", r.ID, after, len(r.Laps))
	}
	if err := checkEntered(t); err != nil {
		return nil, fmt.Errorf("add lap to race %s: %w", r.ID, err)
	}
	if seq == 0 {
		return nil, fmt.Errorf("add lap to race %s: seq is 0", r.ID)
	}
	for _, l := range r.Laps {
		if l.Seq == seq {
			return nil, fmt.Errorf("add lap to race %s: seq %d is already lap %d's", r.ID, seq, l.No)
		}
	}
	lap := Lap{No: after + 1, Time: t, Manual: true, Seq: seq}
	if isShort(r.Config, t) {
		lap.Short = true
	} else {
		lap.Valid, _ = lapRules(r.Config, 0)
	}
	r.Laps = slices.Insert(r.Laps, after, lap)
	nos := make([]int, 0, len(r.Laps)-after)
	for i := after; i < len(r.Laps); i++ {
		r.Laps[i].No = i + 1
		nos = append(nos, i+1)
	}
	return nos, nil
}

// SplitLap splits lap no, which ran over a crossing the sensor missed, into
// two laps: lap no keeps its start, resets and penalty and gets time first
// (marked Edited, validity as EditLap gives it); a Manual lap of the rest
// of its time follows it as lap no+1, and the laps after it move up one.
// Both parts must be times an official may enter. seq is the new lap's
// (Engine.TakeSeq).
func SplitLap(r *Race, no int, first time.Duration, seq uint64) ([]int, error) {
	l, err := liveLap(r, "split lap", no)
	if err != nil {
		return nil, err
	}
	second := l.Time - first
	if err := checkEntered(first); err != nil {
		return nil, fmt.Errorf("split lap %d of race %s: first part: %w", no, r.ID, err)
	}
	if err := checkEntered(second); err != nil {
		return nil, fmt.Errorf("split lap %d of race %s: the rest (%v of %v): %w", no, r.ID, second, l.Time, err)
	}
	// Check what AddLap would refuse before EditLap changes anything, so a
	// refused split leaves r as it was.
	if seq == 0 || slices.ContainsFunc(r.Laps, func(x Lap) bool { return x.Seq == seq }) {
		return nil, fmt.Errorf("split lap %d of race %s: seq %d is 0 or in use", no, r.ID, seq)
	}
	if _, err := EditLap(r, no, first); err != nil {
		return nil, err
	}
	nos, err := AddLap(r, no, second, seq)
	if err != nil {
		return nil, err
	}
	return append([]int{no}, nos...), nil
}

// LapEffect sorts the lap numbers a correction of race r reports into the
// laps it added (a seq the race did not have before) and the laps it
// changed. It is what Engine.Correct reports for the current race, and
// what the app reports for a stored one.
func LapEffect(before []Lap, r *Race, nos []int) Effect {
	had := make(map[uint64]bool, len(before))
	for _, l := range before {
		had[l.Seq] = true
	}
	eff := Effect{Race: r}
	for _, no := range nos {
		if no >= 1 && no <= len(r.Laps) && !had[r.Laps[no-1].Seq] {
			eff.Recorded = append(eff.Recorded, no)
		} else {
			eff.Changed = append(eff.Changed, no)
		}
	}
	return eff
}

// Reassign gives the race to another racer (the official loaded the wrong
// one). On a stored race Run keeps the number it was loaded with and the
// app renumbers it; Engine.Correct renumbers the current race itself. Max
// runs are not checked: the officials decided.
func Reassign(r *Race, racerID string) error {
	if r == nil {
		return errors.New("reassign: no race")
	}
	if racerID == "" {
		return fmt.Errorf("reassign race %s: racer id is empty", r.ID)
	}
	if r.RacerID == racerID {
		return fmt.Errorf("reassign race %s: it already belongs to racer %q", r.ID, racerID)
	}
	r.RacerID = racerID
	return nil
}

// Correct applies fn to the current race if its id is raceID and reports
// true; otherwise it changes nothing and reports false, and the app applies
// fn to the stored race itself. fn works on a copy: if it fails, the race
// is unchanged. Laps fn reports that the race did not have before are
// Recorded (an added lap), the others Changed (LapEffect). A race given to another
// racer takes its run with it and gets the new racer's run number.
func (e *Engine) Correct(raceID string, fn func(*Race) ([]int, error)) (Effect, bool, error) {
	if e.cur == nil || e.cur.ID != raceID {
		return Effect{}, false, nil
	}
	if fn == nil {
		return Effect{}, true, fmt.Errorf("correct race %s: no correction given", raceID)
	}
	r := e.cur.clone()
	nos, err := fn(r)
	if err != nil {
		return Effect{}, true, fmt.Errorf("correct race %s: %w", raceID, err)
	}
	if r.ID != e.cur.ID || r.Track != e.cur.Track {
		return Effect{}, true, fmt.Errorf("correct race %s: a correction may not change the race id or track", raceID)
	}
	if err := checkRace(r, e.track, e.nextSeq); err != nil {
		return Effect{}, true, fmt.Errorf("correct race %s: %w", raceID, err)
	}
	if reflect.DeepEqual(r, e.cur) {
		return Effect{}, true, nil
	}
	if r.RacerID != e.cur.RacerID {
		// The run moves with the race and is numbered among the new
		// racer's runs, which keeps Run what Restore relies on.
		if r.Started() {
			if e.runs[e.cur.RacerID]--; e.runs[e.cur.RacerID] <= 0 {
				delete(e.runs, e.cur.RacerID)
			}
			e.runs[r.RacerID]++
			r.Run = e.runs[r.RacerID]
		} else {
			r.Run = e.runs[r.RacerID] + 1
		}
	}
	eff := LapEffect(e.cur.Laps, r, nos)
	eff.Race = nil // e.changed sets it to the engine's copy
	e.cur = r
	return e.changed(eff), true, nil
}
