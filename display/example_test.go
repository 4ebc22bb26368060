package display_test

import (
	"fmt"
	"time"

	"pitwall/display"
)

// A kiosk's render loop: fill a Board from the retained MQTT state, render
// it, and hand the damaged rectangles to an output (fb.Framebuffer,
// pngout.File or preview.Server).
func ExampleRenderer() {
	r, err := display.NewRenderer(1280, 720)
	if err != nil {
		panic(err)
	}
	b := display.Board{
		Title:   "DeepRacer Summit",
		Ranking: "BEST LAP",
		Rows: []display.Row{
			{Rank: 1, Name: "Zoë Ashworth", Result: 8412 * time.Millisecond, Laps: 5},
			{Rank: 2, Name: "Chloé Marchand", Result: 8655 * time.Millisecond, Gap: 243 * time.Millisecond, Laps: 4},
		},
		Live: []display.LiveStrip{{Track: "TRACK 1", Racer: "Mads Søndergaard", State: "RACING", Left: 3 * time.Minute}},
	}
	damaged := r.Render(b)
	fmt.Println("first frame:", damaged[0] == r.Frame().Rect)

	b.Live[0].Lap += 100 * time.Millisecond // the 10 Hz tick
	damaged = r.Render(b)
	fmt.Println("tick redraws", len(damaged), "small rectangle of", damaged[0].Dx(), "x", damaged[0].Dy())

	b.Rows[1].Result = 8401 * time.Millisecond // a new best moves Chloé up
	b.Rows[0], b.Rows[1] = b.Rows[1], b.Rows[0]
	b.Rows[0].Rank, b.Rows[1].Rank = 1, 2
	b.Rows[0].Gap, b.Rows[1].Gap = 0, 11*time.Millisecond
	b.Rows[0].Highlight, b.Rows[0].RankChange = 1, 1
	fmt.Println("new leader redraws", len(r.Render(b)), "rows")
	// Output:
	// first frame: true
	// tick redraws 1 small rectangle of 136 x 34
	// new leader redraws 2 rows
}
