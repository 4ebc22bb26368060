package model

import (
	"bytes"
	"maps"
	"testing"
	"time"

	"pitwall/mqtt"
)

// fuzzTopics are the topics a fuzzed payload is delivered on.
var fuzzTopics = []string{mqtt.TrackStatus("1"), mqtt.TrackStandings("1"), mqtt.TrackRace("1")}

// FuzzApply feeds arbitrary payloads to a kiosk's inputs that already hold
// a board. Properties: no panic; a refused or stale payload changes
// nothing; a taken standings payload has a higher seq than the one it
// replaces and is a well-formed ranking (so the board built from it
// is too); the scene can always be drawn.
func FuzzApply(f *testing.F) {
	good, _ := mqtt.Encode(standings("1", 7, ranked(e(0, "a", 9000), e(0, "b", 9500))...))
	race, _ := mqtt.Encode(&mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 3}, Race: &mqtt.LiveRace{ID: "r", Name: "A", State: "running", Running: true, DurationMS: 60000}})
	status, _ := mqtt.Encode(&mqtt.Status{Header: mqtt.Header{Track: "1", Seq: 1<<32 | 2}, Online: true})
	f.Add(byte(1), good)
	f.Add(byte(2), race)
	f.Add(byte(0), status)
	f.Add(byte(0), []byte(`{"v":1,"track":"1","boot":"x-1","online":false}`))
	f.Add(byte(1), []byte(`{"v":1,"seq":8,"entries":[{"rank":1,"racer_id":"a","result_ms":1},{"rank":1,"racer_id":"b","result_ms":1,"tie":true}]}`))
	f.Add(byte(1), []byte(`{"v":2}`))
	f.Add(byte(1), []byte(`{"v":1,"seq":99,"entries":[{"rank":1,"racer_id":"a","result_ms":5},{"rank":2,"racer_id":"a","result_ms":6}]}`))
	f.Add(byte(2), []byte(`{"v":1,"seq":9,"race":{"elapsed_ms":-1}}`))
	f.Fuzz(func(t *testing.T, kind byte, payload []byte) {
		s := NewScene(SceneConfig{Location: time.UTC}, t0)
		for i, p := range [][]byte{status, good, race} {
			if _, err := s.Apply(Message{Topic: fuzzTopics[i], Payload: p, At: t0}); err != nil {
				t.Fatal(err)
			}
		}
		ts := s.Inputs().Track("1")
		rawBefore := maps.Clone(ts.Raw)
		seqBefore := maps.Clone(ts.seq)
		stBefore := ts.Standings

		m := Message{Topic: fuzzTopics[int(kind)%len(fuzzTopics)], Payload: payload, At: t0.Add(time.Second)}
		u, err := s.Apply(m)
		changed := u.Changed && err == nil
		if err != nil || !changed {
			if !maps.EqualFunc(rawBefore, ts.Raw, bytes.Equal) || !maps.Equal(seqBefore, ts.seq) || ts.Standings != stBefore {
				t.Fatalf("refused or stale payload (err %v) changed the state", err)
			}
		}
		if changed && m.Topic == mqtt.TrackStandings("1") {
			if ts.Standings.Seq <= stBefore.Seq {
				t.Fatalf("standings seq %d replaced seq %d", ts.Standings.Seq, stBefore.Seq)
			}
			if err := checkStandings(ts.Standings); err != nil {
				t.Fatalf("ill-formed standings taken: %v", err)
			}
		}
		b := s.Board(t0.Add(2*time.Second), t0, true)
		for i := 1; i < len(b.Rows); i++ {
			if b.Rows[i].Result < b.Rows[i-1].Result || b.Rows[i].Rank < b.Rows[i-1].Rank {
				t.Fatalf("board rows out of order: %+v", b.Rows)
			}
		}
	})
}
