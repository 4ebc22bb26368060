package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pitwall/kiosk"
	"pitwall/mqtt"
	"pitwall/mqtt/brokerfiles"
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
	// A kiosk set up from the example logs in to the venue broker as set
	// up from the shipped users list.
	user, _, err := cfg.Broker.Credentials(mqtt.KioskUser(cfg.Kiosk))
	if err != nil {
		t.Fatal(err)
	}
	users, err := brokerfiles.ReadUsers("../../packaging/mosquitto/mqtt-users.txt")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.User())
	}
	if !slices.Contains(names, user) {
		t.Fatalf("the example kiosk logs in as %s, which the shipped users list (%v) does not have", user, names)
	}
}
