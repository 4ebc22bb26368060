// Package jsonconf reads pitwall's JSON config files strictly. A typo must
// not fall back to a default at a live event, so before anything is decoded
// the whole document is checked against the Go type it is read into:
//
//   - an empty file says so (encoding/json says "EOF");
//   - a key the type does not have is an error, named by its full path
//     (sources[0].pth), and so is a key given twice in one object, which
//     encoding/json silently resolves to the last one;
//   - a value of the wrong JSON kind is an error naming its path;
//   - a Duration must parse and must not be negative;
//   - in a struct with a field tagged `jsonconf:"variant"` (a timing
//     source's "type"), a key whose field carries `jsonconf:"for=a|b"` is
//     accepted only when the variant is a or b, so a key that does not
//     apply to that kind of source is an error instead of being ignored.
//
// Keys match the json tag exactly (encoding/json would also take "Track"
// for "track"). Syntax errors name their line.
package jsonconf

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as "300ms", "20s" or "3m". Config
// durations are never negative: a negative one is a decoding error.
type Duration time.Duration

// ParseDuration reads a config duration.
func ParseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf(`want a duration such as "300ms" or "3m", got %q`, s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return Duration(v), nil
}

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf(`want a duration such as "300ms" or "3m", got %s`, b)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes the duration as "20s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// ErrEmpty is returned for a file with nothing but white space in it.
var ErrEmpty = errors.New("the file is empty (want a JSON object)")

// Decode decodes one JSON object from b into v (over whatever defaults v
// holds) after checking it against v's type; see the package comment.
func Decode(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return ErrEmpty
	}
	root, err := parse(b)
	if err != nil {
		return err
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return fmt.Errorf("jsonconf: decode into non-pointer %T", v)
	}
	if err := check(root, t.Elem(), ""); err != nil {
		return err
	}
	// The check above saw every key and kind; what is left for
	// encoding/json to refuse is rare (an integer out of range).
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: want %s, got %s", te.Field, te.Type, te.Value)
		}
		return err
	}
	return nil
}

// Load reads the file at path and hands its bytes to parse; the error
// names the file.
func Load[T any](path string, parse func([]byte) (T, error)) (T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("config: %w", err)
	}
	c, err := parse(b)
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// node is one JSON value of the document, with its members in file order.
type node struct {
	kind    kind
	str     string // string value or number text
	members []member
	elems   []*node
}

type member struct {
	key string
	val *node
}

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

func (k kind) String() string {
	return [...]string{"null", "true/false", "a number", "a string", "an array", "an object"}[k]
}

// parse reads b into a tree, refusing duplicate keys and trailing data.
func parse(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	p := parser{dec: dec, src: b}
	n, err := p.value("")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line %d: trailing data after the JSON object", p.line())
	}
	return n, nil
}

type parser struct {
	dec *json.Decoder
	src []byte
}

func (p *parser) line() int {
	off := min(int(p.dec.InputOffset()), len(p.src))
	return 1 + bytes.Count(p.src[:off], []byte("\n"))
}

func (p *parser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(p.src[:min(int(se.Offset), len(p.src))], []byte("\n"))
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("line %d: the JSON ends early (unclosed object or array)", p.line())
		}
		return nil, err
	}
	return tok, nil
}

func (p *parser) value(path string) (*node, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kNull}, nil
	case bool:
		return &node{kind: kBool, str: strconv.FormatBool(t)}, nil
	case json.Number:
		return &node{kind: kNumber, str: t.String()}, nil
	case string:
		return &node{kind: kString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &node{kind: kArray}
			for i := 0; p.dec.More(); i++ {
				e, err := p.value(fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, e)
			}
			_, err := p.token() // ']'
			return n, err
		case '{':
			n := &node{kind: kObject}
			seen := map[string]int{}
			for p.dec.More() {
				tok, err := p.token()
				if err != nil {
					return nil, err
				}
				key, _ := tok.(string)
				kp := join(path, key)
				if first, dup := seen[key]; dup {
					return nil, fmt.Errorf("%s: duplicate key (line %d, first on line %d)", kp, p.line(), first)
				}
				seen[key] = p.line()
				v, err := p.value(kp)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{key: key, val: v})
			}
			_, err := p.token() // '}'
			return n, err
		}
	}
	return nil, fmt.Errorf("line %d: unexpected token %v", p.line(), tok)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	durationType    = reflect.TypeFor[Duration]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// check compares the value n at path with the Go type t it decodes into.
