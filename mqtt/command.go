package mqtt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxCommand bounds a signed command as it arrives on an admin request
// topic. It is checked before any decoding, so an oversized message costs
// nothing but its read.
const MaxCommand = 64 << 10

// EventTarget is the target of a command every trackside of the event obeys
// (it travels on EventAdminReq).
const EventTarget = "*"

// Envelope is the message on an admin request topic. Body holds the exact
// bytes that were signed (a JSON Command); Sig is their Ed25519 signature by
// the key Command.Key names. Both travel as standard base64 in the JSON.
type Envelope struct {
	V    int    `json:"v"`
	Body []byte `json:"body"`
	Sig  []byte `json:"sig"`
}

// Command is the signed body of an Envelope. Every field is covered by the
// signature, so a command cannot be moved to another track, topic or key.
type Command struct {
	Key    string          `json:"key"`    // id of the signing key, as in the trackside's admin.keys
	Target string          `json:"target"` // track id, or "*" for every trackside of the event
	Topic  string          `json:"topic"`  // the topic it must arrive on
	Name   string          `json:"cmd"`    // command name, see Commands
	Args   json.RawMessage `json:"args,omitempty"`
	ID     string          `json:"id"`  // correlation id, echoed in the reply
	Seq    uint64          `json:"seq"` // strictly increasing per key
	// IssuedAt is the signer's wall clock in Unix ms, 0 when it does not
	// know the time. A unit with a synced clock refuses a command issued
	// outside its window; with 0 or no synced clock only Seq protects.
	IssuedAt int64 `json:"issued_at,omitempty"`
}

// Code says why a command failed; it is stable and meant for scripts.
type Code string

const (
	CodeTooLarge       Code = "too_large"       // over MaxCommand
	CodeMalformed      Code = "malformed"       // not a v1 envelope with a valid body
	CodeUnknownKey     Code = "unknown_key"     // key id not in admin.keys
	CodeBadSignature   Code = "bad_signature"   // signature does not match the body and key
	CodeUnknownCommand Code = "unknown_command" // command name not known to this build
	CodeForbidden      Code = "forbidden"       // key's role may not run this command
	CodeWrongTarget    Code = "wrong_target"    // target is another track (or scope not allowed)
	CodeWrongTopic     Code = "wrong_topic"     // signed for another topic than it arrived on
	CodeStale          Code = "stale"           // issued_at outside the unit's clock window
	CodeReplay         Code = "replay"          // seq not above the last one seen for the key
	CodeBadArgs        Code = "bad_args"        // arguments missing or invalid
	CodeFailed         Code = "failed"          // the command was valid but could not be done now
	CodeInternal       Code = "internal"        // the unit failed (store error)
)

// CommandError is a refusal with its code. Message never holds personal data.
type CommandError struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *CommandError) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf makes a CommandError.
func Errorf(code Code, format string, args ...any) *CommandError {
	return &CommandError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the Code of err: its CommandError's, CodeFailed otherwise.
func ErrorCode(err error) Code {
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return CodeFailed
}

// decodeStrict decodes one JSON value, refusing unknown fields and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// DecodeCommand parses an envelope without checking its signature: the size
// limit first, then the envelope, then the body. On error the returned
// Command holds whatever was parsed (its ID lets the reply be correlated).
func DecodeCommand(payload []byte) (Envelope, Command, error) {
	var env Envelope
	var cmd Command
	if len(payload) > MaxCommand {
		return env, cmd, Errorf(CodeTooLarge, "command of %d bytes exceeds %d", len(payload), MaxCommand)
	}
	if err := decodeStrict(payload, &env); err != nil {
		return env, cmd, Errorf(CodeMalformed, "envelope: %v", err)
	}
	if env.V != Version {
		return env, cmd, Errorf(CodeMalformed, "envelope v=%d, this build reads v=%d", env.V, Version)
	}
	if len(env.Sig) != ed25519.SignatureSize {
		return env, cmd, Errorf(CodeMalformed, "sig: %d bytes, want %d", len(env.Sig), ed25519.SignatureSize)
	}
	if err := decodeStrict(env.Body, &cmd); err != nil {
		return env, cmd, Errorf(CodeMalformed, "body: %v", err)
	}
	switch {
	case cmd.Key == "":
		return env, cmd, Errorf(CodeMalformed, "body: key is empty")
	case cmd.Name == "":
		return env, cmd, Errorf(CodeMalformed, "body: cmd is empty")
	case cmd.ID == "" || len(cmd.ID) > 64:
		return env, cmd, Errorf(CodeMalformed, "body: id must be 1..64 bytes")
	case cmd.Seq == 0:
		return env, cmd, Errorf(CodeMalformed, "body: seq must be above 0")
	case len(cmd.Args) > 0 && cmd.Args[0] != '{':
		return env, cmd, Errorf(CodeMalformed, "body: args must be a JSON object")
	}
	return env, cmd, nil
}

// Role is what a key may do: officials run races and laps, admins everything.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleOfficial Role = "official"
)

