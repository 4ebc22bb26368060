package main

import (
	"testing"

	"pitwall/kiosk"
)

// TestExampleConfig keeps the shipped example valid.
func TestExampleConfig(t *testing.T) {
	cfg, err := kiosk.LoadConfig("kiosk.example.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Boards(); len(got) != 3 {
		t.Fatalf("example rotates %v, want 3 boards", got)
	}
}
