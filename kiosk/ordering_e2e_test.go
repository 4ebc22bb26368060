package kiosk_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pitwall/internal/mosquittotest"
	"pitwall/kiosk"
	"pitwall/mqtt"
)

// The payloads of these tests are written as JSON, as a forger (or a
// trackside of another build) would send them.

func standingsJSON(seq uint64, epoch string, epochAt int64, name string) []byte {
	return fmt.Appendf(nil, `{"v":1,"track":"1","boot":"b-1","seq":%d,"epoch":%q,"epoch_at":%d,"ranking":"best-lap",`+
		`"entries":[{"rank":1,"racer_id":%q,"name":%q,"result_ms":9000,"laps":3,"best_ms":9000}]}`,
		seq, epoch, epochAt, strings.ToLower(name), name)
}

func raceJSON(seq uint64, epoch string, epochAt int64) []byte {
	return fmt.Appendf(nil, `{"v":1,"track":"1","boot":"b-1","seq":%d,"epoch":%q,"epoch_at":%d}`, seq, epoch, epochAt)
}

func statusJSON(seq uint64, epoch string, epochAt int64) []byte {
	return fmt.Appendf(nil, `{"v":1,"track":"1","boot":"c-1","seq":%d,"epoch":%q,"epoch_at":%d,"online":true}`, seq, epoch, epochAt)
}

const forged = uint64(1<<63 - 1)

// waitReceived waits until k has taken n messages in all.
func waitReceived(t *testing.T, k *kiosk.Kiosk, n uint64) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d messages received", n), func() bool { return k.Stats().Received >= n })
}

func cacheHas(t *testing.T, path, name string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), name)
}

// TestForgedSeqLiveAndAcrossRestart: one retained standings message with
// seq 2^63-1 neither shows nor freezes the board, live or after a restart
// from the cache; and a cache that holds such a message (written by an
// older build) is corrected by the real stream.
func TestForgedSeqLiveAndAcrossRestart(t *testing.T) {
	b := mosquittotest.Start(t)
	pub := newPublisher(t, b.URL())
	dir := t.TempDir()
	cache := filepath.Join(dir, "kiosk-cache.json")
	pngPath := filepath.Join(dir, "board.png")
	cfg := kioskConfig(t, b.URL(), cache, pngPath, "")
	start := func() (*kiosk.Kiosk, func()) {
		k, err := kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Outputs: []kiosk.Output{{Name: "png", Sink: &pngFile{path: pngPath}}}})
		if err != nil {
			t.Fatal(err)
		}
		return k, runKiosk(t, k)
	}
	rows := func(k *kiosk.Kiosk) []string { return rowsOf(k.Board().Rows) }
	shows := func(k *kiosk.Kiosk, name string) func() bool {
		return func() bool { return slices.Equal(rows(k), []string{"1 " + name + " 9.000 "}) }
	}

	pub.publish(mqtt.TrackStandings("1"), standingsJSON(10, "e1", 0, "Ada"))
	pub.publish(mqtt.TrackRace("1"), raceJSON(11, "e1", 0))
	k1, stop1 := start()
	waitFor(t, 10*time.Second, "Ada's board", shows(k1, "Ada"))
	waitReceived(t, k1, 2)

	// Live: the forged message is not shown, the real stream goes on.
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(forged, "e1", 0, "Mallory"))
	waitReceived(t, k1, 3)
	if !shows(k1, "Ada")() {
		t.Fatalf("after the forged message the board shows %q", rows(k1))
	}
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(12, "e1", 0, "Bo"))
	waitFor(t, 10*time.Second, "the real update after the forged one", shows(k1, "Bo"))
	// The broker now retains the forged message.
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(forged, "e1", 0, "Mallory"))
	waitReceived(t, k1, 5)
	stop1()
	if !cacheHas(t, cache, `"Bo"`) || cacheHas(t, cache, "Mallory") {
		t.Fatal("the cache does not hold the real board")
	}

	// Restart: the cache is shown, the retained forged message is not.
	k2, stop2 := start()
	waitReceived(t, k2, 2)
	if !shows(k2, "Bo")() {
		t.Fatalf("after a restart the board shows %q", rows(k2))
	}
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(13, "e1", 0, "Cy"))
	waitFor(t, 10*time.Second, "the real update after the restart", shows(k2, "Cy"))
	stop2()

	// A cache written by a build that took the forged message: the real
	// snapshots the broker holds (race 11, standings 13) contradict it.
	mallory := standingsJSON(forged, "e1", 0, "Mallory")
	if err := kiosk.WriteCache(cache, kiosk.CacheFile{Tracks: []kiosk.CachedTrack{{ID: "1", Standings: mallory, Race: raceJSON(11, "e1", 0)}}}); err != nil {
		t.Fatal(err)
	}
	k3, stop3 := start()
	waitFor(t, 10*time.Second, "the real board replacing the cached forged one", shows(k3, "Cy"))
	stop3()
	if !cacheHas(t, cache, `"Cy"`) || cacheHas(t, cache, "Mallory") {
		t.Fatal("the cache still holds the forged board")
	}
}

