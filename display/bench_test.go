package display

import (
	"runtime"
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

// BenchmarkRender1080pScripts is a full 1080p frame of names in Japanese,
// Chinese, Korean, Arabic and emoji, drawn with the fallback fonts
// (glyph caches warm).
func BenchmarkRender1080pScripts(b *testing.B) {
	r, err := NewRenderer(1920, 1080, WithFonts(testChain(b)))
	if err != nil {
		b.Fatal(err)
	}
	board := scriptBoard()
	r.Render(board)
	b.ReportAllocs()
	for b.Loop() {
		r.Invalidate()
		r.Render(board)
	}
}

// BenchmarkRowUpdate1080pScripts is a new result in a row with a CJK name.
func BenchmarkRowUpdate1080pScripts(b *testing.B) {
	r, err := NewRenderer(1920, 1080, WithFonts(testChain(b)))
	if err != nil {
		b.Fatal(err)
	}
	board := scriptBoard()
	r.Render(board)
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

// BenchmarkFirstFrameScripts is a new Renderer's first frame of the script
// board: every glyph found in the fallback chain and rasterized (the font
// files are opened once per process, before the timer). heap-KiB is the
// heap the Renderer holds afterwards (frame, faces, glyph caches).
func BenchmarkFirstFrameScripts(b *testing.B) {
	chain := testChain(b)
	board := scriptBoard()
	if r, err := NewRenderer(1920, 1080, WithFonts(chain)); err == nil {
		r.Render(board) // open the font files
	}
	var before, after runtime.MemStats
	var keep *Renderer
	for b.Loop() {
		r, err := NewRenderer(1920, 1080, WithFonts(chain))
		if err != nil {
			b.Fatal(err)
		}
		r.Render(board)
		keep = r
	}
	b.StopTimer()
	keep = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep, _ = NewRenderer(1920, 1080, WithFonts(chain))
	keep.Render(board)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1024, "heap-KiB")
	runtime.KeepAlive(keep)
}
