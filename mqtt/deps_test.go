package mqtt

import (
	"os/exec"
	"strings"
	"testing"
)

// The wire contract (roles and password derivation included) is standard
// library only and stays off the network stack, so the store, the track
// and the kiosk model can use it without linking a client.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.Standard}} {{.ImportPath}}", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		std, path, _ := strings.Cut(line, " ")
		if std != "true" && path != "pitwall/mqtt" {
			t.Errorf("pitwall/mqtt links %s, which is not in the standard library", path)
		}
		if path == "net" || path == "crypto/tls" {
			t.Errorf("pitwall/mqtt links %s (the network stack)", path)
		}
	}
}
