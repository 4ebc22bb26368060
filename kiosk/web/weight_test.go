package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pitwall/kiosk/model"
	"pitwall/mqtt"
)

// staticSource is a fixed model.
type staticSource struct{ p *model.Snapshot }

func (s staticSource) Model() (*model.Snapshot, <-chan struct{}) { return s.p, make(chan struct{}) }

// bigModel is a busy event: n racers with long accented names, two tracks
// racing with long queues.
func bigModel(n int) *model.Snapshot {
	p := &model.Snapshot{Gen: 1, Title: "AWS DeepRacer League · Summit Stage", Changed: time.Unix(1700000000, 0)}
	p.Board.Ranking = "best-lap"
	for i := range n {
		p.Board.Entries = append(p.Board.Entries, mqtt.StandingsEntry{Rank: i + 1, RacerID: fmt.Sprintf("racer-%05d", i),
			Name: fmt.Sprintf("Maximilian Ångström-Hohenzollern %d", i), ResultMS: int64(8000 + 13*i), Laps: 12, BestMS: int64(8000 + 13*i),
			RaceID: fmt.Sprintf("1-%d", i), Track: []string{"1", "2"}[i%2]})
	}
	for _, id := range []string{"1", "2"} {
		r := &mqtt.LiveRace{ID: id + "-x", RacerID: "racer-00001", Name: "Maximilian Ångström-Hohenzollern 1", State: "running", Running: true,
			DurationMS: 600000, ElapsedMS: 300000}
		for l := range 60 {
			r.Laps = append(r.Laps, mqtt.LapInfo{No: l + 1, TimeMS: 9000, Valid: true, Resets: l % 3})
		}
		var q []string
		for i := range 30 {
			q = append(q, fmt.Sprintf("Queued Racer With A Long Name %d", i))
		}
		p.Tracks = append(p.Tracks, model.Track{ID: id, Race: r, RaceAt: time.Unix(1700000000, 0), Queue: q})
	}
	return p
}

// TestPageWeight: every page stays under 50 KB uncompressed at a busy
// event (10,000 racers, long names, 60-lap runs, long queues).
func TestPageWeight(t *testing.T) {
	s := New(staticSource{bigModel(10000)}, Options{PublicURL: "http://10.42.0.20:8081/"})
	for _, path := range []string{"/", "/?page=50", "/?q=maximilian", "/?q=angstrom+1", "/racer/racer-00001", "/overlay", "/commentary"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d", path, rec.Code)
			continue
		}
		n := rec.Body.Len()
		if n > 50<<10 {
			t.Errorf("%s: %d bytes, over 50 KB", path, n)
		}
		t.Logf("%s: %.1f KB", path, float64(n)/1024)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/?q=ANGSTROM+9999", nil))
	if !strings.Contains(rec.Body.String(), "/racer/racer-09999") {
		t.Error("search by the plain spelling of an accented name found nothing")
	}
}
