package kiosk

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pitwall/kiosk/model"
	"pitwall/mqtt"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.json")
	if err := writeFileAtomic(path, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "second" {
		t.Fatalf("content %q, %v; want second", b, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only cache.json", names)
	}
}

// TestWriteFileAtomicFailureKeepsOld: when the new content cannot be put
// in place, the old file is untouched and no temporary file is left.
func TestWriteFileAtomicFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.json")
	if err := writeFileAtomic(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory where the file should be makes the rename fail.
	blocked := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := writeFileAtomic(blocked, []byte("new"), 0o644)
	if err == nil || !strings.Contains(err.Error(), blocked) {
		t.Fatalf("err %v, want a rename error naming %s", err, blocked)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("old file now %q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "cache.json"), []byte("x"), 0o644); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

// TestCacheRoundTrip: a scene rebuilt from its cache shows the same board
// and holds the same seqs (older messages stay dropped after a reboot).
func TestCacheRoundTrip(t *testing.T) {
	s := newTestScene(model.SceneConfig{Title: "T"})
	apply(t, s, standingsMsg(t, standings("1", 4, ranked(e(0, "a", 9000), e(0, "b", 9500))...), t0))
	apply(t, s, standingsMsg(t, standings("2", 9, ranked(e(0, "c", 9200))...), t0))
	apply(t, s, msg(t, mqtt.TrackStatus("2"), &mqtt.Status{Header: mqtt.Header{Track: "2", Boot: "b-1"}}, t0))
	apply(t, s, msg(t, mqtt.TrackRace("1"), &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 5}, Race: &mqtt.LiveRace{ID: "r", Name: "Ada", State: "running", Running: true, DurationMS: 60000}}, t0))

	path := filepath.Join(t.TempDir(), "kiosk-cache.json")
	if err := writeCache(path, cacheFile{Boots: 3, LastContactMS: t0.UnixMilli(), Tracks: cachedTracks(s.Inputs())}); err != nil {
		t.Fatal(err)
	}
	f, err := readCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Boots != 3 || !f.LastContact().Equal(t0) || len(f.Tracks) != 2 {
		t.Fatalf("cache %+v", f)
	}
	r := newTestScene(model.SceneConfig{Title: "T"})
	for _, m := range f.Messages() {
		apply(t, r, m)
	}
	want, got := s.Board(t0, t0, true), r.Board(t0, t0, true)
	if strings.Join(boardRows(got.Rows), "|") != strings.Join(boardRows(want.Rows), "|") || len(got.Rows) != 3 {
		t.Fatalf("restored rows %v, want %v", boardRows(got.Rows), boardRows(want.Rows))
	}
	if strings.Join(got.Notices, "|") != "track 2 offline" {
		t.Fatalf("restored notices %q", got.Notices)
	}
	if len(got.Live) != 0 {
		t.Fatalf("a cached race state is shown before the broker confirms it: %+v", got.Live)
	}
	// A late copy of an older snapshot stays dropped after the restore.
	if u, err := r.Apply(standingsMsg(t, standings("1", 3, ranked(e(0, "z", 1000))...), t0)); err != nil || u.Changed {
		t.Fatalf("older standings after restore: changed %v, err %v", u.Changed, err)
	}
}

func TestReadCacheErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := readCache(filepath.Join(dir, "none.json")); !errors.Is(err, errNoCache) {
		t.Fatalf("missing cache: err %v, want errNoCache", err)
	}
	for _, tc := range []struct {
		name, content, err string
	}{
		{"truncated", `{"v":1,"tracks":[`, "decode cache"},
		{"other version", `{"v":7,"tracks":[]}`, "version 7"},
		{"bad track id", `{"v":1,"tracks":[{"id":"NO/PE"}]}`, "tracks[0]"},
		{"track twice", `{"v":1,"tracks":[{"id":"1"},{"id":"1"}]}`, "listed twice"},
	} {
		p := filepath.Join(dir, tc.name+".json")
		if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readCache(p); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}

// TestCacheWithBadPayload: a damaged payload inside a valid cache file is
// refused when applied, like one from the broker; the rest still loads.
func TestCacheWithBadPayload(t *testing.T) {
	good, _ := mqtt.Encode(standings("1", 1, ranked(e(0, "a", 9000))...))
	f := cacheFile{V: 1, Tracks: []cachedTrack{
		{ID: "1", Standings: good},
		{ID: "2", Standings: json.RawMessage(`{"v":9,"seq":1}`)},
	}}
	b, err := encodeCache(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := decodeCache(b)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestScene(model.SceneConfig{})
	var bad int
	for _, m := range g.Messages() {
		if _, err := s.Apply(m); err != nil {
			bad++
		}
	}
	if bad != 1 || len(s.Board(t0, t0, false).Rows) != 1 {
		t.Fatalf("%d bad payloads, rows %v", bad, boardRows(s.Board(t0, t0, false).Rows))
	}
	if !bytes.Contains(b, []byte(`"v":1`)) {
		t.Fatalf("cache not versioned: %s", b)
	}
}
