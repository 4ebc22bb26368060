package web

import (
	"sort"
	"strings"
	"sync"
	"time"

	"pitwall/kiosk/model"
	"pitwall/mqtt"
)

// Source is where the pages read the kiosk's model: *kiosk.Kiosk
// implements it. Model returns the current snapshot and a channel closed
// when it is replaced.
type Source interface {
	Model() (*model.Snapshot, <-chan struct{})
}

// view is what the pages show at one generation of the model: the public
// model with an index by racer and the names folded for search.
type view struct {
	pub    *model.Snapshot
	byID   map[string]int // racer id → index in pub.Board.Entries
	folded []string       // Fold(name) of each entry
}

func newView(p *model.Snapshot) *view {
	v := &view{pub: p, byID: make(map[string]int, len(p.Board.Entries)), folded: make([]string, len(p.Board.Entries))}
	for i, e := range p.Board.Entries {
		v.byID[e.RacerID] = i
		v.folded[i] = Fold(e.Name)
	}
	return v
}

// search returns the entries whose folded name contains the folded query
// (every word of it, in any order), best ranked first.
func (v *view) search(q string, limit int) []mqtt.StandingsEntry {
	words := strings.Fields(Fold(q))
	if len(words) == 0 {
		return nil
	}
	var out []mqtt.StandingsEntry
	for i, name := range v.folded {
		ok := true
		for _, w := range words {
			if !strings.Contains(name, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, v.pub.Board.Entries[i])
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

// entry is a racer's merged entry.
func (v *view) entry(id string) (mqtt.StandingsEntry, bool) {
	i, ok := v.byID[id]
	if !ok {
		return mqtt.StandingsEntry{}, false
	}
	return v.pub.Board.Entries[i], true
}

// run is one race the web has seen on a track, as last seen.
type run struct {
	Track string
	Race  *mqtt.LiveRace
	Seen  time.Time
}

// maxRuns bounds the races remembered (about 3 KB each with 40 laps).
const maxRuns = 5000

// history remembers the races seen in the tracks' race states, so that a
// racer page can list the laps of the run their result comes from and the
// commentator view their previous runs. Race states carry only the race in
// progress: runs raced before this kiosk started are not known (the page
// then gives the lap count and best lap from the standings).
type history struct {
	mu      sync.Mutex
	byRace  map[string]*run
	byRacer map[string][]string // racer id → race ids, first seen first
	order   []string            // race ids, first seen first
	lastNo  uint64              // model.Run.No last taken
}

func newHistory() *history {
	return &history{byRace: map[string]*run{}, byRacer: map[string][]string{}}
}

// note records the races of p's tracks.
func (h *history) note(p *model.Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var seen []model.Run
	for _, s := range p.Seen {
		if s.No > h.lastNo {
			seen = append(seen, s)
			h.lastNo = s.No
		}
	}
	for _, t := range p.Tracks {
		if t.Race != nil {
			seen = append(seen, model.Run{Track: t.ID, Race: t.Race, At: t.RaceAt})
		}
	}
	for _, s := range seen {
		r := s.Race
		if r.ID == "" || r.State == "ready" {
			continue
		}
		if old, ok := h.byRace[r.ID]; ok {
			old.Race, old.Seen, old.Track = r, s.At, s.Track
			continue
		}
		h.byRace[r.ID] = &run{Track: s.Track, Race: r, Seen: s.At}
		h.byRacer[r.RacerID] = append(h.byRacer[r.RacerID], r.ID)
		h.order = append(h.order, r.ID)
	}
	for len(h.order) > maxRuns {
		id := h.order[0]
		h.order = h.order[1:]
		if old, ok := h.byRace[id]; ok {
			ids := h.byRacer[old.Race.RacerID]
			for i, x := range ids {
				if x == id {
					ids = append(ids[:i:i], ids[i+1:]...)
					break
				}
			}
			if len(ids) == 0 {
				delete(h.byRacer, old.Race.RacerID)
			} else {
				h.byRacer[old.Race.RacerID] = ids
			}
			delete(h.byRace, id)
		}
	}
}

// race is the race with this id, if seen.
func (h *history) race(id string) (run, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.byRace[id]
	if !ok {
		return run{}, false
	}
	return *r, true
}

// runs are a racer's races seen, latest first.
func (h *history) runs(racerID string) []run {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.byRacer[racerID]
	out := make([]run, 0, len(ids))
	for _, id := range ids {
		out = append(out, *h.byRace[id])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seen.After(out[j].Seen) })
	return out
}
