package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"pitwall/trackside/race"
)

func TestMigrationsAreAChain(t *testing.T) {
	for i, m := range migrations {
		if m.from != i || m.to != i+1 || m.fn == nil {
			t.Errorf("migrations[%d] = %d→%d, want %d→%d with a function", i, m.from, m.to, i, i+1)
		}
	}
	if schemaVersion != 2 {
		t.Errorf("schemaVersion = %d; a new schema needs its own fixture test", schemaVersion)
	}
}

// writeV1Fixture writes a database exactly as schema 1 laid it out, by hand
// rather than with this package's code, so a change to the shipped
// migrations cannot silently change the fixture too.
func writeV1Fixture(t *testing.T, path string, races map[string][]byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"meta", "crossings", "races", "racers", "engine", "settings", "audit", "outbox", "outbox_retained"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		meta := tx.Bucket([]byte("meta"))
		for k, v := range map[string]uint64{"schema": 1, "boot": 5, "seq": 41} {
			b := make([]byte, 8)
			binary.BigEndian.PutUint64(b, v)
			if err := meta.Put([]byte(k), b); err != nil {
				return err
			}
		}
		for id, data := range races {
			if err := tx.Bucket([]byte("races")).Put([]byte(id), data); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("racers")).Put([]byte("alice"), []byte(`{"id":"alice","name":"Alice"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func raceJSON(t *testing.T, r race.Race) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMigrateSchema1(t *testing.T) {
	path := dbPath(t)
	writeV1Fixture(t, path, map[string][]byte{
		"r-1": raceJSON(t, sampleRace("r-1", "alice", 1, 3)),
		"r-2": raceJSON(t, sampleRace("r-2", "alice", 2, 1)),
		"r-3": raceJSON(t, sampleRace("r-3", "bob", 1, 0)),
		"r-4": raceJSON(t, sampleRace("r-4", "", 1, 0)),
	})
	s := openAt(t, path)
	if s.Boot() != 6 {
		t.Errorf("Boot = %d, want 6 (fixture had 5)", s.Boot())
	}
	mustView(t, s, func(tx *Tx) error {
		if v, err := schemaOf(tx.tx); v != schemaVersion || err != nil {
			t.Errorf("schema after Open = %d %v, want %d", v, err, schemaVersion)
		}
		for racer, want := range map[string][]string{"alice": {"r-1", "r-2"}, "bob": {"r-3"}, "carol": nil} {
			rs, err := tx.RacesOf(racer)
			if err != nil {
				return err
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.ID)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("RacesOf(%s) = %v, want %v", racer, got, want)
			}
		}
		if r, ok, err := tx.Race("r-1"); !ok || err != nil || len(r.Laps) != 3 {
			t.Errorf("race r-1 after migration = %+v %v %v", r, ok, err)
		}
		if r, ok, err := tx.Racer("alice"); !ok || err != nil || r.Name != "Alice" {
			t.Errorf("racer after migration = %+v %v %v", r, ok, err)
		}
		return nil
	})
	// Existing counters carry on.
	mustUpdate(t, s, func(tx *Tx) error {
		if n, err := tx.NextSeq(); n != 42 || err != nil {
			t.Errorf("NextSeq after migration = %d %v, want 42", n, err)
		}
		return nil
	})
}

func TestFailedMigrationLeavesFileAtOldSchema(t *testing.T) {
	path := dbPath(t)
	writeV1Fixture(t, path, map[string][]byte{
		"r-1": raceJSON(t, sampleRace("r-1", "alice", 1, 0)),
		"r-2": []byte(`{"racer_id":`), // damaged: the 1→2 index cannot be built
	})
	before := fileHash(t, path)
	_, err := Open(path, Options{Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "migrate schema 1→2") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open = %v, want a migration error naming the file", err)
	}
	if fileHash(t, path) != before {
		t.Error("failed migration changed the file")
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func setRawSchema(t *testing.T, path string, v uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaSchema, u64(v))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := dbPath(t)
	s := openAt(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	setRawSchema(t, path, uint64(schemaVersion+1))
	before := fileHash(t, path)

	_, err := Open(path, Options{Logger: quiet})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open = %v, want ErrNewerSchema", err)
	}
	for _, want := range []string{path, "schema 3", "up to 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if fileHash(t, path) != before {
		t.Error("refused Open changed the file")
	}
}

func TestForeignFilesRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, path string)
		want  string
	}{
		{"other bbolt database", func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err }); err != nil {
				t.Fatal(err)
			}
		}, "not a pitwall store"},
		{"not a database", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("pitwall "), 4096), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := dbPath(t)
			tc.write(t, path)
			before := fileHash(t, path)
			_, err := Open(path, Options{Logger: quiet})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open = %v, want an error with %q and the path", err, tc.want)
			}
			if fileHash(t, path) != before {
				t.Error("refused Open changed the file")
			}
		})
	}
}
