package mqtt

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// Broker passwords are not chosen per unit: every unit's password is derived
// from one event secret, a text file written once to every card (and to the
// admins' laptops), so no password file needs mosquitto_passwd on a laptop.
// The venue broker derives the same passwords when it generates its
// password file at boot (mqtt/brokerfiles).

// passwordContext binds a derived password to its purpose and version: the
// same secret used for anything else yields unrelated values.
const passwordContext = "pitwall-mqtt-v1:"

// MinSecretLen is the shortest event secret accepted, in bytes of text.
// NewSecret makes 64 (32 random bytes in hex).
const MinSecretLen = 32

// DerivePassword is username's broker password for the event secret:
// base64url (no padding) of HMAC-SHA256(secret, "pitwall-mqtt-v1:"+username),
// 43 characters.
func DerivePassword(secret []byte, username string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(passwordContext + username))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// NewSecret returns a fresh event secret: 32 random bytes in hex.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b[:])
}

// ParseSecret checks an event secret file's content and returns the secret:
// the text without surrounding white space or a UTF-8 byte order mark (what
// editors on any laptop leave behind), at least MinSecretLen printable
// ASCII characters. Single spaces between words are allowed, so that an
// organiser can type a passphrase of random words into the file with any
// text editor instead of running trackside -new-secret; runs of white
// space, tabs and line breaks inside are refused (editors and copies
// between laptops change them, and the same text must be on every card).
func ParseSecret(data []byte) ([]byte, error) {
	s := strings.TrimSpace(strings.TrimPrefix(string(data), "\uFEFF"))
	if len(s) < MinSecretLen {
		return nil, fmt.Errorf("event secret of %d characters, want at least %d (make one with: trackside -new-secret FILE, or type five or more random words)", len(s), MinSecretLen)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' && s[i-1] != ' ':
		case c == ' ':
			return nil, fmt.Errorf("event secret: two spaces in a row at byte %d, want single spaces between words", i)
		case c < '!' || c > '~':
			return nil, fmt.Errorf("event secret: byte %d is 0x%02x, want printable ASCII (letters, digits, punctuation, single spaces)", i, c)
		}
	}
	return []byte(s), nil
}

// ReadSecret reads and checks an event secret file.
func ReadSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read event secret: %w", err)
	}
	secret, err := ParseSecret(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return secret, nil
}

// WriteNewSecret writes a fresh event secret to path, readable by its owner
// only. It refuses to replace an existing file: a new secret changes every
// unit's password, and the old one is on every card.
func WriteNewSecret(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("new event secret: %w", err)
	}
	if _, err := f.WriteString(NewSecret() + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("new event secret: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("new event secret: fsync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("new event secret: close %s: %w", path, err)
	}
	return nil
}
