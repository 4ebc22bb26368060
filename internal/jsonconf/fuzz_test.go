package jsonconf

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecode: no input panics the checker, and what it accepts
// encoding/json decodes too, with no negative duration getting through.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"name": "a", "every": "250ms", "inner": {"n": 3}, "items": [{"kind": "file", "path": "/x", "delay": "1s"}]}`))
	f.Add([]byte(`{"name": "a", "name": "b"}`))
	f.Add([]byte(`{"items": [{"kind": "net", "path": "/x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s sample
		if err := Decode(b, &s); err != nil {
			return
		}
		var again sample
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("Decode accepted %q, encoding/json says %v", b, err)
		}
		if s.Every < 0 {
			t.Fatalf("negative duration %v accepted from %q", time.Duration(s.Every), b)
		}
		for _, it := range s.Items {
			if it.Delay != nil && *it.Delay < 0 {
				t.Fatalf("negative duration accepted from %q", b)
			}
		}
	})
}
