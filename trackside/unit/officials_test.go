package unit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/pin"
	"pitwall/trackside/store"
)

func TestParseOfficials(t *testing.T) {
	got, err := ParseOfficials([]byte("\uFEFF# officials of Hall A\r\nAna Ruiz: 2468\r\n\r\n  Bo Berg :135790 # night shift\nCy Dahl:\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Official{{"Ana Ruiz", "2468"}, {"Bo Berg", "135790"}, {"Cy Dahl", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, c := range []struct{ in, want string }{
		{"Ana Ruiz 2468", "line 1: want \"Name: PIN\""},
		{"# x\nAna: 12", "line 2 (Ana): pin: want 4 to 12 digits"},
		{"Ana: 12ab", "line 1 (Ana): pin: digits only"},
		{": 2468", "line 1: the official's name"},
		{"Ana: 2468\nAna: 1357", "line 2: Ana is already on line 1"},
		{strings.Repeat("n", 65) + ": 2468", "1 to 64 bytes"},
	} {
		_, err := ParseOfficials([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

// The file sets PINs the console accepts, leaves matching ones untouched
// (no rewrite at every start), removes on "Name:", and keeps PINs of
// officials it does not name.
func TestOfficialsFileSetsPINs(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "pitwall.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, _ := pin.Hash("9999")
	if err := SetPINIn(st, "Admin Set", h); err != nil {
		t.Fatal(err)
	}
	pinOf := func(name string) []byte {
		var v []byte
		st.View(func(tx *store.Tx) error { v = tx.Config(pin.Setting(name)); return nil })
		return v
	}
	set, kept, removed, err := ApplyOfficials(st, []Official{{"Ana", "2468"}, {"Bo", "1357"}})
	if err != nil || set != 2 || kept != 0 || removed != 0 {
		t.Fatalf("first: set %d kept %d removed %d err %v", set, kept, removed, err)
	}
	ana := pinOf("Ana")
	if !pin.Check(ana, "2468") || pin.Check(ana, "1357") {
		t.Fatal("Ana's PIN is not 2468")
	}
	set, kept, removed, err = ApplyOfficials(st, []Official{{"Ana", "2468"}, {"Bo", ""}})
	if err != nil || set != 0 || kept != 1 || removed != 1 {
		t.Fatalf("second: set %d kept %d removed %d err %v", set, kept, removed, err)
	}
	if string(pinOf("Ana")) != string(ana) {
		t.Error("an unchanged PIN was rewritten")
	}
	if len(pinOf("Bo")) != 0 {
		t.Error("Bo's PIN was not removed")
	}
	if !pin.Check(pinOf("Admin Set"), "9999") {
		t.Error("a PIN set by pin.set and not in the file was touched")
	}
}

// A broken officials file is a config error naming the key, the file and
// the line, found by Validate (and so by trackside -check) before anything
// starts; a missing file is none.
func TestOfficialsFileInConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "officials.txt")
	c := Config{Track: "1", DataDir: dir, LogLevel: "info", Health: Duration(time.Second), Sources: []SourceSpec{{Type: "sim", Name: "sim", Cars: 1}}}
	c.Console.OfficialsFile = path
	if err := c.Validate(); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	os.WriteFile(path, []byte("Ana Ruiz: 2468\nBo: 12x4\n"), 0o600)
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "console.officials_file "+path+": line 2 (Bo)") {
		t.Fatalf("broken file: %v", err)
	}
	if _, err := New(c, Options{}); err == nil {
		t.Fatal("New started with a broken officials file")
	}
	c.Console.OfficialsFile = "officials.txt"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "console.officials_file") {
		t.Fatalf("relative path: %v", err)
	}
}
