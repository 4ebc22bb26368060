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
	Items []item `json:"items"`
	Max   *int   `json:"max,omitempty"`
}

// item is a tagged union in file form: which keys apply depends on "kind".
type item struct {
	Kind  string    `json:"kind" jsonconf:"variant"`
	Name  string    `json:"name"`
	Path  string    `json:"path,omitempty" jsonconf:"for=file"`
	Addr  string    `json:"addr,omitempty" jsonconf:"for=net"`
	Delay *Duration `json:"delay,omitempty" jsonconf:"for=file|net"`
	Cars  int       `json:"cars,omitempty" jsonconf:"for=sim"`
}

func TestDecode(t *testing.T) {
	var s sample
	err := Decode([]byte(`{"name": "a", "every": "250ms", "inner": {"n": 3},
		"items": [{"kind": "file", "name": "f", "path": "/x", "delay": "0s"}, {"kind": "net", "addr": "h:1"}, {"kind": "sim", "cars": 2}]}`), &s)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "a" || time.Duration(s.Every) != 250*time.Millisecond || s.Inner.N != 3 || len(s.Items) != 3 ||
		s.Items[0].Delay == nil || *s.Items[0].Delay != 0 || s.Items[1].Addr != "h:1" || s.Items[2].Cars != 2 {
		t.Fatalf("decoded %+v", s)
	}
}

func TestDecodeErrorsNameTheKeyPath(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{``, "the file is empty"},
		{" \n\t ", "the file is empty"},
		{`null`, "the file: want an object, got null"},
		{`[]`, "the file: want an object, got an array"},
		{`{"nmae": "a"}`, `nmae: unknown key "nmae" (known keys: every, inner, items, max, name)`},
		{`{"Name": "a"}`, `Name: unknown key`}, // encoding/json would take it for "name"
		{`{"inner": {"m": 1}}`, `inner.m: unknown key "m" (known keys: n)`},
		{`{"items": [{"kind": "file"}, {"kind": "net", "pth": "/x"}]}`, `items[1].pth: unknown key "pth" (known keys: addr, delay, kind, name)`},
		{`{"items": [{"kind": "net", "name": "n", "path": "/x"}]}`, `items[0].path: not a key of a net item (it applies to file; a net item takes addr, delay, kind, name)`},
		{`{"items": [{"path": "/x", "kind": "sim"}]}`, `items[0].path: not a key of a sim item`}, // order does not matter
		{`{"items": [{"kind": "file", "cars": 50}]}`, `items[0].cars: not a key of a file item (it applies to sim; a file item takes delay, kind, name, path)`},
		{`{"name": "a", "name": "b"}`, `name: duplicate key (line 1, first on line 1)`},
		{"{\"items\": [{\"kind\": \"file\",\n\"path\": \"/a\",\n\"path\": \"/b\"}]}", `items[0].path: duplicate key (line 3, first on line 2)`},
		{`{"every": "soon"}`, `every: want a duration such as "300ms" or "3m", got "soon"`},
		{`{"every": 5}`, `every: want a duration such as "300ms" or "3m", got 5`},
		{`{"every": "-1s"}`, `every: "-1s" is negative`},
		{`{"items": [{"kind": "file", "delay": "-5ms"}]}`, `items[0].delay: "-5ms" is negative`},
		{`{"inner": {"n": "3"}}`, `inner.n: want int (a whole number), got "3"`},
		{`{"inner": {"n": 1.5}}`, `inner.n: want int (a whole number in its range), got 1.5`},
		{`{"inner": {"n": 1e99}}`, `inner.n: want int`},
		{`{"name": 1}`, `name: want a string, got 1`},
		{`{"name": null}`, `name: want a string, got null`},
		{`{"items": {}}`, `items: want an array, got an object`},
		{"{\n\"name\": \"a\",\n}", "line 3"},
		{"{\n\"name\": \"a\"", "line 2: the JSON ends early"},
		{`{"name": "a"} {"name": "b"}`, "trailing data"},
		{`{"name": "a"} garbage`, "trailing data"},
	} {
		var s sample
		if err := Decode([]byte(tc.body), &s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.body, err, tc.want)
		}
	}
}

func TestDecodeKeepsDefaultsAndAllowsNullPointers(t *testing.T) {
	s := sample{Name: "default"}
	if err := Decode([]byte(`{"max": null, "items": null}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "default" || s.Max != nil {
		t.Fatalf("decoded %+v", s)
	}
}

func TestDurationUnmarshalRefusesNegative(t *testing.T) {
	var d Duration
	if err := d.UnmarshalJSON([]byte(`"-1s"`)); err == nil {
		t.Fatal("negative duration accepted")
	}
	if err := d.UnmarshalJSON([]byte(`"1m30s"`)); err != nil || time.Duration(d) != 90*time.Second {
		t.Fatalf("1m30s: %v, %v", d, err)
	}
}

// []byte reads from base64 text, as encoding/json does (public keys).
func TestDecodeBytesFromBase64(t *testing.T) {
	var v struct {
		Key []byte `json:"key"`
	}
	if err := Decode([]byte(`{"key": "AQID"}`), &v); err != nil || string(v.Key) != "\x01\x02\x03" {
		t.Fatalf("%v %v", v.Key, err)
	}
	for in, want := range map[string]string{`{"key": [1]}`: "key: want base64 text", `{"key": "!!"}`: "key: not standard base64"} {
		if err := Decode([]byte(in), &v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