func check(n *node, t reflect.Type, path string) error {
	name := path
	if name == "" {
		name = "the file"
	}
	if t.Kind() == reflect.Pointer {
		if n.kind == kNull {
			return nil
		}
		t = t.Elem()
	}
	if t == durationType {
		if n.kind != kString {
			return fmt.Errorf(`%s: want a duration such as "300ms" or "3m", got %s`, name, n)
		}
		_, err := ParseDuration(n.str)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Kind() == reflect.Interface {
		return nil // the type reads itself
	}
	want := func(what string) error { return fmt.Errorf("%s: want %s, got %s", name, what, n) }
	switch t.Kind() {
	case reflect.Struct:
		if n.kind != kObject {
			return want("an object")
		}
		return checkStruct(n, t, path)
	case reflect.Map:
		if n.kind != kObject {
			return want("an object")
		}
		for _, m := range n.members {
			if err := check(m.val, t.Elem(), join(path, m.key)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.kind == kNull && t.Kind() == reflect.Slice {
			return nil
		}
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			// encoding/json reads []byte from standard base64 text.
			if n.kind != kString {
				return want("base64 text")
			}
			if _, err := base64.StdEncoding.DecodeString(n.str); err != nil {
				return fmt.Errorf("%s: not standard base64: %v", name, err)
			}
			return nil
		}
		if n.kind != kArray {
			return want("an array")
		}
		for i, e := range n.elems {
			if err := check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.String:
		if n.kind != kString {
			return want("a string")
		}
	case reflect.Bool:
		if n.kind != kBool {
			return want("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.kind != kNumber {
			return want(t.Kind().String() + " (a whole number)")
		}
		if _, err := strconv.ParseInt(n.str, 10, t.Bits()); err != nil {
			return want(t.Kind().String() + " (a whole number in its range)")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.kind != kNumber {
			return want(t.Kind().String() + " (a whole number ≥ 0)")
		}
		if _, err := strconv.ParseUint(n.str, 10, t.Bits()); err != nil {
			return want(t.Kind().String() + " (a whole number ≥ 0 in its range)")
		}
	case reflect.Float32, reflect.Float64:
		if n.kind != kNumber {
			return want("a number")
		}
	}
	return nil
}

// String describes a value for "want X, got Y".
func (n *node) String() string {
	switch n.kind {
	case kString:
		return strconv.Quote(n.str)
	case kNumber, kBool:
		return n.str
	}
	return n.kind.String()
}

// field is a struct field as the file spells it.
type field struct {
	index   []int
	typ     reflect.Type
	variant bool     // selects which keys apply
	forTags []string // the variants this key applies to; nil: all
}

// fields lists t's keys, those of embedded structs included.
func fields(t reflect.Type) map[string]field {
	out := map[string]field{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || (f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "") {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fd := field{index: f.Index, typ: f.Type}
		if tag := f.Tag.Get("jsonconf"); tag == "variant" {
			fd.variant = true
		} else if v, ok := strings.CutPrefix(tag, "for="); ok {
			fd.forTags = strings.Split(v, "|")
		}
		out[name] = fd
	}
	return out
}

func checkStruct(n *node, t reflect.Type, path string) error {
	fs := fields(t)
	variant := ""
	for _, m := range n.members {
		if f, ok := fs[m.key]; ok && f.variant && m.val.kind == kString {
			variant = m.val.str
		}
	}
	for _, m := range n.members {
		kp := join(path, m.key)
		f, ok := fs[m.key]
		if !ok {
			return fmt.Errorf("%s: unknown key %q (known keys: %s)", kp, m.key, suggest(fs, variant))
		}
		if f.forTags != nil && variant != "" && knownVariant(fs, variant) && !slices.Contains(f.forTags, variant) {
			return fmt.Errorf("%s: not a key of a %s %s (it applies to %s; a %s %s takes %s)", kp, variant, noun(path),
				strings.Join(f.forTags, ", "), variant, noun(path), suggest(fs, variant))
		}
		if err := check(m.val, f.typ, kp); err != nil {
			return err
		}
	}
	return nil
}

// knownVariant tells whether some key names variant: an unknown variant is
// left to the caller's validation, which lists the valid ones.
func knownVariant(fs map[string]field, variant string) bool {
	for _, f := range fs {
		if slices.Contains(f.forTags, variant) {
			return true
		}
	}
	return false
}

// noun names what an object at path is, for messages: "sources[0]" is a
// source.
func noun(path string) string {
	last := path[strings.LastIndex(path, ".")+1:]
	if i := strings.IndexByte(last, '['); i > 0 {
		last = last[:i]
	}
	return strings.TrimSuffix(last, "s")
}

// suggest lists the keys an object takes (those of its variant), so a
// typo's fix is on the same line.
func suggest(fs map[string]field, variant string) string {
	var keys []string
	for k, f := range fs {
		if f.forTags == nil || variant == "" || !knownVariant(fs, variant) || slices.Contains(f.forTags, variant) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
