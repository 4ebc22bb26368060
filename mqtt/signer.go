package mqtt

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// PrivateKeyFile is the key file `racectl keygen` writes (mode 0600) and
// only racectl reads: the admin's private key never leaves their machine.
// The trackside config gets Authorized(), the public half.
//
//	{"id":"alice","role":"admin","private_key":"<base64 of the 32-byte Ed25519 seed>"}
type PrivateKeyFile struct {
	ID         string `json:"id"`
	Role       Role   `json:"role"`
	PrivateKey []byte `json:"private_key"`
}

// GenerateKey makes a new key with randomness from r (nil: crypto/rand).
func GenerateKey(id string, role Role, r io.Reader) (PrivateKeyFile, error) {
	if r == nil {
		r = rand.Reader
	}
	_, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return PrivateKeyFile{}, fmt.Errorf("generate key %s: %w", id, err)
	}
	k := PrivateKeyFile{ID: id, Role: role, PrivateKey: priv.Seed()}
	if err := k.Authorized().Validate(); err != nil {
		return PrivateKeyFile{}, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// ParsePrivateKeyFile reads a key file.
func ParsePrivateKeyFile(b []byte) (PrivateKeyFile, error) {
	var k PrivateKeyFile
	if err := decodeStrict(b, &k); err != nil {
		return k, fmt.Errorf("key file: %w", err)
	}
	if len(k.PrivateKey) != ed25519.SeedSize {
		return k, fmt.Errorf("key file: private_key: %d bytes, want %d", len(k.PrivateKey), ed25519.SeedSize)
	}
	if err := k.Authorized().Validate(); err != nil {
		return k, fmt.Errorf("key file: %w", err)
	}
	return k, nil
}

// Marshal encodes the key file.
func (k PrivateKeyFile) Marshal() []byte {
	b, _ := json.MarshalIndent(k, "", "  ")
	return append(b, '\n')
}

// Authorized is the public half, for a trackside's admin.keys.
func (k PrivateKeyFile) Authorized() AuthorizedKey {
	var pub []byte
	if len(k.PrivateKey) == ed25519.SeedSize {
		pub = ed25519.NewKeyFromSeed(k.PrivateKey).Public().(ed25519.PublicKey)
	}
	return AuthorizedKey{ID: k.ID, Role: k.Role, PublicKey: pub}
}

// Signer builds signed commands. racectl and the tests both use it, so
// commands are built one way.
type Signer struct {
	Key PrivateKeyFile
	// NextSeq returns the key's next sequence number: strictly increasing
	// across runs, so the caller persists it (racectl keeps it beside the
	// key file). Two machines must not share a key.
	NextSeq func() (uint64, error)
	// Now is the signer's clock for issued_at; nil leaves issued_at 0 (a
	// machine that does not know the time).
	Now func() time.Time
}

// Sign builds the command name with args for target ("*": every trackside)
// and returns the topic to publish it on, the payload and the command.
// args may be nil, a json.RawMessage or any value that marshals to an object.
func (s *Signer) Sign(target, name string, args any) (topic string, payload []byte, cmd Command, err error) {
	if len(s.Key.PrivateKey) != ed25519.SeedSize {
		return "", nil, cmd, fmt.Errorf("sign %s: no private key", name)
	}
	if target != EventTarget {
		if err := ValidID(target); err != nil {
			return "", nil, cmd, fmt.Errorf("sign %s: target: %w", name, err)
		}
	}
	cmd = Command{Key: s.Key.ID, Target: target, Topic: RequestTopic(target), Name: name, ID: NewCorrelationID()}
	if args != nil {
		raw, ok := args.(json.RawMessage)
		if !ok {
			if raw, err = json.Marshal(args); err != nil {
				return "", nil, cmd, fmt.Errorf("sign %s: args: %w", name, err)
			}
		}
		cmd.Args = raw
	}
	if cmd.Seq, err = s.NextSeq(); err != nil {
		return "", nil, cmd, fmt.Errorf("sign %s: sequence: %w", name, err)
	}
	if s.Now != nil {
		cmd.IssuedAt = s.Now().UnixMilli()
	}
	body, err := json.Marshal(cmd)
	if err != nil {
		return "", nil, cmd, fmt.Errorf("sign %s: %w", name, err)
	}
	priv := ed25519.NewKeyFromSeed(s.Key.PrivateKey)
	payload, err = json.Marshal(Envelope{V: Version, Body: body, Sig: ed25519.Sign(priv, body)})
	if err != nil {
		return "", nil, cmd, fmt.Errorf("sign %s: %w", name, err)
	}
	if len(payload) > MaxCommand {
		return "", nil, cmd, fmt.Errorf("sign %s: command of %d bytes exceeds %d (split the import)", name, len(payload), MaxCommand)
	}
	return cmd.Topic, payload, cmd, nil
}

// NewCorrelationID is 16 random hex digits.
func NewCorrelationID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Counter is an in-memory sequence source starting after Last (tests, and
// racectl before it persists the value it hands out).
type Counter struct {
	mu   sync.Mutex
	Last uint64
}

// Next returns the next sequence number.
func (c *Counter) Next() (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Last++
	return c.Last, nil
}
