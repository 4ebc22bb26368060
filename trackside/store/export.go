package store

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"pitwall/trackside/race"
)

// csvHeader is the admin export's columns. It includes personal data
// (email, phone): the export is for admins only and is never published.
var csvHeader = []string{
	"race_id", "racer_id", "racer_name", "email", "phone", "run", "state",
	"lap_no", "time_ms", "penalty_ms", "resets", "valid", "short", "manual", "dnf", "deleted",
	"host_timed", // the lap spans a decoder restart: partly host-timed, to review
}

// ExportOptions choose what an export holds.
type ExportOptions struct {
	// Contacts includes the racers' private details (email, phone, full
	// name). Without it the email and phone columns stay empty and the
	// JSON racers carry only public fields: the public export.
	Contacts bool
}

// ExportCSV is WriteCSV with contact details (the admin's export).
func (s *Store) ExportCSV(w io.Writer) error { return s.WriteCSV(w, ExportOptions{Contacts: true}) }

// ExportJSON is WriteJSON with contact details (the admin's export).
func (s *Store) ExportJSON(w io.Writer) error { return s.WriteJSON(w, ExportOptions{Contacts: true}) }

// public drops a racer's private fields unless o.Contacts.
func (o ExportOptions) public(r race.Racer) race.Racer {
	if !o.Contacts {
		r.Email, r.Phone, r.FullName = "", "", ""
	}
	return r
}

// WriteCSV writes one row per lap of every race (deleted laps included,
// flagged), races in ID order. A race without laps gets one row with the lap
// columns empty, so every race shows up. Times are milliseconds with up to
// six decimals (the stored nanoseconds, exactly). It reads one snapshot, so
// it runs beside a unit that keeps committing.
func (s *Store) WriteCSV(w io.Writer, o ExportOptions) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	err := s.View(func(t *Tx) error {
		racers := map[string]race.Racer{}
		if err := t.ForEachRacer(func(r race.Racer) error {
			racers[r.ID] = o.public(r)
			return nil
		}); err != nil {
			return err
		}
		return t.ForEachRace(func(r race.Race) error {
			p := racers[r.RacerID]
			head := []string{cell(r.ID), cell(r.RacerID), cell(p.Name), cell(p.Email), cell(p.Phone),
				strconv.Itoa(r.Run), string(r.State)}
			if len(r.Laps) == 0 {
				return cw.Write(append(head, make([]string, len(csvHeader)-len(head))...))
			}
			for _, l := range r.Laps {
				row := append(head[:len(head):len(head)],
					strconv.Itoa(l.No), millis(l.Time), millis(l.Penalty), strconv.Itoa(l.Resets),
					strconv.FormatBool(l.Valid), strconv.FormatBool(l.Short), strconv.FormatBool(l.Manual),
					strconv.FormatBool(l.DNF), strconv.FormatBool(l.Deleted), strconv.FormatBool(l.HostTimed))
				if err := cw.Write(row); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	return nil
}

// millis formats d as milliseconds without going through float64, so
// 12.345678 ms stays exactly that: "12.345678".
func millis(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	ms, frac := int64(d/time.Millisecond), int64(d%time.Millisecond)
	s := strconv.FormatInt(ms, 10)
	if frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// cell defuses text that a spreadsheet would run as a formula (CSV
// injection: a racer named "=HYPERLINK(...)") by prefixing a quote. Text of
// only digits, spaces and + - ( ) . is left alone: phone numbers such as
// "+44 20 7946 0958" must survive, and such text can at worst be arithmetic,
// never a function call.
func cell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || phoneLike(s) {
		return s
	}
	return "'" + s
}

func phoneLike(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() .", r):
		default:
			return false
		}
	}
	return digits > 0
}

// WriteJSON writes {"racers":[...],"races":[...]} with every racer and
// every race with its laps, from one snapshot.
func (s *Store) WriteJSON(w io.Writer, o ExportOptions) error {
	bw := bufio.NewWriter(w)
	err := s.View(func(t *Tx) error {
		if _, err := bw.WriteString(`{"racers":[`); err != nil {
			return err
		}
		first := true
		if err := t.ForEachRacer(func(r race.Racer) error { return writeItem(bw, &first, o.public(r)) }); err != nil {
			return err
		}
		if _, err := bw.WriteString(`],"races":[`); err != nil {
			return err
		}
		first = true
		if err := t.ForEachRace(func(r race.Race) error { return writeItem(bw, &first, r) }); err != nil {
			return err
		}
		_, err := bw.WriteString("]}\n")
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("export json: %w", err)
	}
	return nil
}

// writeItem writes one array element, streaming so a large event never has
// to fit in memory twice.
func writeItem(w *bufio.Writer, first *bool, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !*first {
		if err := w.WriteByte(','); err != nil {
			return err
		}
	}
	*first = false
	_, err = w.Write(data)
	return err
}
