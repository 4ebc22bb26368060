// Package jsonconf reads pitwall's JSON config files strictly: unknown keys
// are errors (a typo must not fall back to a default at a live event), and
// every error names the key the way the file spells it, or the line of a
// syntax error.
package jsonconf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"
)

// Duration is a time.Duration written as "300ms", "20s" or "3m".
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	v, err := time.Duration(0), json.Unmarshal(b, &s)
	if err == nil {
		v, err = time.ParseDuration(s)
	}
	if err != nil {
		// A type error is the one kind encoding/json stamps with the key's
		// path, so the message can name the key.
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[Duration]()}
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as "20s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Decode decodes one JSON object from b into v (over whatever defaults v
// holds), refusing unknown keys and trailing data.
func Decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(b[:se.Offset], []byte("\n"))
			return fmt.Errorf("line %d: %w", line, err)
		}
		return keyError(err)
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// keyError rewrites encoding/json's errors to name the key.
func keyError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := te.Type.String()
		if te.Type == reflect.TypeFor[Duration]() {
			want = `a duration such as "300ms" or "3m"`
		}
		return fmt.Errorf("%s: want %s, got %s", te.Field, want, te.Value)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return fmt.Errorf("unknown key %s", strings.TrimPrefix(msg, "json: unknown field "))
	}
	return err
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
