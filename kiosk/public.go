package kiosk

import (
	"sync"
	"time"

	"pitwall/mqtt"
)

// Public is the kiosk's merged model as its public outputs (the web pages,
// the stream overlay) read it: the combined board with every entry (the
// screen shows 20), and each track's race and queue. It holds only fields
// of the public payloads, which carry no contact details. A Public is never
// modified once published: readers share it without locks.
type Public struct {
	// Gen increases with every published change.
	Gen   uint64
	Title string
	// Board is every track merged (Merge), whatever the screen shows.
	Board Ranked
	// Tracks are the tracks in display order.
	Tracks []PublicTrack
	// Changed is the wall time of the last change.
	Changed time.Time
	// Seen are the last race states taken (up to RecentRaceStates),
	// oldest first, including those a later one replaced before this
	// Public was built (a race's final state, when the next racer was
	// loaded at once). A reader keeping runs takes those with a No above
	// the last it took, and misses none unless it fell that far behind.
	Seen []PublicRun
}

// RecentRaceStates is how many race states Public.Seen keeps.
const RecentRaceStates = 256

// PublicRun is a race state as taken from one track.
type PublicRun struct {
	No    uint64 // increases by one with each race state taken
	Track string
	Race  *mqtt.LiveRace
	At    time.Time
}

// PublicTrack is one track's race in progress and queue.
type PublicTrack struct {
	ID string
	// Race is the race on track (nil: none, or a cached race state the
	// broker has not confirmed yet). While Race.Running its clocks run on
	// from RaceAt.
	Race   *mqtt.LiveRace
	RaceAt time.Time
	// Queue are the display names of the racers queued next, in order.
	Queue []string
	// Offline: the trackside's last will says it vanished.
	Offline bool
}

// publicModel publishes Public snapshots from the kiosk's goroutine to any
// number of readers.
type publicModel struct {
	mu      sync.Mutex
	cur     *Public
	changed chan struct{} // closed when cur is replaced
}

func newPublicModel() *publicModel {
	return &publicModel{cur: &Public{}, changed: make(chan struct{})}
}

func (m *publicModel) get() (*Public, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur, m.changed
}

func (m *publicModel) set(p *Public) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p.Gen = m.cur.Gen + 1
	m.cur = p
	close(m.changed)
	m.changed = make(chan struct{})
}

// Public returns the current public model and a channel closed when it is
// replaced. It is safe to call from any goroutine.
func (k *Kiosk) Public() (*Public, <-chan struct{}) { return k.public.get() }

// publish builds the public model from the scene after a change; the
// merged board is built again only when standings changed.
func (k *Kiosk) publish(standingsChanged bool, now time.Time) {
	old, _ := k.public.get()
	p := &Public{Title: k.cfg.Title, Board: old.Board, Changed: now, Seen: append([]PublicRun(nil), k.pubSeen...)}
	if standingsChanged || old.Gen == 0 {
		p.Board = k.scene.rank(BoardCombined)
	}
	for _, id := range k.scene.in.Order() {
		ts := k.scene.in.Track(id)
		pt := PublicTrack{ID: id, Offline: trackOffline(ts)}
		if ts.Race != nil && ts.RaceLive {
			pt.Race, pt.RaceAt = ts.Race.Race, ts.RaceAt
			pt.Queue = ts.Race.Queue
		}
		p.Tracks = append(p.Tracks, pt)
	}
	k.public.set(p)
}
