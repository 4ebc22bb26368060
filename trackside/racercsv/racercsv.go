// Package racercsv reads the racer list admins import (racectl racer import):
// a CSV with a header row naming its columns. Parsing is a pure function so
// racectl (dry run on the laptop) and the trackside (the import itself)
// refuse the same rows for the same reasons.
//
// Columns (any order, names case-insensitive, unknown columns refused):
//
//	id            racer id, the same on every track (racectl fills it in)
//	name          full name (private)
//	display_name  name on the boards (public), required
//	email, phone  contact details (private)
//	country       ISO 3166-1 alpha-2 (public)
//	transponder   transponder / car number: the racer's races are bound to
//	              it at load; "" clears it. Without this column an import
//	              leaves the transponders of racers that exist as they are.
package racercsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"pitwall/mqtt"
	"pitwall/trackside/race"
)

// Row is one accepted row.
type Row struct {
	Line  int
	Racer race.Racer // Racer.Transponder from the transponder column
	// SaysTransponder: the file has a transponder column, so the row sets
	// the racer's transponder ("" clears it). Without one an import keeps
	// the transponders racers have.
	SaysTransponder bool
}

// MaxRows bounds one import.
const MaxRows = 10000

var known = map[string]bool{"id": true, "name": true, "display_name": true, "email": true,
	"phone": true, "country": true, "transponder": true}

// Parse reads every row, returning the acceptable ones and a refusal (line
// and reason) for every other. A file it cannot read at all (no header, bad
// quoting, unknown column) is an error.
func Parse(data []byte) ([]Row, []mqtt.RowRefusal, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("racer csv: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !known[h] {
			return nil, nil, fmt.Errorf("racer csv: column %d %q is not one of id, name, display_name, email, phone, country, transponder", i+1, h)
		}
		if _, dup := col[h]; dup {
			return nil, nil, fmt.Errorf("racer csv: column %q appears twice", h)
		}
		col[h] = i
	}
	if _, ok := col["display_name"]; !ok {
		return nil, nil, errors.New("racer csv: no display_name column")
	}
	var rows []Row
	var refused []mqtt.RowRefusal
	seen := map[string]int{}
	for {
		line, _ := cr.FieldPos(0)
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("racer csv: %w", err)
		}
		line, _ = cr.FieldPos(0)
		if len(rows)+len(refused) >= MaxRows {
			return nil, nil, fmt.Errorf("racer csv: more than %d rows: split the file", MaxRows)
		}
		if len(rec) != len(header) {
			refused = append(refused, mqtt.RowRefusal{Line: line, Reason: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		_, saysTransponder := col["transponder"]
		r := Row{Line: line, SaysTransponder: saysTransponder, Racer: race.Racer{
			ID: get("id"), FullName: get("name"), Name: get("display_name"),
			Email: get("email"), Phone: get("phone"), Country: strings.ToUpper(get("country")),
			Transponder: get("transponder"),
		}}
		if reason := check(r, seen); reason != "" {
			refused = append(refused, mqtt.RowRefusal{Line: line, Reason: reason})
			continue
		}
		seen[r.Racer.ID] = line
		rows = append(rows, r)
	}
	return rows, refused, nil
}

// check gives the reason a row is refused, or "". Reasons name the field,
// never its value: they are shown and may be logged.
func check(r Row, seen map[string]int) string {
	switch {
	case r.Racer.ID == "":
		return "id is empty (racectl fills in ids: racectl racer import)"
	case r.Racer.Name == "":
		return "display_name is empty"
	case seen[r.Racer.ID] != 0:
		return fmt.Sprintf("id %s is also on line %d", r.Racer.ID, seen[r.Racer.ID])
	}
	if err := race.ValidateRacer(r.Racer); err != nil {
		return fieldOf(err)
	}
	return ""
}

// fieldOf turns a validation error into a reason without the value (an
// email address must not end up in a log line).
func fieldOf(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "racer id ") {
		return "id: want 1-64 of [A-Za-z0-9._-]"
	}
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		msg = rest // drop "racer <id>: ": an id may read like a field name
	}
	if strings.HasPrefix(msg, "transponder ") { // before the value, which may read like a field name
		return "transponder: want 1-32 of [A-Za-z0-9._:-]"
	}
	for _, f := range []string{"email", "phone", "full name", "country", "name"} {
		if strings.Contains(msg, f) {
			switch f {
			case "email":
				return "email is not an address"
			case "phone":
				return "phone is longer than 32 characters"
			case "full name":
				return "name is longer than 128 characters or not UTF-8"
			case "country":
				return "country: want two letters (ISO 3166-1 alpha-2)"
			default:
				return "display_name is empty, longer than 64 characters or not UTF-8"
			}
		}
	}
	return "invalid row"
}

// FillIDs returns data with an id column, filling each empty id with
// newID(): racectl makes ids once, so the same racer has the same id on
// every track.
func FillIDs(data []byte, newID func() string) ([]byte, error) {
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("racer csv: %w", err)
	}
	if len(recs) == 0 {
		return nil, errors.New("racer csv: empty")
	}
	idCol := -1
	for i, h := range recs[0] {
		if strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) == "id" {
			idCol = i
		}
	}
	if idCol < 0 {
		for i := range recs {
			recs[i] = append([]string{""}, recs[i]...)
		}
		recs[0][0], idCol = "id", 0
	}
	for _, rec := range recs[1:] {
		if idCol < len(rec) && strings.TrimSpace(rec[idCol]) == "" {
			rec[idCol] = newID()
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(recs); err != nil {
		return nil, fmt.Errorf("racer csv: %w", err)
	}
	return buf.Bytes(), nil
}
