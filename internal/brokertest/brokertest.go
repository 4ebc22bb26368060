// Package brokertest starts embedded brokers for tests with one known
// event secret, so a test can log its clients in the way units and racectl
// do: with a password derived from the secret (mqtt.DerivePassword). The
// embedded broker refuses anonymous clients, as the venue Mosquitto does.
package brokertest

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"pitwall/mqtt"
	"pitwall/mqtt/broker"
)

// Secret is the event secret of every broker Start starts. It is public:
// it only guards brokers that live for one test on loopback.
var Secret = []byte("pitwall-test-event-secret-0123456789abcdef")

// Start runs an embedded broker on a free loopback port with Secret, its
// logs discarded, closed when the test ends.
func Start(t testing.TB) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Secret: Secret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Password is user's broker password under Secret.
func Password(user string) string { return mqtt.DerivePassword(Secret, user) }

// SecretFile writes Secret to a file in a fresh test directory (mode 0600)
// and returns its path, for a unit's broker.secret_file or racectl's
// --secret-file.
func SecretFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "event.secret")
	if err := os.WriteFile(path, append(append([]byte(nil), Secret...), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
