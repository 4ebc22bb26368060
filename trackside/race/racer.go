package race

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

var racerIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateRacer reports the first field of r that is not acceptable.
func ValidateRacer(r Racer) error {
	switch {
	case !racerIDPattern.MatchString(r.ID):
		return fmt.Errorf("racer id %q: want 1-64 of [A-Za-z0-9._-]", r.ID)
	case strings.TrimSpace(r.Name) == "":
		return fmt.Errorf("racer %s: name is empty", r.ID)
	case !utf8.ValidString(r.Name) || utf8.RuneCountInString(r.Name) > 64:
		return fmt.Errorf("racer %s: name must be valid UTF-8 of at most 64 characters", r.ID)
	case len(r.Email) > 254 || (r.Email != "" && !strings.Contains(r.Email, "@")):
		return fmt.Errorf("racer %s: email %q is not an address", r.ID, r.Email)
	case len(r.Phone) > 32:
		return fmt.Errorf("racer %s: phone is longer than 32 characters", r.ID)
	case !utf8.ValidString(r.FullName) || utf8.RuneCountInString(r.FullName) > 128:
		return fmt.Errorf("racer %s: full name must be valid UTF-8 of at most 128 characters", r.ID)
	case r.Country != "" && !countryPattern.MatchString(r.Country):
		return fmt.Errorf("racer %s: country %q: want two capital letters (ISO 3166-1 alpha-2)", r.ID, r.Country)
	}
	if r.Transponder != "" {
		if err := ValidateTransponder(r.Transponder); err != nil {
			return fmt.Errorf("racer %s: %w", r.ID, err)
		}
	}
	return nil
}

// transponderPattern is what decoders report as a transponder id: decimal
// numbers (P3, AMB, ZRound, I-Lap), sometimes with a letter prefix.
var transponderPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$`)

// ValidateTransponder refuses a transponder id no decoder can report.
func ValidateTransponder(id string) error {
	if !transponderPattern.MatchString(id) {
		return fmt.Errorf("transponder %q: want 1-32 of [A-Za-z0-9._:-]", id)
	}
	return nil
}
