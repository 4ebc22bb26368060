package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	"pitwall/trackside/crossing"
)

// Tx is one store transaction (see Store.Update and Store.View). Values it
// returns are copies and stay valid after the transaction ends; the Tx
// itself does not.
type Tx struct {
	tx          *bolt.Tx
	enqueued    int // messages added in this transaction
	outboxDelta int // change of the outbox depth once committed
}

// bucket returns a bucket every schema has; a missing one means the file
// was damaged or not migrated, which Open rules out.
func (t *Tx) bucket(name []byte) (*bolt.Bucket, error) {
	b := t.tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("bucket %s missing", name)
	}
	return b, nil
}

// AddCrossing stores c and returns its id: 1 for the first crossing ever
// stored, increasing by one per crossing. Crossings are never removed.
func (t *Tx) AddCrossing(c crossing.Crossing) (uint64, error) {
	if err := ValidateCrossing(c); err != nil {
		return 0, fmt.Errorf("add crossing: %w", err)
	}
	b, err := t.bucket(bucketCrossings)
	if err != nil {
		return 0, fmt.Errorf("add crossing: %w", err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("add crossing: encode: %w", err)
	}
	id, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("add crossing: %w", err)
	}
	if err := b.Put(u64(id), data); err != nil {
		return 0, fmt.Errorf("add crossing %d: %w", id, err)
	}
	return id, nil
}

// ValidateCrossing reports why AddCrossing would refuse c, or nil. Callers
// that group many requests into one transaction check each one first, so
// one malformed crossing is refused alone instead of failing the commit.
func ValidateCrossing(c crossing.Crossing) error {
	switch {
	case c.Source == "":
		return fmt.Errorf("source is empty")
	case c.Line < 0:
		return fmt.Errorf("line %d is negative", c.Line)
	case c.Clock > crossing.ClockWall:
		return fmt.Errorf("clock %d is unknown", c.Clock)
	}
	return nil
}

// ForEachCrossing calls fn for every crossing with an id above after, in id
// order. An error from fn stops the walk and is returned unchanged.
func (t *Tx) ForEachCrossing(after uint64, fn func(id uint64, c crossing.Crossing) error) error {
	if after == math.MaxUint64 {
		return nil
	}
	b, err := t.bucket(bucketCrossings)
	if err != nil {
		return err
	}
	cur := b.Cursor()
	for k, v := cur.Seek(u64(after + 1)); k != nil; k, v = cur.Next() {
		if len(k) != 8 {
			return fmt.Errorf("crossing key %x: want 8 bytes", k)
		}
		id := binary.BigEndian.Uint64(k)
		var c crossing.Crossing
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("crossing %d: decode: %w", id, err)
		}
		if err := fn(id, c); err != nil {
			return err
		}
	}
	return nil
}

// CrossingCount is how many crossings were ever stored (ids run 1..count).
func (t *Tx) CrossingCount() int {
	b := t.tx.Bucket(bucketCrossings)
	if b == nil {
		return 0
	}
	return int(b.Sequence())
}

// SetEngine stores the race engine's snapshot (opaque JSON), replacing the
// previous one.
func (t *Tx) SetEngine(snapshot []byte) error {
	if len(snapshot) == 0 {
		return fmt.Errorf("set engine snapshot: empty")
	}
	if !json.Valid(snapshot) {
		return fmt.Errorf("set engine snapshot: not valid JSON")
	}
	b, err := t.bucket(bucketEngine)
	if err != nil {
		return fmt.Errorf("set engine snapshot: %w", err)
	}
	if err := b.Put([]byte("snapshot"), snapshot); err != nil {
		return fmt.Errorf("set engine snapshot: %w", err)
	}
	return nil
}

// Engine returns the last snapshot stored by SetEngine, or nil if none.
func (t *Tx) Engine() ([]byte, error) {
	b, err := t.bucket(bucketEngine)
	if err != nil {
		return nil, fmt.Errorf("engine snapshot: %w", err)
	}
	return clone(b.Get([]byte("snapshot"))), nil
}

// maxConfigKey bounds settings keys; bbolt's own limit is 32 KiB.
const maxConfigKey = 256

// SetConfig stores a setting (the event's race config, track id, keys...).
func (t *Tx) SetConfig(key string, value []byte) error {
	if key == "" || len(key) > maxConfigKey {
		return fmt.Errorf("set config %q: key must be 1..%d bytes", key, maxConfigKey)
	}
	b, err := t.bucket(bucketSettings)
	if err != nil {
		return fmt.Errorf("set config %q: %w", key, err)
	}
	if value == nil {
		value = []byte{}
	}
	if err := b.Put([]byte(key), value); err != nil {
		return fmt.Errorf("set config %q: %w", key, err)
	}
	return nil
}

// Config returns a setting, or nil if it was never set.
func (t *Tx) Config(key string) []byte {
	b := t.tx.Bucket(bucketSettings)
	if b == nil || key == "" {
		return nil
	}
	return clone(b.Get([]byte(key)))
}

// ForEachConfig calls fn for every setting whose key starts with prefix, in
// key order (e.g. "pin/": the officials' console PINs).
func (t *Tx) ForEachConfig(prefix string, fn func(key string, value []byte) error) error {
	b := t.tx.Bucket(bucketSettings)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
		if err := fn(string(k), clone(v)); err != nil {
			return err
		}
	}
	return nil
}

// NextSeq hands out the next payload sequence number: persisted, so it keeps
// increasing across restarts (a rolled-back transaction hands it out again).
func (t *Tx) NextSeq() (uint64, error) {
	meta, err := t.bucket(bucketMeta)
	if err != nil {
		return 0, fmt.Errorf("next seq: %w", err)
	}
	n, err := getU64(meta, metaSeq)
	if err != nil {
		return 0, fmt.Errorf("next seq: %w", err)
	}
	n++
	if err := putU64(meta, metaSeq, n); err != nil {
		return 0, fmt.Errorf("next seq: %w", err)
	}
	return n, nil
}

// clone copies a value out of bbolt's memory map, which is only valid
// during the transaction. nil stays nil.
func clone(v []byte) []byte {
	if v == nil {
		return nil
	}
	return append(make([]byte, 0, len(v)), v...)
}
