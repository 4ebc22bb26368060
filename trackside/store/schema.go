package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. They are part of the on-disk format: renaming one needs a
// migration.
var (
	bucketMeta         = []byte("meta")            // schema, boot counter, payload sequence
	bucketCrossings    = []byte("crossings")       // NextSequence (big-endian) → Crossing JSON
	bucketRaces        = []byte("races")           // race ID → Race JSON
	bucketRacers       = []byte("racers")          // racer ID → Racer JSON
	bucketEngine       = []byte("engine")          // "snapshot" → the race engine's opaque JSON
	bucketSettings     = []byte("settings")        // config key → value
	bucketAudit        = []byte("audit")           // NextSequence (big-endian) → Audit JSON
	bucketOutbox       = []byte("outbox")          // message ID (big-endian) → encoded message
	bucketOutboxTopics = []byte("outbox_retained") // topic → ID of its pending retained message
	bucketRacesByRacer = []byte("races_by_racer")  // indexKey(racerID, raceID) → empty (schema 2)
)

// Keys in the meta bucket.
var (
	metaSchema = []byte("schema") // uint64 big-endian: schema version of the file
	metaBoot   = []byte("boot")   // uint64 big-endian: Opens so far
	metaEpoch  = []byte("epoch")  // random id of this database, made once
	metaSeq    = []byte("seq")    // uint64 big-endian: last payload sequence number handed out
	// uint64 big-endian: Unix ms of the database's creation by a synced
	// clock (Store.EpochAt); absent while unknown. Optional: no migration.
	metaEpochAt = []byte("epoch_at")
)

// migration turns a database at schema from into schema to. Every step runs
// inside the single read-write transaction of Open, so a crash mid-migration
// leaves the file at its old schema.
type migration struct {
	from, to int
	fn       func(*bolt.Tx) error
}

// migrations is the whole history of the file format. A new database is
// created by running all of them from 0, so a fresh file and a migrated one
// are built by the same code. Append only; never edit a shipped step.
var migrations = []migration{
	{from: 0, to: 1, fn: createSchema1},
	{from: 1, to: 2, fn: indexRacesByRacer},
}

// schemaVersion is the schema this build writes: the end of migrations.
var schemaVersion = migrations[len(migrations)-1].to

// ErrNewerSchema is returned by Open for a database written by a newer
// build of pitwall. The file is left untouched so that build can still use it.
var ErrNewerSchema = errors.New("database schema is newer than this build supports")

// createSchema1 lays out the first file format.
func createSchema1(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketCrossings, bucketRaces, bucketRacers,
		bucketEngine, bucketSettings, bucketAudit, bucketOutbox, bucketOutboxTopics} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// indexRacesByRacer adds the racer → races index so a racer's runs (max
// runs, reassignments, exports) are found without scanning every race.
func indexRacesByRacer(tx *bolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists(bucketRacesByRacer)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketRacesByRacer, err)
	}
	races := tx.Bucket(bucketRaces)
	if races == nil {
		return fmt.Errorf("bucket %s missing", bucketRaces)
	}
	return races.ForEach(func(k, v []byte) error {
		racerID, err := racerIDOf(v)
		if err != nil {
			return fmt.Errorf("race %q: %w", k, err)
		}
		if racerID == "" {
			return nil
		}
		return idx.Put(indexKey(racerID, string(k)), []byte{})
	})
}

// racerIDOf reads only the racer of an encoded race.
func racerIDOf(raceJSON []byte) (string, error) {
	var head struct {
		RacerID string `json:"racer_id"`
	}
	if err := json.Unmarshal(raceJSON, &head); err != nil {
		return "", fmt.Errorf("decode race: %w", err)
	}
	return head.RacerID, nil
}

// indexKey is racerID's length (2 bytes) + racerID + raceID, so a prefix
// scan of one racer can never run into another racer whose ID merely starts
// with the same bytes.
func indexKey(racerID, raceID string) []byte {
	k := make([]byte, 2, 2+len(racerID)+len(raceID))
	binary.BigEndian.PutUint16(k, uint16(len(racerID)))
	k = append(k, racerID...)
	return append(k, raceID...)
}

// indexPrefix is the common start of every index key of racerID.
func indexPrefix(racerID string) []byte { return indexKey(racerID, "") }

// schemaOf reads the file's schema version; 0 means a blank bbolt file.
func schemaOf(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		var names []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
		if len(names) > 0 {
			return 0, fmt.Errorf("not a pitwall store: no %q bucket (found %q)", bucketMeta, names)
		}
		return 0, nil
	}
	v := meta.Get(metaSchema)
	if len(v) != 8 {
		return 0, fmt.Errorf("meta bucket: schema version is %d bytes, want 8", len(v))
	}
	n := binary.BigEndian.Uint64(v)
	if n > 1<<20 {
		return 0, fmt.Errorf("meta bucket: schema version %d is absurd", n)
	}
	return int(n), nil
}

// migrate brings tx from schema from to schemaVersion and records it.
func migrate(tx *bolt.Tx, from int) (applied []string, err error) {
	if from > schemaVersion {
		return nil, fmt.Errorf("%w: file has schema %d, this build knows up to %d", ErrNewerSchema, from, schemaVersion)
	}
	for from < schemaVersion {
		step, ok := migrationFrom(from)
		if !ok {
			return applied, fmt.Errorf("no migration from schema %d", from)
		}
		if err := step.fn(tx); err != nil {
			return applied, fmt.Errorf("migrate schema %d→%d: %w", step.from, step.to, err)
		}
		applied = append(applied, fmt.Sprintf("%d→%d", step.from, step.to))
		from = step.to
	}
	if len(applied) == 0 {
		return nil, nil
	}
	if err := putU64(tx.Bucket(bucketMeta), metaSchema, uint64(from)); err != nil {
		return applied, fmt.Errorf("record schema %d: %w", from, err)
	}
	return applied, nil
}

func migrationFrom(from int) (migration, bool) {
	for _, m := range migrations {
		if m.from == from {
			return m, true
		}
	}
	return migration{}, false
}

// u64 is the big-endian key of a sequence number: byte order is numeric order.
func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func getU64(b *bolt.Bucket, key []byte) (uint64, error) {
	v := b.Get(key)
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(v), nil
	}
	return 0, fmt.Errorf("%s: %d bytes, want 8", key, len(v))
}

func putU64(b *bolt.Bucket, key []byte, n uint64) error {
	if b == nil {
		return fmt.Errorf("put %s: bucket missing", key)
	}
	return b.Put(key, u64(n))
}
