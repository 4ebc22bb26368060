package jsonconf

import (
	"strings"
	"testing"
	"time"
)

type sample struct {
	Name  string   `json:"name"`
	Every Duration `json:"every"`
	Inner struct {
		N int `json:"n"`
	} `json:"inner"`
}

func TestDecode(t *testing.T) {
	var s sample
	if err := Decode([]byte(`{"name": "a", "every": "250ms", "inner": {"n": 3}}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "a" || time.Duration(s.Every) != 250*time.Millisecond || s.Inner.N != 3 {
		t.Fatalf("decoded %+v", s)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"nmae": "a"}`, `unknown key "nmae"`},
		{`{"every": "soon"}`, `every: want a duration such as "300ms" or "3m", got "soon"`},
		{`{"every": 5}`, `every: want a duration`},
		{`{"inner": {"n": "3"}}`, `inner.n: want int, got string`},
		{"{\n\"name\": \"a\",\n}", "line 3"},
		{`{"name": "a"} {"name": "b"}`, "trailing data"},
	} {
		var s sample
		if err := Decode([]byte(tc.body), &s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.body, err, tc.want)
		}
	}
}
