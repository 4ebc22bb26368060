package pin

import (
	"bytes"
	"testing"
)

func TestHashCheck(t *testing.T) {
	h, err := Hash("4711")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(h, []byte("4711")) {
		t.Fatal("stored form holds the PIN")
	}
	if !Check(h, "4711") || Check(h, "4712") || Check([]byte("{}"), "4711") {
		t.Fatal("check")
	}
	h2, _ := Hash("4711")
	if bytes.Equal(h, h2) {
		t.Fatal("no salt")
	}
	for _, bad := range []string{"", "123", "12a4", "1234567890123"} {
		if _, err := Hash(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
