// Package display draws the public leaderboard that kiosks show on HDMI
// screens: a pure scene model (Board) filled by the kiosk, and a Renderer
// that paints it into an off-screen RGBA frame and reports which rectangles
// changed, so an output (Linux framebuffer, PNG file, HTTP preview) copies
// only those.
package display

import "time"

// MaxRows is how many ranked rows a board shows; the kiosk puts a
// highlighted racer ranked below them into Board.Footer.
const MaxRows = 20

// Board is one frame's content. The kiosk builds it from retained MQTT
// state; the Renderer never looks at anything else.
type Board struct {
	Title string // event title
	// Clock is the wall clock ("14:05"), or "" while it is not known (Pis
	// have no RTC): then no clock is drawn rather than a wrong one.
	Clock string
	// Ranking captions the result column: "BEST LAP", "BEST AVG OF 3",
	// "TOTAL 5 LAPS".
	Ranking string
	// ExtraCaption captions Row.Extra ("BEST LAP" when ranking by average).
	ExtraCaption string
	// Rows are the ranked results, best first; rows past MaxRows are not
	// drawn.
	Rows []Row
	// Footer is a highlighted racer's row when they rank below the rows
	// shown (nil: none).
	Footer *Row
	// Live has one "now racing" strip per track.
	Live []LiveStrip
	// Notices are warnings such as "offline since 14:02" or "track 2
	// offline"; they are drawn in the header, never over the results.
	Notices []string
	// Empty is the text of the empty state shown while Rows is empty;
	// "" shows DefaultEmpty.
	Empty string
	// QR is a URL drawn as a QR code in the bottom right corner, so that
	// spectators open the public pages by pointing a phone at the screen;
	// "" draws none. A URL too long for a QR code is not drawn.
	QR string
}

// DefaultEmpty is the empty-state text when Board.Empty is "".
const DefaultEmpty = "Waiting for the first results"

// Row is one ranked racer.
type Row struct {
	Rank   int
	Name   string
	Result time.Duration // by the board's ranking; 0 or less: no result
	Gap    time.Duration // to the leader; 0 for the leader
	Laps   int           // valid laps in the race the result comes from; 0: not shown
	Extra  string        // e.g. the best lap when ranking by average
	Track  string        // shown when the rows come from more than one track
	Tie    bool          // same result as the row above
	// Highlight marks a new or improved result: 1 when it arrives, fading
	// to 0 (the kiosk fades it over about 12 s).
	Highlight float64
	// RankChange is the places gained (+3) or lost (-2) with the result
	// being highlighted; 0 draws no arrow.
	RankChange int
}

// LiveStrip is the race in progress on one track.
type LiveStrip struct {
	Track  string
	Racer  string // "" when no racer is on track
	State  string // "RACING", "PAUSED", "READY", "FINISHED", ...
	Left   time.Duration
	Lap    time.Duration // running time of the lap in progress
	Best   time.Duration // best valid lap of this race; 0: none yet
	Laps   int           // laps completed
	Resets int           // on the lap in progress
	// Next names the racers queued next on this track ("Bob · Carol"),
	// drawn as "NEXT: …" under the strip; "" draws no line.
	Next string
}
