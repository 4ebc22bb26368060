package socket

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// BenchmarkRacerList reads the racer list from a big event's
// store: 1,000 racers, 3,000 started races of 20 laps. It runs after the
// commands that change it and every two seconds.
func BenchmarkRacerList(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "pitwall.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(func(tx *store.Tx) error {
		for i := range 1000 {
			if err := tx.PutRacer(race.Racer{ID: fmt.Sprintf("r%04d", i), Name: fmt.Sprintf("Racer %d", i)}); err != nil {
				return err
			}
		}
		for i := range 3000 {
			r := race.Race{ID: fmt.Sprintf("1-%05d", i), Track: "1", RacerID: fmt.Sprintf("r%04d", i%1000), Run: 1 + i/1000,
				State: race.Submitted, Config: race.DefaultConfig(), StartNS: 1}
			for n := 1; n <= 20; n++ {
				r.Laps = append(r.Laps, race.Lap{No: n, Time: 10 * time.Second, Valid: true, Seq: uint64(i*20 + n)})
			}
			if err := tx.PutRace(r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	tr, err := track.Open(track.Config{ID: "1", Store: st, Rules: race.DefaultConfig()})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Config{Track: tr, Store: st})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if l := srv.racerList(true); len(l) != 1000 {
			b.Fatalf("%d racers", len(l))
		}
	}
}