// TestMixedEpochsRetainedOnBroker: a broker retains standings of a
// replaced database and status and race state of the new one. Every kiosk,
// whatever order the broker delivers them in, shows the new database's
// state only, and a running kiosk never goes back to the old one once it
// has the new one's standings.
func TestMixedEpochsRetainedOnBroker(t *testing.T) {
	const oldAt, newAt = 1_700_000_000_000, 1_700_000_500_000
	b := mosquittotest.Start(t)
	pub := newPublisher(t, b.URL())
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(900, "old", oldAt, "Stale"))
	pub.publish(mqtt.TrackRace("1"), raceJSON(3, "new", newAt))
	pub.publish(mqtt.TrackStatus("1"), statusJSON(1<<32|1, "new", newAt))
	dir := t.TempDir()
	cfg := kioskConfig(t, b.URL(), filepath.Join(dir, "cache.json"), filepath.Join(dir, "b.png"), "")

	// Several fresh kiosks (the subscription order varies between runs).
	for i := range 6 {
		k, err := kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Synced: func() bool { return false }})
		if err != nil {
			t.Fatal(err)
		}
		board, _, err := k.DrawOnce(t.Context(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if k.Stats().Received != 3 || len(board.Rows) != 0 {
			t.Fatalf("run %d: %d messages, rows %q: the replaced database's standings are shown", i, k.Stats().Received, rowsOf(board.Rows))
		}
	}

	// A running kiosk: the new database's standings arrive, then the old
	// ones are retained again (a late publisher); the board stays new,
	// also after a restart from the cache.
	var seen frames
	start := func() (*kiosk.Kiosk, func()) {
		k, err := kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Outputs: []kiosk.Output{{Name: "png", Sink: &pngFile{path: filepath.Join(dir, "b.png")}}},
			OnFrame: seen.onFrame})
		if err != nil {
			t.Fatal(err)
		}
		return k, runKiosk(t, k)
	}
	k, stop := start()
	waitReceived(t, k, 3)
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(4, "new", newAt, "Fresh"))
	want := []string{"1 Fresh 9.000 "}
	waitFor(t, 10*time.Second, "the new database's standings", func() bool { return slices.Equal(rowsOf(k.Board().Rows), want) })
	pub.publish(mqtt.TrackStandings("1"), standingsJSON(901, "old", oldAt, "Stale"))
	waitReceived(t, k, 5)
	stop()
	k, stop = start()
	waitReceived(t, k, 3)
	stop()
	if got := rowsOf(k.Board().Rows); !slices.Equal(got, want) {
		t.Fatalf("after a restart: rows %q, want %q", got, want)
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	fresh := false
	for i, b := range seen.boards {
		r := strings.Join(rowsOf(b.Rows), "|")
		fresh = fresh || strings.Contains(r, "Fresh")
		if fresh && strings.Contains(r, "Stale") {
			t.Fatalf("frame %d went back to the replaced database's standings: %q", i, r)
		}
	}
	if !fresh {
		t.Fatal("no frame showed the new database's standings")
	}
}
