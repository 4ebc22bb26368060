package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"pitwall/trackside/race"
)

// Limits of stored identifiers and personal data. They keep keys short and
// boards legible; the console and admin commands show these errors as is.
const (
	maxRaceID   = 128
	maxRacerID  = 64
	maxName     = 64 // runes
	maxEmail    = 254
	maxPhone    = 32
	maxRaceNote = 1024
)

// PutRace stores r under r.ID, replacing the previous version, and keeps the
// racer → races index right when the race is reassigned to another racer.
// Races are never removed: a discarded race keeps its record.
func (t *Tx) PutRace(r race.Race) error {
	if err := validateRace(r); err != nil {
		return fmt.Errorf("put race %q: %w", r.ID, err)
	}
	races, err := t.bucket(bucketRaces)
	if err != nil {
		return fmt.Errorf("put race %q: %w", r.ID, err)
	}
	idx, err := t.bucket(bucketRacesByRacer)
	if err != nil {
		return fmt.Errorf("put race %q: %w", r.ID, err)
	}
	if old := races.Get([]byte(r.ID)); old != nil {
		oldRacer, err := racerIDOf(old)
		if err != nil {
			return fmt.Errorf("put race %q: stored version: %w", r.ID, err)
		}
		if oldRacer != "" && oldRacer != r.RacerID {
			if err := idx.Delete(indexKey(oldRacer, r.ID)); err != nil {
				return fmt.Errorf("put race %q: unindex racer %q: %w", r.ID, oldRacer, err)
			}
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("put race %q: encode: %w", r.ID, err)
	}
	if err := races.Put([]byte(r.ID), data); err != nil {
		return fmt.Errorf("put race %q: %w", r.ID, err)
	}
	if r.RacerID != "" {
		if err := idx.Put(indexKey(r.RacerID, r.ID), []byte{}); err != nil {
			return fmt.Errorf("put race %q: index racer %q: %w", r.ID, r.RacerID, err)
		}
	}
	return nil
}

func validateRace(r race.Race) error {
	if err := validateID("id", r.ID, maxRaceID); err != nil {
		return err
	}
	if r.RacerID != "" {
		if err := validateID("racer_id", r.RacerID, maxRacerID); err != nil {
			return err
		}
	}
	if len(r.Note) > maxRaceNote {
		return fmt.Errorf("note: %d bytes, at most %d", len(r.Note), maxRaceNote)
	}
	return nil
}

// Race returns the race with id; ok is false if there is none.
func (t *Tx) Race(id string) (r race.Race, ok bool, err error) {
	races, err := t.bucket(bucketRaces)
	if err != nil {
		return r, false, fmt.Errorf("race %q: %w", id, err)
	}
	if id == "" {
		return r, false, nil
	}
	v := races.Get([]byte(id))
	if v == nil {
		return r, false, nil
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, false, fmt.Errorf("race %q: decode: %w", id, err)
	}
	return r, true, nil
}

// ForEachRace calls fn for every race in ID order. An error from fn stops
// the walk and is returned unchanged.
func (t *Tx) ForEachRace(fn func(race.Race) error) error {
	races, err := t.bucket(bucketRaces)
	if err != nil {
		return err
	}
	return races.ForEach(func(k, v []byte) error {
		var r race.Race
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("race %q: decode: %w", k, err)
		}
		return fn(r)
	})
}

