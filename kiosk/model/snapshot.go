package model

import (
	"time"

	"pitwall/mqtt"
)

// Snapshot is the kiosk's model at one change: what the screen, the web
// pages, their live updates, the stream overlay and the commentator view
// all show. The screen draws it with Screen (its clocks and fades move with
// the time passed in); the web reads the combined board with every entry
// (the screen shows 20) and each track's race and queue.
//
// A Snapshot is never modified once built: readers on any goroutine share
// it without locks. It holds only fields of the public payloads
// (standings, race state, status), which carry no contact details.
type Snapshot struct {
	// Gen increases with every change.
	Gen   uint64
	Title string
	// Board is every track merged (Merge), whatever the screen shows.
	Board Ranked
	// Tracks are the tracks in display order.
	Tracks []Track
	// Changed is the wall time of the change.
	Changed time.Time
	// Seen are the last race states taken (up to RecentRaceStates),
	// oldest first, including those a later one replaced before this
	// Snapshot was built (a race's final state, when the next racer was
	// loaded at once). A reader keeping runs takes those with a No above
	// the last it took, and misses none unless it fell that far behind.
	Seen []Run

	// What the screen needs besides: its configuration (shared, never
	// modified), the scene's start (board rotation) and each shown board
	// as built at the change, with its highlights.
	cfg    *SceneConfig
	start  time.Time
	boards map[string]*boardState
}

// RecentRaceStates is how many race states Snapshot.Seen keeps.
const RecentRaceStates = 256

// Run is a race state as taken from one track.
type Run struct {
	No    uint64 // increases by one with each race state taken
	Track string
	Race  *mqtt.LiveRace
	At    time.Time
}

// Track is one track's race in progress, queue and health.
type Track struct {
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
	// StorageFull: the trackside's disk is below its floor; it arms no
	// new race.
	StorageFull bool

	// live: a race state confirmed by the broker is held (the screen
	// shows the track's strip, even with no racer on track).
	live bool
	// ranking and rankLaps are the track's standings' (a track left out
	// of the combined board says how it ranks).
	ranking  string
	rankLaps int
}
