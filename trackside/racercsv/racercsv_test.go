package racercsv

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseRefusesEachBadRowWithItsReason(t *testing.T) {
	in := "id,name,display_name,email,phone,country,transponder\n" +
		"r1,Ann Lee,Ann,ann@example.com,+44 20 7946 0958,gb,1001\n" +
		",Bob,Bob,,,,\n" + // line 3: no id
		"r3,Cy,,cy@example.com,,,\n" + // line 4: no display name
		"r4,Di,Di,not-an-address,,,\n" + // line 5
		"r1,Ann again,Ann2,,,,\n" + // line 6: duplicate id
		"r7,Ed,Ed,,,GBR,\n" + // line 7: country
		"r8,Fi,Fi\n" + // line 8: short row
		"r 9,Gu,Gu,,,,\n" + // line 9: bad id
		"email,Hu,,,,,\n" + // line 10: an id that reads like a field
		"r11,Io,Io,,,,car 7\n" + // line 11: transponder with a space
		"r12,Jo,Jo,,,,name\n" // line 12: a transponder that reads like a field, accepted
	rows, refused, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Racer.ID != "r1" || rows[0].Racer.Country != "GB" || rows[0].Racer.FullName != "Ann Lee" ||
		rows[0].Racer.Name != "Ann" || rows[0].Racer.Transponder != "1001" || !rows[0].SaysTransponder || rows[0].Line != 2 ||
		rows[1].Racer.ID != "r12" || rows[1].Racer.Transponder != "name" {
		t.Fatalf("rows %+v", rows)
	}
	want := map[int]string{3: "id is empty", 4: "display_name is empty", 5: "email is not an address",
		6: "also on line 2", 7: "country", 8: "3 fields", 9: "id: want", 10: "display_name is empty",
		11: "transponder: want 1-32 of"}
	if len(refused) != len(want) {
		t.Fatalf("refused %+v", refused)
	}
	for _, r := range refused {
		if !strings.Contains(r.Reason, want[r.Line]) {
			t.Errorf("line %d: %q, want %q", r.Line, r.Reason, want[r.Line])
		}
		if strings.Contains(r.Reason, "not-an-address") || strings.Contains(r.Reason, "car 7") {
			t.Errorf("line %d: reason quotes the value", r.Line)
		}
	}
}

// Without a transponder column a row does not say what the racer's
// transponder is (an import then keeps the stored one).
func TestParseWithoutTransponderColumn(t *testing.T) {
	rows, refused, err := Parse([]byte("id,display_name\nr1,Ann\n"))
	if err != nil || len(refused) != 0 || len(rows) != 1 || rows[0].SaysTransponder || rows[0].Racer.Transponder != "" {
		t.Fatalf("%+v %+v %v", rows, refused, err)
	}
}

func TestParseRefusesFile(t *testing.T) {
	for _, in := range []string{"", "id,name,shoe_size\n", "id,name\n", "id,display_name,id\n", "id,display_name\n\"r1,x\n"} {
		if _, _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestFillIDs(t *testing.T) {
	n := 0
	out, err := FillIDs([]byte("display_name,email\nAnn,a@b.c\nBob,\n"), func() string { n++; return fmt.Sprint("r", n) })
	if err != nil {
		t.Fatal(err)
	}
	rows, refused, err := Parse(out)
	if err != nil || len(refused) != 0 || len(rows) != 2 || rows[0].Racer.ID != "r1" || rows[1].Racer.ID != "r2" {
		t.Fatalf("%s: %+v %+v %v", out, rows, refused, err)
	}
	out, _ = FillIDs([]byte("id,display_name\nkeep,Ann\n,Bob\n"), func() string { return "new" })
	if string(out) != "id,display_name\nkeep,Ann\nnew,Bob\n" {
		t.Fatalf("%q", out)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("id,name,display_name,email,phone,country,transponder\nr1,A,A,a@b.c,1,GB,7\n"))
	f.Add([]byte("display_name\n\"x\"\"y\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, _, err := Parse(data)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Racer.ID == "" || r.Racer.Name == "" {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}
