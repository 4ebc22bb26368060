package kiosk

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"pitwall/mqtt"
)

// TestPublishedModel: the published model merges every entry of every track
// (the screen shows 20), carries each track's race and queue, and keeps
// the race states that a later one replaced within one batch.
func TestPublishedModel(t *testing.T) {
	dir := t.TempDir()
	cfg, err := ParseConfig([]byte(fmt.Sprintf(`{"kiosk": "k", "broker": {"url": "tcp://127.0.0.1:1"}, "web": {"listen": ":0"}, "cache": %q}`,
		filepath.Join(dir, "cache.json"))))
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	p0, changed := k.Model()
	var a, b []mqtt.StandingsEntry
	for i := range 30 {
		a = append(a, e(0, fmt.Sprintf("a%02d", i), int64(1000+20*i)))
		b = append(b, e(0, fmt.Sprintf("b%02d", i), int64(1010+20*i)))
	}
	now := time.Now()
	k.apply(standingsMsg(t, standings("1", 1, ranked(a...)...), now))
	k.apply(standingsMsg(t, standings("2", 1, ranked(b...)...), now))
	over := &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 2}, Race: &mqtt.LiveRace{ID: "1-7", RacerID: "a01", State: "submitted",
		Laps: []mqtt.LapInfo{{No: 1, TimeMS: 1020, Valid: true}}}}
	next := &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 3}, Race: &mqtt.LiveRace{ID: "1-8", RacerID: "a02", State: "ready"},
		Queue: []string{"Racer a03"}}
	k.apply(msg(t, mqtt.TrackRace("1"), over, now))
	k.apply(msg(t, mqtt.TrackRace("1"), next, now))
	k.publish(now)

	select {
	case <-changed:
	default:
		t.Fatal("Model's channel not closed by a change")
	}
	p, _ := k.Model()
	if p.Gen <= p0.Gen {
		t.Errorf("gen %d after %d", p.Gen, p0.Gen)
	}
	if len(p.Board.Entries) != 60 {
		t.Errorf("%d merged entries, want all 60", len(p.Board.Entries))
	}
	if len(p.Tracks) != 2 || p.Tracks[0].Race == nil || p.Tracks[0].Race.ID != "1-8" || len(p.Tracks[0].Queue) != 1 {
		t.Errorf("tracks %+v", p.Tracks)
	}
	if len(p.Seen) != 2 || p.Seen[0].Race.ID != "1-7" || p.Seen[0].Race.State != "submitted" || p.Seen[1].No != p.Seen[0].No+1 {
		t.Errorf("seen %+v, want the submitted race then the next", p.Seen)
	}
}