// Allows reports whether a key of role r may run a command needing need.
func (r Role) Allows(need Role) bool {
	return r == RoleAdmin || (r == RoleOfficial && need == RoleOfficial)
}

// AuthorizedKey is a public key a trackside accepts, as in its config
// (admin.keys) and as `racectl keygen` prints it.
type AuthorizedKey struct {
	ID        string `json:"id"`
	Role      Role   `json:"role"`
	PublicKey []byte `json:"public_key"` // 32 bytes, standard base64 in JSON
}

// Validate reports the first field that is not acceptable.
func (k AuthorizedKey) Validate() error {
	if err := ValidKeyID(k.ID); err != nil {
		return err
	}
	if k.Role != RoleAdmin && k.Role != RoleOfficial {
		return fmt.Errorf("role: %q is not admin or official", k.Role)
	}
	if len(k.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("public_key: %d bytes, want %d (base64 of an Ed25519 public key)", len(k.PublicKey), ed25519.PublicKeySize)
	}
	return nil
}

// ValidKeyID accepts key ids usable in audit entries and store keys.
func ValidKeyID(id string) error {
	if err := ValidID(id); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	return nil
}

// Verifier checks commands for one trackside.
type Verifier struct {
	Track string                   // this unit's track id
	Keys  map[string]AuthorizedKey // by id
	// Window is how far issued_at may be from this unit's clock while the
	// clock is synced; 0 means 2 minutes.
	Window time.Duration
}

// NewVerifier indexes keys by id, refusing invalid or duplicate ones.
func NewVerifier(track string, keys []AuthorizedKey, window time.Duration) (*Verifier, error) {
	v := &Verifier{Track: track, Keys: make(map[string]AuthorizedKey, len(keys)), Window: window}
	for i, k := range keys {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("keys[%d].%w", i, err)
		}
		if _, dup := v.Keys[k.ID]; dup {
			return nil, fmt.Errorf("keys[%d].id: %q is listed twice", i, k.ID)
		}
		v.Keys[k.ID] = k
	}
	return v, nil
}

// Verify checks a command that arrived on topic: size, form, key,
// signature, command, role, target, topic and (when synced, the unit's wall
// clock is now) the issued-at window. The per-key sequence is the caller's
// to check, in the same transaction as the command's effect. On error the
// returned Command holds what was parsed (for the reply and the audit) and
// must not be trusted.
func (v *Verifier) Verify(topic string, payload []byte, now time.Time, synced bool) (Command, error) {
	env, cmd, err := DecodeCommand(payload)
	if err != nil {
		return cmd, err
	}
	key, ok := v.Keys[cmd.Key]
	if !ok {
		return cmd, Errorf(CodeUnknownKey, "key %q is not authorized on track %s", cmd.Key, v.Track)
	}
	if !ed25519.Verify(ed25519.PublicKey(key.PublicKey), env.Body, env.Sig) {
		return cmd, Errorf(CodeBadSignature, "signature does not match key %q", cmd.Key)
	}
	spec, ok := Commands[cmd.Name]
	if !ok {
		return cmd, Errorf(CodeUnknownCommand, "no command %q", cmd.Name)
	}
	if !key.Role.Allows(spec.Role) {
		return cmd, Errorf(CodeForbidden, "key %q (%s) may not run %s (%s only)", cmd.Key, key.Role, cmd.Name, spec.Role)
	}
	switch {
	case cmd.Target == EventTarget && !spec.Event:
		return cmd, Errorf(CodeWrongTarget, "%s needs one track as its target, not %q", cmd.Name, EventTarget)
	case cmd.Target != EventTarget && cmd.Target != v.Track:
		return cmd, Errorf(CodeWrongTarget, "target %q is not this track (%s)", cmd.Target, v.Track)
	}
	if want := RequestTopic(cmd.Target); cmd.Topic != want || topic != want {
		return cmd, Errorf(CodeWrongTopic, "signed for %q, arrived on %q, target %q needs %q", cmd.Topic, topic, cmd.Target, want)
	}
	if synced && cmd.IssuedAt != 0 {
		w := v.Window
		if w <= 0 {
			w = 2 * time.Minute
		}
		if d := now.Sub(time.UnixMilli(cmd.IssuedAt)); d > w || d < -w {
			return cmd, Errorf(CodeStale, "issued %v from this unit's clock, window ±%v", d.Round(time.Second), w)
		}
	}
	return cmd, nil
}

// RequestTopic is the topic a command for target travels on.
func RequestTopic(target string) string {
	if target == EventTarget {
		return EventAdminReq
	}
	return AdminReq(target)
}
