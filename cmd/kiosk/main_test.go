package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pitwall/kiosk"
)

// TestExampleConfig keeps the shipped example valid. Its event secret,
// which a test machine does not have (and which must exist: a kiosk with a
// missing one is refused at -check and start), is pointed at a real one.
func TestExampleConfig(t *testing.T) {
	b, err := os.ReadFile("kiosk.example.json")
	if err != nil {
		t.Fatal(err)
	}
	const pwPath = "/etc/pitwall/event.secret"
	if !strings.Contains(string(b), pwPath) {
		t.Fatalf("example no longer names %s; update this test", pwPath)
	}
	dir := t.TempDir()
	pw := filepath.Join(dir, "event.secret")
	if err := os.WriteFile(pw, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kiosk.json")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(b), pwPath, pw)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := kiosk.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Boards(); len(got) != 3 {
		t.Fatalf("example rotates %v, want 3 boards", got)
	}
}
