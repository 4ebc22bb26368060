// Package pin keeps officials' console PINs: set by admins (pin.set), stored
// on the trackside only as a salted PBKDF2-SHA256 hash, checked by the
// console. A PIN of a few digits is guessable by anyone holding the hash, so
// the hash never leaves the trackside's store (not in exports' public form,
// audit entries or replies); it only keeps the PIN out of plain sight.
package pin

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
)

// Setting is the store settings key of an official's PIN.
func Setting(official string) string { return "pin/" + official }

// Iterations of PBKDF2: a few ms on a Pi 4, once per console login.
const Iterations = 100_000

type stored struct {
	Salt []byte `json:"salt"`
	Iter int    `json:"iter"`
	Hash []byte `json:"hash"`
}

// Valid reports whether p is an acceptable PIN: 4 to 12 digits.
func Valid(p string) error {
	if len(p) < 4 || len(p) > 12 {
		return fmt.Errorf("pin: want 4 to 12 digits, got %d characters", len(p))
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return fmt.Errorf("pin: digits only")
		}
	}
	return nil
}

// Hash returns the stored form of p.
func Hash(p string) ([]byte, error) {
	if err := Valid(p); err != nil {
		return nil, err
	}
	s := stored{Salt: make([]byte, 16), Iter: Iterations}
	rand.Read(s.Salt)
	h, err := pbkdf2.Key(sha256.New, p, s.Salt, s.Iter, 32)
	if err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	s.Hash = h
	return json.Marshal(s)
}

// Check reports whether p matches a stored hash.
func Check(hashed []byte, p string) bool {
	var s stored
	if json.Unmarshal(hashed, &s) != nil || s.Iter < 1 || len(s.Hash) == 0 {
		return false
	}
	h, err := pbkdf2.Key(sha256.New, p, s.Salt, s.Iter, len(s.Hash))
	return err == nil && subtle.ConstantTimeCompare(h, s.Hash) == 1
}
