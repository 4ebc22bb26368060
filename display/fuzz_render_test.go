package display

import (
	"testing"
	"time"
)

// FuzzRender: any frame size the Renderer accepts and any board content
// render without panicking, and rendering the same board twice damages
// nothing the second time.
func FuzzRender(f *testing.F) {
	f.Add(800, 480, "Olúwasẹ̀un Adébáyọ̀", "TRACK 1", 20, 2, int64(9012), 0.5, 3)
	f.Add(320, 200, "李小龙 👩\u200d🚀", "", 20, 6, int64(-1), -3.0, -1000)
	f.Add(1080, 1920, "", "T1", 0, 1, int64(1<<40), 2.0, 1<<30)
	f.Fuzz(func(t *testing.T, w, h int, name, track string, nrows, nlive int, resultMS int64, highlight float64, change int) {
		if w > 1280 || h > 1280 { // keep iterations fast; large sizes are covered by the goldens
			return
		}
		r, err := NewRenderer(w, h)
		if err != nil {
			return
		}
		b := Board{Title: name, Clock: track, Ranking: name, ExtraCaption: track, Notices: []string{name, track}, Empty: name}
		for i := range min(max(nrows, 0), MaxRows+2) {
			b.Rows = append(b.Rows, Row{
				Rank: i + 1, Name: name, Result: time.Duration(resultMS) * time.Millisecond,
				Gap: time.Duration(i) * time.Second, Laps: i, Extra: name, Track: track + string(rune('0'+i%2)),
				Tie: i%3 == 0, Highlight: highlight, RankChange: change,
			})
		}
		if nrows%2 == 1 {
			b.Footer = &Row{Rank: 99, Name: name, Highlight: highlight, RankChange: -change}
		}
		for i := range min(max(nlive, 0), MaxLiveStrips+1) {
			b.Live = append(b.Live, LiveStrip{Track: track, Racer: name, State: []string{"RACING", "", name}[i%3],
				Left: time.Duration(resultMS) * time.Millisecond, Lap: time.Duration(i) * time.Second, Laps: i, Resets: change})
		}
		r.Render(b)
		if d := r.Render(b); len(d) != 0 {
			t.Fatalf("second render of the same board damaged %v", d)
		}
	})
}
