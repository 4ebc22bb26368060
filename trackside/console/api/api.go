// Package api is the officials' console's local protocol: what the console
// process and the trackside say to each other over a Unix socket.
//
// The console keeps no state of its own. It sends requests — the admin
// commands' names and arguments (race.start, lap.edit, ...) plus unlock and
// lock — and the trackside runs them against the same track API the signed
// admin commands use, auditing each with the official who unlocked the
// connection by PIN. The trackside pushes a View whenever what the screens
// show changes. One JSON object per line, both ways:
//
//	console → trackside  {"id":7,"cmd":"race.reset","args":{"delta":1}}
//	trackside → console  {"id":7,"ok":true}
//	trackside → console  {"view":{...}}
package api

import (
	"encoding/json"
	"fmt"
	"time"

	"pitwall/mqtt"
)

// Command names: the admin commands' (package mqtt) for everything an
// official does, plus the console's own unlock and lock.
const (
	CmdUnlock = "unlock" // UnlockArgs → Message.Official
	CmdLock   = "lock"
	CmdBind   = mqtt.CmdBind // BindArgs: the loaded race's transponder, before the start

	CmdRacerAdd        = mqtt.CmdRacerAdd // RacerArgs: id and name (contact details are for admins)
	CmdQueue           = mqtt.CmdQueue    // RacerIDArgs
	CmdUnqueue         = mqtt.CmdUnqueue  // RacerIDArgs
	CmdLoad            = mqtt.CmdLoad     // LoadArgs
	CmdStart           = mqtt.CmdStart
	CmdPause           = mqtt.CmdPause
	CmdResume          = mqtt.CmdResume
	CmdReset           = mqtt.CmdReset // ResetArgs
	CmdCapture         = mqtt.CmdCapture
	CmdUndoFalseFinish = mqtt.CmdUndoFalseFinish
	CmdDNF             = mqtt.CmdDNF
	CmdEnd             = mqtt.CmdEnd
	CmdSubmit          = mqtt.CmdSubmit
	CmdDiscard         = mqtt.CmdDiscard

	CmdLapEdit    = mqtt.CmdLapEdit    // LapArgs with time
	CmdLapValid   = mqtt.CmdLapValid   // LapArgs with valid
	CmdLapDelete  = mqtt.CmdLapDelete  // LapArgs
	CmdLapRestore = mqtt.CmdLapRestore // LapArgs
	CmdLapAdd     = mqtt.CmdLapAdd     // LapArgs: after = no, time
	CmdLapSplit   = mqtt.CmdLapSplit   // LapArgs: no, time = the first part
)

// The arguments are the admin commands' types, so one dispatcher could
// serve both.
type (
	RacerArgs   = mqtt.RacerArgs
	RacerIDArgs = mqtt.RacerIDArgs
	LoadArgs    = mqtt.LoadArgs
	ResetArgs   = mqtt.ResetArgs
	LapArgs     = mqtt.LapArgs
	// BindArgs binds the loaded race to a transponder (the car) before its
	// start; "" unbinds it, so the first transponder to cross is learned.
	BindArgs = mqtt.BindArgs
)

// UnlockArgs carries the PIN typed on the lock screen.
type UnlockArgs struct {
	PIN string `json:"pin"`
}

// Request is one line from the console.
type Request struct {
	ID   uint64          `json:"id"`
	Cmd  string          `json:"cmd"`
	Args json.RawMessage `json:"args,omitempty"`
}

// Message is one line from the trackside: a Reply (ID set) or a View push.
type Message struct {
	ID       uint64 `json:"id,omitempty"`
	OK       bool   `json:"ok,omitempty"`
	Error    string `json:"error,omitempty"`
	Official string `json:"official,omitempty"` // unlock: who the PIN belongs to
	// RetryAfterMS: unlock refused because of too many wrong PINs; try
	// again after this long.
	RetryAfterMS int64 `json:"retry_after_ms,omitempty"`
	View         *View `json:"view,omitempty"`
}

// MaxLine bounds one line either way: a view with a thousand racers fits.
const MaxLine = 4 << 20

// Racer is a registered racer as the queue screen shows them. Contact
// details never reach the console.
type Racer struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Runs         int    `json:"runs"` // races started
	Disqualified bool   `json:"disqualified,omitempty"`
}

// Race is the current race for the console: the public live race plus what
// the official needs to run and review it.
type Race struct {
	mqtt.LiveRace
	// Result is the race's result under the event's ranking, "" when it
	// has none yet (e.g. best-average with too few laps).
	ResultMS int64 `json:"result_ms,omitempty"`
	// MinLapMS is the short-lap threshold.
	MinLapMS int64 `json:"min_lap_ms"`
	// Edited lists the numbers of laps whose time an official corrected
	// (the public LapInfo does not say).
	Edited []int `json:"edited,omitempty"`
	// Transponder times the race ("" until bound); Binding says how it
	// was bound: "preset" (the racer's or an official's choice) or
	// "learned" (the first to cross after the load).
	Transponder string `json:"transponder,omitempty"`
	Binding     string `json:"binding,omitempty"`
}

// Health is what the health screen and the status strip show.
type Health struct {
	Version     string `json:"version"`
	Broker      string `json:"broker"` // connected | connecting | none
	OutboxDepth int    `json:"outbox_depth"`
	FreeBytes   uint64 `json:"free_bytes"` // free space on the data directory's file system
	// Storage is ok, low (make room soon) or full (races are not armed);
	// StorageDetail says why (the last failed write, ...).
	Storage       string              `json:"storage"`
	StorageDetail string              `json:"storage_detail,omitempty"`
	StoreOK       bool                `json:"store_ok"` // the writer runs (false: it stopped on a store error)
	ClockSynced   bool                `json:"clock_synced"`
	Recorded      uint64              `json:"recorded"` // crossings committed since the trackside started
	Foreign       uint64              `json:"foreign"`  // crossings of transponders the race is not bound to
	Rejected      uint64              `json:"rejected"` // malformed crossings the track refused
	Sensors       []mqtt.SensorStatus `json:"sensors"`
	Addrs         []string            `json:"addrs"`
}

// View is everything the console's screens show, pushed by the trackside
// whenever it changes. The console draws only from the last View.
type View struct {
	Track string `json:"track"`
	// AsOfMS is the trackside's wall-clock time the clocks below were
	// read at (Unix ms), for information; the console extrapolates a
	// running clock from when it received the view.
	AsOfMS    int64                 `json:"as_of_ms"`
	Ranking   string                `json:"ranking"`
	RankLaps  int                   `json:"rank_laps,omitempty"`
	MaxRuns   int                   `json:"max_runs"` // -1: unlimited
	Race      *Race                 `json:"race,omitempty"`
	Queue     []string              `json:"queue,omitempty"` // display names, next first
	Racers    []Racer               `json:"racers"`
	Standings []mqtt.StandingsEntry `json:"standings,omitempty"`
	Health    Health                `json:"health"`
}

// Duration formats d as a LapArgs time.
func Duration(d time.Duration) string { return d.String() }

// ParseLapTime parses a LapArgs time.
func ParseLapTime(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("lap time %q: %w", s, err)
	}
	return d, nil
}
