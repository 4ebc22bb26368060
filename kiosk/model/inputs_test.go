package model

import (
	"errors"
	"strings"
	"testing"
	"time"

	"pitwall/mqtt"
)

func TestParseTopic(t *testing.T) {
	for _, tc := range []struct {
		topic string
		track string
		kind  Kind
		err   string
	}{
		{mqtt.TrackStandings("1"), "1", KindStandings, ""},
		{mqtt.TrackRace("main-hall"), "main-hall", KindRace, ""},
		{mqtt.TrackStatus("t_2"), "t_2", KindStatus, ""},
		{mqtt.TrackLaps("1"), "", 0, "not status, standings or race"},
		{mqtt.KioskStatus("k"), "", 0, "not under"},
		{"pitwall/v1/track/BAD/standings", "", 0, "track id"},
		{"pitwall/v1/track/1", "", 0, "no state"},
		{"pitwall/v2/track/1/standings", "", 0, "not under"},
	} {
		track, kind, err := ParseTopic(tc.topic)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseTopic(%q): err %v, want one containing %q", tc.topic, err, tc.err)
			}
			continue
		}
		if err != nil || track != tc.track || kind != tc.kind {
			t.Errorf("ParseTopic(%q) = %q, %v, %v; want %q, %v", tc.topic, track, kind, err, tc.track, tc.kind)
		}
	}
}

// TestApplyKeepsHighestSeq: stale and duplicate snapshots are dropped per
// track and kind, whatever their boot or arrival order.
func TestApplyKeepsHighestSeq(t *testing.T) {
	at := time.Now()
	type step struct {
		track   string
		seq     uint64
		boot    string
		epoch   string
		epochAt int64
		changed bool
		holds   uint64 // seq held afterwards for the track
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"increasing", []step{{"1", 1, "a-1", "e1", 0, true, 1}, {"1", 2, "a-1", "e1", 0, true, 2}, {"1", 9, "a-1", "e1", 0, true, 9}}},
		{"duplicate dropped", []step{{"1", 5, "a-1", "e1", 0, true, 5}, {"1", 5, "a-1", "e1", 0, false, 5}}},
		{"late older dropped", []step{{"1", 5, "a-1", "e1", 0, true, 5}, {"1", 4, "a-1", "e1", 0, false, 5}}},
		{"older seq from another boot dropped", []step{{"1", 5, "b-2", "e1", 0, true, 5}, {"1", 4, "a-1", "e1", 0, false, 5}}},
		{"new boot continues the seq", []step{{"1", 5, "a-1", "e1", 0, true, 5}, {"1", 6, "b-2", "e1", 0, true, 6}}},
		{"tracks are independent", []step{{"1", 5, "a-1", "e1", 0, true, 5}, {"2", 1, "a-1", "e1", 0, true, 1}, {"2", 2, "a-1", "e1", 0, true, 2}}},
		// A trackside whose store was replaced starts a new epoch at low seqs.
		{"new database restarts the seq", []step{{"1", 500, "a-9", "e1", 1000, true, 500}, {"1", 3, "c-1", "e2", 2000, true, 3}, {"1", 2, "c-1", "e2", 2000, false, 3}, {"1", 4, "c-1", "e2", 2000, true, 4}}},
		// A retained snapshot of the replaced store, delivered late, is older.
		{"older database dropped", []step{{"1", 3, "c-1", "e2", 2000, true, 3}, {"1", 500, "a-9", "e1", 1000, false, 3}, {"1", 4, "c-1", "e2", 2000, true, 4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInputs(nil)
			for i, s := range tc.steps {
				st := standings(s.track, s.seq, ranked(e(0, "r", int64(9000+s.seq)))...)
				st.Boot, st.Epoch, st.EpochAt = s.boot, s.epoch, s.epochAt
				u, err := in.Apply(standingsMsg(t, st, at))
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if u.Changed != s.changed {
					t.Fatalf("step %d: changed %v, want %v", i, u.Changed, s.changed)
				}
				if got := in.Track(s.track).Standings.Seq; got != s.holds {
					t.Fatalf("step %d: holds seq %d, want %d", i, got, s.holds)
				}
			}
		})
	}
}

