package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
)

// damageFixture is a store as an event leaves it: crossings written in many
// commits (so the file holds older copies of pages too), racers, races with
// laps, audit entries, a setting and an engine snapshot.
type damageFixture struct {
	crossings, races, racers, audit int
}

func writeDamageFixture(t testing.TB, path string) damageFixture {
	t.Helper()
	s := openAt(t, path)
	fx := damageFixture{crossings: 3000, races: 40, racers: 40, audit: 60}
	for i := 0; i < fx.crossings; i += 100 {
		mustUpdate(t, s, func(tx *Tx) error {
			for j := i; j < i+100; j++ {
				if _, err := tx.AddCrossing(sampleCrossing(j + 1)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for i := 0; i < fx.racers; i++ {
		mustUpdate(t, s, func(tx *Tx) error {
			id := fmt.Sprintf("racer-%02d", i)
			if err := tx.PutRacer(race.Racer{ID: id, Name: "Racer " + id, Email: id + "@example.org"}); err != nil {
				return err
			}
			if err := tx.PutRace(sampleRace(fmt.Sprintf("race-%02d", i), id, 1, 10)); err != nil {
				return err
			}
			for k := 0; k < fx.audit/fx.racers+1 && i*2+k < fx.audit; k++ {
				if _, err := tx.AddAudit(Audit{At: time.Now(), Who: "official", Action: "race.load", Target: id}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	mustUpdate(t, s, func(tx *Tx) error {
		if err := tx.SetConfig("event", []byte("summit")); err != nil {
			return err
		}
		return tx.SetEngine([]byte(`{"queue":["racer-01"]}`))
	})
	mustView(t, s, func(tx *Tx) error {
		n := 0
		err := tx.ForEachAudit(func(Audit) error { n++; return nil })
		fx.audit = n
		return err
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return fx
}

// pageOf reads bbolt's page size and the root page of a bucket.
func bucketRoot(t *testing.T, path string, bucket []byte) (psize int, root uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		root = uint64(tx.Bucket(bucket).RootPage())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db.Info().PageSize, root
}

func overwritePage(t *testing.T, path string, psize int, id uint64, rng *rand.Rand) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, psize)
	rng.Read(junk)
	if _, err := f.WriteAt(junk, int64(id)*int64(psize)); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedStoreFailsCleanlyAndSalvages(t *testing.T) {
	type damage struct {
		name    string
		corrupt func(t *testing.T, path string, rng *rand.Rand)
		// salvage: "all" (everything back), "some" (part lost, reported),
		// "none" (salvage refuses: nothing of pitwall's).
		salvage string
		want    string // in Open's error
	}
	for _, tc := range []damage{
		{"truncated to half", func(t *testing.T, path string, _ *rand.Rand) {
			if err := os.Truncate(path, usedSize(t, path)/2); err != nil {
				t.Fatal(err)
			}
		}, "some", "truncated"},
		{"random meta pages", func(t *testing.T, path string, rng *rand.Rand) {
			psize, _ := bucketRoot(t, path, bucketCrossings)
			overwritePage(t, path, psize, 0, rng)
			overwritePage(t, path, psize, 1, rng)
		}, "all", "meta page"},
		{"random branch page", func(t *testing.T, path string, rng *rand.Rand) {
			psize, root := bucketRoot(t, path, bucketCrossings)
			overwritePage(t, path, psize, root, rng)
		}, "some", "crossings"},
		{"random leaf page", func(t *testing.T, path string, rng *rand.Rand) {
			psize, root := bucketRoot(t, path, bucketCrossings)
			overwritePage(t, path, psize, middleChild(t, path, psize, root), rng)
		}, "some", "crossings"},
		{"leaf page with a valid header and random elements", func(t *testing.T, path string, rng *rand.Rand) {
			psize, root := bucketRoot(t, path, bucketCrossings)
			leaf := middleChild(t, path, psize, root)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			junk := make([]byte, psize-pageHeaderSize)
			rng.Read(junk)
			if _, err := f.WriteAt(junk, int64(leaf)*int64(psize)+pageHeaderSize); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}, "some", "crossings"},
		{"foreign bbolt file", func(t *testing.T, path string, _ *rand.Rand) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("widgets"))
				if err != nil {
					return err
				}
				return b.Put([]byte("w1"), []byte(`{"source":"not ours"}`))
			})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
		}, "none", "not a pitwall store"},
		{"zero bytes", func(t *testing.T, path string, _ *rand.Rand) {
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, make([]byte, info.Size()), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "none", "invalid database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := dbPath(t)
			fx := writeDamageFixture(t, path)
			tc.corrupt(t, path, rand.New(rand.NewSource(7)))
			before := fileHash(t, path)

			for name, open := range map[string]func() (*Store, error){
				"Open":         func() (*Store, error) { return Open(path, Options{Logger: quiet}) },
				"OpenReadOnly": func() (*Store, error) { return OpenReadOnly(path, Options{Logger: quiet}) },
			} {
				s, err := open()
				if err == nil {
					s.Close()
					t.Fatalf("%s of a damaged file succeeded", name)
				}
				if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s = %v, want the path and %q", name, err, tc.want)
				}
				if tc.salvage != "none" && !errors.Is(err, ErrDamaged) {
					t.Errorf("%s = %v, want ErrDamaged", name, err)
				}
			}
			if fileHash(t, path) != before {
				t.Fatal("a refused Open changed the damaged file")
			}

			dst := filepath.Join(t.TempDir(), "salvaged.db")
			rep, err := Salvage(path, dst, quiet)
			if fileHash(t, path) != before {
				t.Fatal("Salvage changed the damaged file")
			}
			if tc.salvage == "none" {
				if err == nil {
					t.Fatalf("Salvage of a file without pitwall data succeeded: %v", rep)
				}
				if _, serr := os.Stat(dst); serr == nil {
					t.Error("refused Salvage left a file behind")
				}
				t.Logf("salvage refused: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("Salvage: %v", err)
			}
			t.Logf("salvage report:\n%s", rep)
			got := countStore(t, dst)
			if got.crossings != rep.Crossings || got.races != rep.Races || got.racers != rep.Racers || got.audit != rep.Audit {
				t.Errorf("new store holds %+v, report says %+v", got, rep)
			}
			switch tc.salvage {
			case "all":
				if got != fx || len(rep.MissingCrossings) > 0 || len(rep.MissingAudit) > 0 || !rep.Engine || rep.Settings != 1 {
					t.Errorf("salvaged %+v of %+v (engine %v), want everything; report:\n%s", got, fx, rep.Engine, rep)
				}
			case "some":
				if got.crossings == 0 || got.crossings > fx.crossings {
					t.Errorf("salvaged %d of %d crossings", got.crossings, fx.crossings)
				}
				lostCrossings := fx.crossings - got.crossings
				if lostCrossings > 0 && len(rep.MissingCrossings) == 0 {
					t.Errorf("%d crossings lost but the report names none:\n%s", lostCrossings, rep)
				}
				if lostCrossings == 0 && len(rep.Problems) == 0 {
					t.Errorf("damage not reported:\n%s", rep)
				}
			}
			// The salvaged store is a healthy store that a unit can run on.
			s := openAt(t, dst)
			if err := s.Check(); err != nil {
				t.Errorf("salvaged store: %v", err)
			}
			mustUpdate(t, s, func(tx *Tx) error {
				id, err := tx.AddCrossing(sampleCrossing(99999))
				if err == nil && id != uint64(fx.crossings+1) && !rep.CountsUnknown {
					err = fmt.Errorf("next crossing id %d, want %d (ids are never reused)", id, fx.crossings+1)
				}
				return err
			})
		})
	}
}

// middleChild is the middle child of a branch page.
func middleChild(t *testing.T, path string, psize int, branch uint64) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := b[int(branch)*psize:]
	if page[8] != flagBranch {
		t.Fatalf("page %d is not a branch page: the fixture is too small", branch)
	}
	count := int(binary.LittleEndian.Uint16(page[10:]))
	e := pageHeaderSize + (count/2)*elemSize
	return binary.LittleEndian.Uint64(page[e+8:])
}

func countStore(t *testing.T, path string) damageFixture {
	t.Helper()
	s, err := OpenReadOnly(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var fx damageFixture
	mustView(t, s, func(tx *Tx) error {
		if err := tx.ForEachCrossing(0, func(uint64, crossing.Crossing) error { fx.crossings++; return nil }); err != nil {
			return err
		}
		if err := tx.ForEachRace(func(race.Race) error { fx.races++; return nil }); err != nil {
			return err
		}
		if err := tx.ForEachRacer(func(race.Racer) error { fx.racers++; return nil }); err != nil {
			return err
		}
		return tx.ForEachAudit(func(Audit) error { fx.audit++; return nil })
	})
	return fx
}

// usedSize is the part of the file bbolt uses (it grows files in chunks
// ahead of need): truncating only the unused tail is no damage.
func usedSize(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	p, err := openPageFile(f, info.Size())
	if err != nil {
		t.Fatal(err)
	}
	return int64(p.meta.highWater) * p.psize
}

func TestOneDamagedMetaPageStillOpens(t *testing.T) {
	// bbolt writes its two meta pages in turn so that a torn meta write
	// leaves the other: that file is usable, and Open says so in the log.
	path := dbPath(t)
	fx := writeDamageFixture(t, path)
	psize, _ := bucketRoot(t, path, bucketCrossings)
	overwritePage(t, path, psize, 0, rand.New(rand.NewSource(1)))
	s := openAt(t, path)
	s.Close()
	if got := countStore(t, path); got != fx {
		t.Errorf("read %+v, want %+v", got, fx)
	}
}

func TestSalvageRefusesExistingTarget(t *testing.T) {
	path := dbPath(t)
	writeDamageFixture(t, path)
	dst := filepath.Join(t.TempDir(), "there.db")
	if err := os.WriteFile(dst, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Salvage(path, dst, quiet); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("Salvage onto an existing file = %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep me" {
		t.Error("Salvage overwrote the target")
	}
}

func TestDamageFoundAfterOpenIsAnErrorNotACrash(t *testing.T) {
	// Damage that appears while the unit runs (a failing card) is read
	// through bbolt's mapping: the fault must become an error.
	path := dbPath(t)
	writeDamageFixture(t, path)
	used := usedSize(t, path)
	s := openAt(t, path)
	if err := os.Truncate(path, used/4); err != nil {
		t.Fatal(err)
	}
	err := s.View(func(tx *Tx) error {
		return tx.ForEachCrossing(0, func(uint64, crossing.Crossing) error { return nil })
	})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) {
		t.Fatalf("reading a truncated file = %v, want ErrDamaged naming the file", err)
	}
}

func TestOpenEmptyFileStillInitialises(t *testing.T) {
	// A 0-byte file is what a crash inside a plain bbolt.Open leaves (pitwall
	// itself creates through a temp file): Open initialises it, as before;
	// Salvage has nothing to take from it.
	path := dbPath(t)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Salvage(path, filepath.Join(t.TempDir(), "n.db"), quiet); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("Salvage of an empty file = %v, want 'empty'", err)
	}
	openAt(t, path).Close()
}

func TestPanickedIn(t *testing.T) {
	stack := []byte("goroutine 1 [running]:\nruntime/debug.Stack()\n\t/x.go:1\npanic({0x1, 0x2})\n\t/y.go:2\ngo.etcd.io/bbolt.(*Cursor).search(...)\n\t/z.go:3\n")
	if !panickedIn(stack, "go.etcd.io/bbolt") {
		t.Error("bbolt frame not found")
	}
	mine := []byte("goroutine 1 [running]:\npanic({0x1, 0x2})\n\t/y.go:2\npitwall/trackside/track.(*Track).commit(...)\n\t/z.go:3\ngo.etcd.io/bbolt.(*DB).View()\n")
	if panickedIn(mine, "go.etcd.io/bbolt") {
		t.Error("a caller's panic taken for bbolt's")
	}
}

// BenchmarkCheckFile is the page walk Open does first, on a store of an
// event's size: 100,000 crossings and 2,000 races of 10 laps.
func BenchmarkCheckFile(b *testing.B) {
	path := dbPath(b)
	s := openAt(b, path)
	for i := 0; i < 100_000; i += 1000 {
		mustUpdate(b, s, func(tx *Tx) error {
			for j := i; j < i+1000; j++ {
				if _, err := tx.AddCrossing(sampleCrossing(j + 1)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for i := 0; i < 2000; i += 100 {
		mustUpdate(b, s, func(tx *Tx) error {
			for j := i; j < i+100; j++ {
				id := fmt.Sprintf("racer-%04d", j)
				if err := tx.PutRacer(race.Racer{ID: id, Name: id}); err != nil {
					return err
				}
				if err := tx.PutRace(sampleRace("race-"+id, id, 1, 10)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	s.Close()
	info, _ := os.Stat(path)
	b.Run("pagewalk", func(b *testing.B) {
		var pages int
		for i := 0; i < b.N; i++ {
			n, _, err := checkFile(path, true, time.Second)
			if err != nil {
				b.Fatal(err)
			}
			pages = n
		}
		b.ReportMetric(float64(pages), "pages")
		b.ReportMetric(float64(info.Size())/1e6, "file_MB")
	})
	b.Run("bbolt-tx.Check", func(b *testing.B) {
		s := openAt(b, path)
		for i := 0; i < b.N; i++ {
			if err := s.Check(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestOpenReadOnlyChangesNothing(t *testing.T) {
	path := dbPath(t)
	fx := writeDamageFixture(t, path)
	before := fileHash(t, path)
	info, _ := os.Stat(path)
	s, err := OpenReadOnly(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := countStore(t, path); got != fx { // a second reader at the same time
		t.Errorf("read %+v, want %+v", got, fx)
	}
	if err := s.Update(func(*Tx) error { return nil }); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Update on a read-only store = %v", err)
	}
	if err := s.BackupFile(filepath.Join(t.TempDir(), "b.db")); err != nil {
		t.Errorf("backup from a read-only store: %v", err)
	}
	s.Close()
	after, _ := os.Stat(path)
	if fileHash(t, path) != before || !after.ModTime().Equal(info.ModTime()) || after.Size() != info.Size() {
		t.Error("OpenReadOnly changed the file")
	}
	if _, err := OpenReadOnly(filepath.Join(t.TempDir(), "none.db"), Options{Logger: quiet}); err == nil {
		t.Error("OpenReadOnly of a missing file succeeded")
	}
	// A running unit holds the file: read-only Open waits, then says so.
	w := openAt(t, path)
	defer w.Close()
	if _, err := OpenReadOnly(path, Options{Logger: quiet, LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrInUse) {
		t.Errorf("OpenReadOnly while a writer has the file = %v, want ErrInUse", err)
	}
}
