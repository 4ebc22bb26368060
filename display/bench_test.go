package display

import (
	"testing"
	"time"
)

func benchRenderer(b *testing.B, w, h int) (*Renderer, Board) {
	b.Helper()
	r, err := NewRenderer(w, h)
	if err != nil {
		b.Fatal(err)
	}
	board := sampleBoard()
	r.Render(board) // glyph caches warm, as after the kiosk's first frame
	return r, board
}

// BenchmarkRender1080p is a full 1080p frame: the first frame, a layout
// change or Invalidate.
func BenchmarkRender1080p(b *testing.B) {
	r, board := benchRenderer(b, 1920, 1080)
	b.ReportAllocs()
	for b.Loop() {
		r.Invalidate()
		r.Render(board)
	}
}

// BenchmarkRowUpdate1080p is a new result in one row: that row is redrawn.
func BenchmarkRowUpdate1080p(b *testing.B) {
	r, board := benchRenderer(b, 1920, 1080)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		board.Rows[7].Result = ms(9504 + int64(i%2))
		if d := r.Render(board); len(d) != 1 {
			b.Fatalf("damage %v, want one row", d)
		}
	}
}

// BenchmarkLiveStripTick is the 10 Hz tick: only a running clock changes.
func BenchmarkLiveStripTick(b *testing.B) {
	r, board := benchRenderer(b, 1920, 1080)
	b.ReportAllocs()
	for b.Loop() {
		board.Live[0].Lap += 100 * time.Millisecond
		if d := r.Render(board); len(d) != 1 {
			b.Fatalf("damage %v, want the clock", d)
		}
	}
}

func BenchmarkRender4K(b *testing.B) {
	r, board := benchRenderer(b, 3840, 2160)
	b.ReportAllocs()
	for b.Loop() {
		r.Invalidate()
		r.Render(board)
	}
}