func TestApplyUpdatePrevious(t *testing.T) {
	in := NewInputs(nil)
	first := standings("1", 1, ranked(e(0, "a", 9000))...)
	u, err := in.Apply(standingsMsg(t, first, time.Now()))
	if err != nil || u.Previous != nil {
		t.Fatalf("first snapshot: previous %v, err %v", u.Previous, err)
	}
	u, err = in.Apply(standingsMsg(t, standings("1", 2, ranked(e(0, "a", 8000))...), time.Now()))
	if err != nil || u.Previous == nil || u.Previous.Seq != 1 {
		t.Fatalf("second snapshot: previous %+v, err %v", u.Previous, err)
	}
}

// TestBadPayloadsChangeNothing: each bad payload is refused with an error
// that says why, and the held state stays as it was.
func TestBadPayloadsChangeNothing(t *testing.T) {
	good := standings("1", 5, ranked(e(0, "a", 9000), e(0, "b", 9500))...)
	raw := func(s string) []byte { return []byte(s) }
	tooBig := make([]byte, MaxStandingsPayload+1)
	for _, tc := range []struct {
		name    string
		topic   string
		payload []byte
		err     string
	}{
		{"not json", mqtt.TrackStandings("1"), raw("{nope"), "decode payload"},
		{"no version", mqtt.TrackStandings("1"), raw(`{"seq":9,"entries":[]}`), "no \"v\""},
		{"unknown major version", mqtt.TrackStandings("1"), raw(`{"v":2,"seq":9,"entries":[]}`), "v=2"},
		{"oversized", mqtt.TrackStandings("1"), tooBig, "payload too large"},
		{"oversized race state", mqtt.TrackRace("1"), make([]byte, MaxRacePayload+1), "payload too large"},
		{"oversized status", mqtt.TrackStatus("1"), make([]byte, MaxStatusPayload+1), "payload too large"},
		{"wrong type", mqtt.TrackStandings("1"), raw(`{"v":1,"seq":"nine"}`), "decode payload"},
		{"other track in payload", mqtt.TrackStandings("1"), raw(`{"v":1,"track":"2","seq":9,"entries":[]}`), "for track \"2\""},
		{"racer twice", mqtt.TrackStandings("1"), raw(`{"v":1,"seq":9,"entries":[{"rank":1,"racer_id":"a","result_ms":1},{"rank":2,"racer_id":"a","result_ms":2}]}`), "listed twice"},
		{"no racer id", mqtt.TrackStandings("1"), raw(`{"v":1,"seq":9,"entries":[{"rank":1,"result_ms":1}]}`), "no racer_id"},
		{"negative result", mqtt.TrackStandings("1"), raw(`{"v":1,"seq":9,"entries":[{"rank":1,"racer_id":"a","result_ms":-1}]}`), "negative"},
		{"unsorted", mqtt.TrackStandings("1"), raw(`{"v":1,"seq":9,"entries":[{"rank":1,"racer_id":"a","result_ms":5},{"rank":2,"racer_id":"b","result_ms":4}]}`), "better than the entry above"},
		{"rank zero", mqtt.TrackStandings("1"), raw(`{"v":1,"seq":9,"entries":[{"rank":0,"racer_id":"a","result_ms":5}]}`), "competition ranking"},
		{"rank skips ahead", mqtt.TrackStandings("1"), raw(`{"v":1,"seq":9,"entries":[{"rank":3,"racer_id":"a","result_ms":5}]}`), "competition ranking"},
		{"negative race clock", mqtt.TrackRace("1"), raw(`{"v":1,"seq":9,"race":{"id":"x","elapsed_ms":-5}}`), "negative"},
		{"lap events are not read", mqtt.TrackLaps("1"), raw(`{"v":1,"seq":9}`), "not status, standings or race"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInputs(nil)
			if _, err := in.Apply(standingsMsg(t, good, time.Now())); err != nil {
				t.Fatal(err)
			}
			before := string(in.Track("1").Raw[KindStandings])
			u, err := in.Apply(Message{Topic: tc.topic, Payload: tc.payload, At: time.Now()})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want one containing %q", err, tc.err)
			}
			if u.Changed {
				t.Fatal("a bad payload reported a change")
			}
			ts := in.Track("1")
			if ts.Standings.Seq != 5 || len(ts.Standings.Entries) != 2 || string(ts.Raw[KindStandings]) != before || ts.Race != nil {
				t.Fatalf("state changed by a bad payload: %+v", ts)
			}
		})
	}
}

