package store

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/race"
)

func exportFixture(t *testing.T) (*Store, []race.Racer, []race.Race) {
	s := openAt(t, dbPath(t))
	racers := []race.Racer{
		{ID: "alice", Name: "Alice, \"Al\" Ng", Email: "alice@example.org", Phone: "+44 20 7946 0958", Transponder: "1001"},
		{ID: "mallory", Name: "=HYPERLINK(\"http://x\")", Email: "m@example.org"},
	}
	r1 := race.Race{ID: "r-1", Track: "t1", RacerID: "alice", Run: 1, State: race.Submitted, Config: race.DefaultConfig(), Transponder: "1001", Binding: race.BoundPreset,
		Laps: []race.Lap{
			{No: 1, Time: 12345678 * time.Nanosecond, Valid: true},
			{No: 2, Time: 9 * time.Second, Penalty: 2 * time.Second, Resets: 1, Valid: true, Manual: true},
			{No: 3, Time: 2 * time.Second, Short: true, Deleted: true},
			{No: 4, Time: 11 * time.Second, DNF: true, HostTimed: true},
		}}
	r2 := race.Race{ID: "r-2", Track: "t1", RacerID: "mallory", Run: 1, State: race.Discarded, Config: race.DefaultConfig(), Laps: []race.Lap{}}
	r3 := race.Race{ID: "r-3", Track: "t1", RacerID: "ghost", Run: 2, State: race.Over, Config: race.DefaultConfig(),
		Laps: []race.Lap{{No: 1, Time: time.Minute, Valid: true}}}
	mustUpdate(t, s, func(tx *Tx) error {
		for _, r := range racers {
			if err := tx.PutRacer(r); err != nil {
				return err
			}
		}
		for _, r := range []race.Race{r3, r1, r2} {
			if err := tx.PutRace(r); err != nil {
				return err
			}
		}
		return nil
	})
	return s, racers, []race.Race{r1, r2, r3}
}

func TestExportCSV(t *testing.T) {
	s, _, _ := exportFixture(t)
	var buf bytes.Buffer
	if err := s.ExportCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, buf.String())
	}
	alice := []string{"r-1", "alice", `Alice, "Al" Ng`, "alice@example.org", "+44 20 7946 0958", "1", "submitted"}
	want := [][]string{
		csvHeader,
		append(alice[:7:7], "1", "12.345678", "0", "0", "true", "false", "false", "false", "false", "false"),
		append(alice[:7:7], "2", "9000", "2000", "1", "true", "false", "true", "false", "false", "false"),
		append(alice[:7:7], "3", "2000", "0", "0", "false", "true", "false", "false", "true", "false"),
		append(alice[:7:7], "4", "11000", "0", "0", "false", "false", "false", "true", "false", "true"),
		{"r-2", "mallory", `'=HYPERLINK("http://x")`, "m@example.org", "", "1", "discarded", "", "", "", "", "", "", "", "", "", ""},
		{"r-3", "ghost", "", "", "", "2", "over", "1", "60000", "0", "0", "true", "false", "false", "false", "false", "false"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("CSV rows:\n%q\nwant\n%q", rows, want)
	}
}

func TestExportJSON(t *testing.T) {
	s, racers, races := exportFixture(t)
	var buf bytes.Buffer
	if err := s.ExportJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Racers []race.Racer `json:"racers"`
		Races  []race.Race  `json:"races"`
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("export is not the expected JSON: %v", err)
	}
	if !reflect.DeepEqual(got.Racers, racers) || !reflect.DeepEqual(got.Races, races) {
		t.Errorf("JSON export = %+v\nwant racers %+v races %+v", got, racers, races)
	}

	var empty bytes.Buffer
	if err := openAt(t, dbPath(t)).ExportJSON(&empty); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(empty.String()); got != `{"racers":[],"races":[]}` {
		t.Errorf("empty export = %s", got)
	}
}

func TestMillis(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{time.Millisecond, "1"},
		{12345678 * time.Nanosecond, "12.345678"},
		{1500 * time.Microsecond, "1.5"},
		{time.Nanosecond, "0.000001"},
		{-2500 * time.Microsecond, "-2.5"},
		{3 * time.Minute, "180000"},
	} {
		if got := millis(tc.d); got != tc.want {
			t.Errorf("millis(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Alice", "Alice"},
		{"=1+2", "'=1+2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "-2+3"}, // digits and + - ( ) . only: arithmetic at worst, never a function call
		{"-", "'-"},
		{"+44 20 7946 0958", "+44 20 7946 0958"},
		{"\tx", "'\tx"},
		{"a=b", "a=b"},
	} {
		if got := cell(tc.in); got != tc.want {
			t.Errorf("cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
