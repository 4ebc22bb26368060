package kiosk

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pitwall/display"
	"pitwall/kiosk/model"
	"pitwall/mqtt"
)

// e is a standings entry for tables: racer id, name from the id, result.
func e(rank int, id string, resultMS int64) mqtt.StandingsEntry {
	return mqtt.StandingsEntry{Rank: rank, RacerID: id, Name: "Racer " + id, ResultMS: resultMS, Laps: 3, BestMS: resultMS}
}

// ranked ranks entries the way a trackside does (competition ranking on
// result_ms, input already sorted).
func ranked(entries ...mqtt.StandingsEntry) []mqtt.StandingsEntry {
	for i := range entries {
		entries[i].Rank, entries[i].Tie = i+1, false
		if i > 0 && entries[i].ResultMS == entries[i-1].ResultMS {
			entries[i].Rank, entries[i].Tie = entries[i-1].Rank, true
		}
	}
	return entries
}

func standings(track string, seq uint64, entries ...mqtt.StandingsEntry) *mqtt.Standings {
	return &mqtt.Standings{Header: mqtt.Header{Track: track, Boot: "b-1", Seq: seq}, Ranking: "best-lap", Entries: entries}
}

// msg encodes a payload as the message of its track topic.
func msg(t testing.TB, topic string, v any, at time.Time) model.Message {
	t.Helper()
	var b []byte
	var err error
	switch p := v.(type) {
	case *mqtt.Standings:
		b, err = mqtt.Encode(p)
	case *mqtt.RaceState:
		b, err = mqtt.Encode(p)
	case *mqtt.Status:
		b, err = mqtt.Encode(p)
	default:
		t.Fatalf("msg: unsupported payload %T", v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return model.Message{Topic: topic, Payload: b, Retained: true, At: at}
}

func standingsMsg(t testing.TB, s *mqtt.Standings, at time.Time) model.Message {
	return msg(t, mqtt.TrackStandings(s.Track), s, at)
}

var t0 = time.Date(2026, 3, 14, 14, 2, 0, 0, time.UTC)

func newTestScene(cfg model.SceneConfig) *model.Scene {
	cfg.Location = time.UTC
	return model.NewScene(cfg, t0)
}

func apply(t *testing.T, s *model.Scene, m model.Message) {
	t.Helper()
	if _, err := s.Apply(m); err != nil {
		t.Fatal(err)
	}
}

// boardRows renders rows as "rank name result [tie] [hl] [±n]".
func boardRows(rows []display.Row) []string {
	var out []string
	for _, r := range rows {
		s := fmt.Sprintf("%d %s %d", r.Rank, strings.TrimPrefix(r.Name, "Racer "), r.Result.Milliseconds())
		if r.Tie {
			s += " tie"
		}
		if r.Highlight > 0 {
			s += " hl"
		}
		if r.RankChange != 0 {
			s += fmt.Sprintf(" %+d", r.RankChange)
		}
		out = append(out, s)
	}
	return out
}
