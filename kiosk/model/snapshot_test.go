package model

import (
	"fmt"
	"testing"
	"time"

	"pitwall/mqtt"
)

// TestSnapshot: the scene publishes one immutable snapshot per change:
// an unchanged scene gives the same one, a change the next generation,
// and an older snapshot keeps what it showed. The snapshot merges every
// entry (the screen shows 20), carries each track's race and queue once
// the broker confirmed them, and keeps the race states taken from the
// broker (not those from the cache) in Seen.
func TestSnapshot(t *testing.T) {
	s := newTestScene(SceneConfig{Title: "Cup"})
	var a, b []mqtt.StandingsEntry
	for i := range 30 {
		a = append(a, e(0, fmt.Sprintf("a%02d", i), int64(1000+20*i)))
		b = append(b, e(0, fmt.Sprintf("b%02d", i), int64(1010+20*i)))
	}
	apply(t, s, standingsMsg(t, standings("1", 1, ranked(a...)...), t0))
	apply(t, s, standingsMsg(t, standings("2", 1, ranked(b...)...), t0))
	// A race state from the cache (no receipt time): held, not shown.
	cached := &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 2}, Race: &mqtt.LiveRace{ID: "1-7", RacerID: "a01", State: "running", Running: true, DurationMS: 60000}}
	apply(t, s, msg(t, mqtt.TrackRace("1"), cached, time.Time{}))

	p1 := s.Snapshot(t0)
	if p1.Gen != 1 || p1.Title != "Cup" || len(p1.Board.Entries) != 60 || len(p1.Tracks) != 2 {
		t.Fatalf("first snapshot: gen %d, %d entries, %d tracks", p1.Gen, len(p1.Board.Entries), len(p1.Tracks))
	}
	if p1.Tracks[0].Race != nil || len(p1.Seen) != 0 {
		t.Fatalf("a cached race state is shown (%+v) or seen (%d)", p1.Tracks[0].Race, len(p1.Seen))
	}
	if s.Snapshot(t0.Add(time.Second)) != p1 {
		t.Fatal("an unchanged scene built a new snapshot")
	}
	if got := len(p1.Screen(s.Link(), t0, t0, true).Rows); got != 20 {
		t.Fatalf("screen shows %d rows, want 20", got)
	}

	// The broker confirms the race, then the next racer is loaded.
	apply(t, s, msg(t, mqtt.TrackRace("1"), cached, t0.Add(time.Second)))
	next := &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 3}, Race: &mqtt.LiveRace{ID: "1-8", RacerID: "a02", State: "ready"},
		Queue: []string{"Racer a03"}}
	apply(t, s, msg(t, mqtt.TrackRace("1"), next, t0.Add(2*time.Second)))
	p2 := s.Snapshot(t0.Add(2 * time.Second))
	if p2.Gen != p1.Gen+1 || !p2.Changed.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("second snapshot: gen %d after %d, changed %v", p2.Gen, p1.Gen, p2.Changed)
	}
	if p1.Tracks[0].Race != nil || len(p1.Seen) != 0 {
		t.Fatal("a published snapshot changed")
	}
	if r := p2.Tracks[0].Race; r == nil || r.ID != "1-8" || len(p2.Tracks[0].Queue) != 1 {
		t.Fatalf("track 1: %+v", p2.Tracks[0])
	}
	if len(p2.Seen) != 2 || p2.Seen[0].Race.ID != "1-7" || p2.Seen[1].No != p2.Seen[0].No+1 {
		t.Fatalf("seen %+v, want the confirmed race then the next", p2.Seen)
	}
	if len(p2.Screen(s.Link(), t0, t0, true).Live) != 1 {
		t.Fatal("the screen shows no live strip for the confirmed race")
	}
}
