package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Audit is one change made by an official or admin: who did what to which
// target, and the target before and after (docs/rules.md, "Corrections after
// the fact").
type Audit struct {
	ID     uint64          `json:"id"` // assigned by AddAudit: increasing, never reused
	At     time.Time       `json:"at"` // wall clock of the change (may be unsynced on a unit without RTC)
	Who    string          `json:"who"`
	Action string          `json:"action"` // e.g. "lap.edit", "race.reassign"
	Target string          `json:"target"` // e.g. "race/r-17/lap/3"
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	// Refused says why a command was refused or failed ("replay: ..."):
	// such an entry records the attempt, which changed nothing else.
	Refused string `json:"refused,omitempty"`
}

const (
	maxWho     = 128
	maxAction  = 64
	maxTarget  = 256
	maxRefused = 1024
)

// AddAudit appends a to the audit trail and returns its ID (a.ID is
// ignored). Audit entries are never changed or removed.
func (t *Tx) AddAudit(a Audit) (uint64, error) {
	if err := validateAudit(a); err != nil {
		return 0, fmt.Errorf("add audit: %w", err)
	}
	b, err := t.bucket(bucketAudit)
	if err != nil {
		return 0, fmt.Errorf("add audit: %w", err)
	}
	id, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("add audit: %w", err)
	}
	a.ID = id
	data, err := json.Marshal(a)
	if err != nil {
		return 0, fmt.Errorf("add audit %d: encode: %w", id, err)
	}
	if err := b.Put(u64(id), data); err != nil {
		return 0, fmt.Errorf("add audit %d: %w", id, err)
	}
	return id, nil
}

func validateAudit(a Audit) error {
	switch {
	case a.At.IsZero():
		return fmt.Errorf("at: zero time")
	case a.Who == "":
		return fmt.Errorf("who: empty")
	case a.Action == "":
		return fmt.Errorf("action: empty")
	case len(a.Who) > maxWho:
		return fmt.Errorf("who: %d bytes, at most %d", len(a.Who), maxWho)
	case len(a.Action) > maxAction:
		return fmt.Errorf("action: %d bytes, at most %d", len(a.Action), maxAction)
	case len(a.Target) > maxTarget:
		return fmt.Errorf("target: %d bytes, at most %d", len(a.Target), maxTarget)
	case len(a.Refused) > maxRefused:
		return fmt.Errorf("refused: %d bytes, at most %d", len(a.Refused), maxRefused)
	case len(a.Before) > 0 && !json.Valid(a.Before):
		return fmt.Errorf("before: not valid JSON")
	case len(a.After) > 0 && !json.Valid(a.After):
		return fmt.Errorf("after: not valid JSON")
	}
	return nil
}

// ForEachAudit calls fn for every audit entry, oldest first. An error from
// fn stops the walk and is returned unchanged.
func (t *Tx) ForEachAudit(fn func(Audit) error) error {
	b, err := t.bucket(bucketAudit)
	if err != nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		var a Audit
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("audit %d: decode: %w", binary.BigEndian.Uint64(pad8(k)), err)
		}
		return fn(a)
	})
}

// pad8 makes a malformed key printable as a number instead of panicking.
func pad8(k []byte) []byte {
	if len(k) >= 8 {
		return k[:8]
	}
	return append(make([]byte, 8-len(k)), k...)
}