func TestApplyTrackFilter(t *testing.T) {
	in := NewInputs([]string{"2", "1"})
	_, err := in.Apply(standingsMsg(t, standings("3", 1), time.Now()))
	if !errors.Is(err, ErrIgnored) {
		t.Fatalf("track 3 on a kiosk for tracks 2 and 1: err %v, want ErrIgnored", err)
	}
	for _, id := range []string{"1", "2"} {
		if _, err := in.Apply(standingsMsg(t, standings(id, 1), time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(in.Order(), ","); got != "2,1" {
		t.Fatalf("order %q, want the configured 2,1", got)
	}
	all := NewInputs(nil)
	for _, id := range []string{"10", "2", "b", "1", "a"} {
		if _, err := all.Apply(standingsMsg(t, standings(id, 1), time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(all.Order(), ","); got != "1,2,10,a,b" {
		t.Fatalf("order %q, want natural order 1,2,10,a,b", got)
	}
}

// TestStatusWill: a trackside's LWT (offline, seq 0) marks it offline
// although its seq is lower than the status held; a late LWT of an older
// connection does not override a newer boot's online status.
func TestStatusWill(t *testing.T) {
	st := func(online bool, boot string, seq uint64) *mqtt.Status {
		return &mqtt.Status{Header: mqtt.Header{Track: "1", Boot: boot, Seq: seq}, Online: online}
	}
	type step struct {
		s      *mqtt.Status
		online bool // held afterwards
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"will after online", []step{{st(true, "a-1", 1<<32|3), true}, {st(false, "a-1", 0), false}}},
		{"online again after the will", []step{{st(true, "a-1", 1<<32|3), true}, {st(false, "a-1", 0), false}, {st(true, "a-2", 2<<32|1), true}}},
		{"stale will of the previous boot", []step{{st(true, "a-2", 2<<32|1), true}, {st(false, "a-1", 0), true}}},
		{"will first", []step{{st(false, "a-1", 0), false}}},
		{"older online status after the will", []step{{st(true, "a-1", 1<<32|5), true}, {st(false, "a-1", 0), false}, {st(true, "a-1", 1<<32|4), false}}},
		{"clean shutdown status", []step{{st(true, "a-1", 1<<32|5), true}, {st(false, "a-1", 1<<32|6), false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInputs(nil)
			for i, s := range tc.steps {
				if _, err := in.Apply(msg(t, mqtt.TrackStatus("1"), s.s, time.Now())); err != nil {
					t.Fatal(err)
				}
				if got := in.Track("1").Status.Online; got != s.online {
					t.Fatalf("step %d: online %v, want %v", i, got, s.online)
				}
			}
		})
	}
}

// TestCachedRaceNeedsConfirmation: a race state without a receipt time
// (from the cache) is held but not live until the broker repeats it.
func TestCachedRaceNeedsConfirmation(t *testing.T) {
	in := NewInputs(nil)
	rs := &mqtt.RaceState{Header: mqtt.Header{Track: "1", Seq: 7}, Race: &mqtt.LiveRace{ID: "r", Name: "A", State: "running", Running: true, DurationMS: 60000}}
	m := msg(t, mqtt.TrackRace("1"), rs, time.Time{})
	if _, err := in.Apply(m); err != nil {
		t.Fatal(err)
	}
	if ts := in.Track("1"); ts.Race == nil || ts.RaceLive {
		t.Fatalf("cached race: %+v live %v, want held, not live", ts.Race, ts.RaceLive)
	}
	now := time.Now()
	m.At = now
	u, err := in.Apply(m)
	if err != nil || !u.Changed {
		t.Fatalf("confirmation: changed %v err %v", u.Changed, err)
	}
	if ts := in.Track("1"); !ts.RaceLive || !ts.RaceAt.Equal(now) {
		t.Fatalf("confirmed race: live %v at %v", ts.RaceLive, ts.RaceAt)
	}
	if u, _ := in.Apply(m); u.Changed {
		t.Fatal("a second repeat changed something")
	}
}
