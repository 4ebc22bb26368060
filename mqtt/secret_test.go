package mqtt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A fixed vector: racectl and any other implementation must derive the
// same password from the same secret and user name (this one is also
// what openssl dgst -sha256 -hmac gives, see docs/admin.md).
func TestDerivePassword(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	const want = "Doogy42Q1sFJ3cTx2H7A6eZI_IweJImuzxgCB2c9wjg"
	if got := DerivePassword(secret, "trackside-1"); got != want {
		t.Fatalf("DerivePassword = %q, want %q", got, want)
	}
	if DerivePassword(secret, "trackside-2") == want || DerivePassword([]byte("0123456789abcdef0123456789abcdeX"), "trackside-1") == want {
		t.Fatal("password does not depend on user and secret")
	}
}

func TestParseSecret(t *testing.T) {
	s := NewSecret()
	if len(s) != 64 {
		t.Fatalf("NewSecret() has %d characters, want 64", len(s))
	}
	for _, in := range []string{s, s + "\n", "\uFEFF" + s + "\r\n", "  " + s + "\t"} {
		got, err := ParseSecret([]byte(in))
		if err != nil || string(got) != s {
			t.Errorf("ParseSecret(%q) = %q, %v; want %q", in, got, err, s)
		}
	}
	// A passphrase typed in any editor: single spaces between words.
	phrase := "violet anchor sleepy trombone gravel orbit"
	if got, err := ParseSecret([]byte(phrase + "\r\n")); err != nil || string(got) != phrase {
		t.Errorf("ParseSecret(passphrase) = %q, %v", got, err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 31), strings.Repeat("a", 20) + "  " + strings.Repeat("b", 20),
		strings.Repeat("a", 20) + "\t" + strings.Repeat("b", 20), strings.Repeat("a", 20) + "\n" + strings.Repeat("b", 20), strings.Repeat("é", 20)} {
		if _, err := ParseSecret([]byte(bad)); err == nil {
			t.Errorf("ParseSecret(%q) succeeded, want an error", bad)
		}
	}
}

func TestWriteNewSecretNeverReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "event.secret")
	if err := WriteNewSecret(path); err != nil {
		t.Fatal(err)
	}
	first, err := ReadSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if err := WriteNewSecret(path); err == nil {
		t.Fatal("second WriteNewSecret replaced the secret")
	}
	if again, _ := ReadSecret(path); string(again) != string(first) {
		t.Fatal("secret changed")
	}
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "event.secret")
	os.WriteFile(secretFile, []byte(NewSecret()+"\n"), 0o600)
	secret, _ := ReadSecret(secretFile)
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("hunter2\n"), 0o600)

	u, p, err := Broker{SecretFile: secretFile}.Credentials("kiosk-hall-a-1")
	if err != nil || u != "kiosk-hall-a-1" || p != DerivePassword(secret, u) {
		t.Errorf("default user: %q %q %v", u, p, err)
	}
	u, p, err = Broker{SecretFile: secretFile, Username: "kiosk-7"}.Credentials("kiosk-hall-a-1")
	if err != nil || u != "kiosk-7" || p != DerivePassword(secret, "kiosk-7") {
		t.Errorf("named user: %q %q %v", u, p, err)
	}
	u, p, err = Broker{PasswordFile: pwFile, Username: "admin"}.Credentials("x")
	if err != nil || u != "admin" || p != "hunter2" {
		t.Errorf("password file: %q %q %v", u, p, err)
	}
	if _, _, err := (Broker{SecretFile: secretFile, PasswordFile: pwFile}).Credentials("x"); err == nil {
		t.Error("both files accepted")
	}
	if _, _, err := (Broker{SecretFile: filepath.Join(dir, "missing")}).Credentials("x"); err == nil || !strings.Contains(err.Error(), "secret_file") {
		t.Errorf("missing secret file: %v", err)
	}
}

func FuzzParseSecret(f *testing.F) {
	f.Add([]byte(NewSecret()))
	f.Add([]byte("\uFEFF0123456789abcdef0123456789abcdef\r\n"))
	f.Add([]byte("short"))
	f.Add([]byte("violet anchor sleepy trombone gravel orbit\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSecret(data)
		if err != nil {
			return
		}
		if len(s) < MinSecretLen || strings.ContainsAny(string(s), "\t\r\n") || strings.Contains(string(s), "  ") ||
			s[0] == ' ' || s[len(s)-1] == ' ' {
			t.Fatalf("accepted %q", s)
		}
	})
}