// RacesOf returns the races of a racer, by run then ID.
func (t *Tx) RacesOf(racerID string) ([]race.Race, error) {
	idx, err := t.bucket(bucketRacesByRacer)
	if err != nil {
		return nil, fmt.Errorf("races of %q: %w", racerID, err)
	}
	if racerID == "" {
		return nil, nil
	}
	prefix := indexPrefix(racerID)
	var out []race.Race
	cur := idx.Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		raceID := string(k[len(prefix):])
		r, ok, err := t.Race(raceID)
		if err != nil {
			return nil, fmt.Errorf("races of %q: %w", racerID, err)
		}
		if !ok {
			return nil, fmt.Errorf("races of %q: index names race %q, which is missing", racerID, raceID)
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Run != out[j].Run {
			return out[i].Run < out[j].Run
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// PutRacer stores r under r.ID, replacing the previous version. Only a
// racer without races can be removed (DeleteRacer); otherwise
// disqualification is the flag that takes them off the boards.
func (t *Tx) PutRacer(r race.Racer) error {
	if err := validateRacer(r); err != nil {
		return fmt.Errorf("put racer %q: %w", r.ID, err)
	}
	racers, err := t.bucket(bucketRacers)
	if err != nil {
		return fmt.Errorf("put racer %q: %w", r.ID, err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("put racer %q: encode: %w", r.ID, err)
	}
	if err := racers.Put([]byte(r.ID), data); err != nil {
		return fmt.Errorf("put racer %q: %w", r.ID, err)
	}
	return nil
}

func validateRacer(r race.Racer) error {
	if err := validateID("id", r.ID, maxRacerID); err != nil {
		return err
	}
	if strings.TrimSpace(r.Name) == "" {
		return fmt.Errorf("name: empty")
	}
	if err := validateText("name", r.Name, maxName); err != nil {
		return err
	}
	if r.Email != "" {
		if len(r.Email) > maxEmail {
			return fmt.Errorf("email: %d bytes, at most %d", len(r.Email), maxEmail)
		}
		if err := validateText("email", r.Email, maxEmail); err != nil {
			return err
		}
		if at := strings.IndexByte(r.Email, '@'); at <= 0 || at == len(r.Email)-1 || strings.ContainsAny(r.Email, " \t") {
			return fmt.Errorf("email: %q is not an address", r.Email)
		}
	}
	if err := validateText("full_name", r.FullName, 2*maxName); err != nil {
		return err
	}
	if err := validateText("country", r.Country, 2); err != nil {
		return err
	}
	if r.Phone != "" {
		if len(r.Phone) > maxPhone {
			return fmt.Errorf("phone: %d bytes, at most %d", len(r.Phone), maxPhone)
		}
		if err := validateText("phone", r.Phone, maxPhone); err != nil {
			return err
		}
	}
	return nil
}

// DeleteRacer removes a racer who has no races (an entry made by mistake).
// A racer with races stays: their results are part of the event's record.
func (t *Tx) DeleteRacer(id string) error {
	racers, err := t.bucket(bucketRacers)
	if err != nil {
		return fmt.Errorf("delete racer %q: %w", id, err)
	}
	if racers.Get([]byte(id)) == nil {
		return fmt.Errorf("delete racer %q: %w", id, ErrNotFound)
	}
	races, err := t.RacesOf(id)
	if err != nil {
		return fmt.Errorf("delete racer %q: %w", id, err)
	}
	if len(races) > 0 {
		return fmt.Errorf("delete racer %q: %d races are theirs: %w", id, len(races), ErrHasRaces)
	}
	if err := racers.Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete racer %q: %w", id, err)
	}
	return nil
}

// Errors of DeleteRacer.
var (
	ErrNotFound = errors.New("not found")
	ErrHasRaces = errors.New("racer has races (disqualify instead)")
)

// Racer returns the racer with id; ok is false if there is none.
func (t *Tx) Racer(id string) (r race.Racer, ok bool, err error) {
	racers, err := t.bucket(bucketRacers)
	if err != nil {
		return r, false, fmt.Errorf("racer %q: %w", id, err)
	}
	if id == "" {
		return r, false, nil
	}
	v := racers.Get([]byte(id))
	if v == nil {
		return r, false, nil
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, false, fmt.Errorf("racer %q: decode: %w", id, err)
	}
	return r, true, nil
}

// ForEachRacer calls fn for every racer in ID order. An error from fn stops
// the walk and is returned unchanged.
func (t *Tx) ForEachRacer(fn func(race.Racer) error) error {
	racers, err := t.bucket(bucketRacers)
	if err != nil {
		return err
	}
	return racers.ForEach(func(k, v []byte) error {
		var r race.Racer
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("racer %q: decode: %w", k, err)
		}
		return fn(r)
	})
}

// validateID accepts 1..max bytes of UTF-8 without spaces or control
// characters: IDs end up in keys, CSV cells and log lines.
func validateID(field, id string, max int) error {
	if id == "" {
		return fmt.Errorf("%s: empty", field)
	}
	if len(id) > max {
		return fmt.Errorf("%s: %d bytes, at most %d", field, len(id), max)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("%s: %q is not valid UTF-8", field, id)
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%s: %q contains a space or control character", field, id)
		}
	}
	return nil
}

// validateText accepts UTF-8 of at most max runes without control characters.
func validateText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: %q is not valid UTF-8", field, s)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%s: %d characters, at most %d", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s: %q contains a control character", field, s)
		}
	}
	return nil
}
