package display

import (
	"bytes"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestNewRendererSizes(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		ok   bool
	}{
		{800, 480, true},
		{1280, 720, true},
		{1920, 1080, true},
		{3840, 2160, true},
		{1080, 1920, true}, // portrait screens work too
		{320, 200, true},
		{319, 480, false},
		{800, 0, false},
		{-800, 480, false},
		{7681, 4320, false},
	} {
		r, err := NewRenderer(tc.w, tc.h)
		if (err == nil) != tc.ok {
			t.Errorf("NewRenderer(%d, %d) error = %v, want ok %v", tc.w, tc.h, err, tc.ok)
		}
		if err == nil {
			r.Render(sampleBoard()) // every accepted size draws the full board
		}
	}
}

// fullRender draws b on a fresh Renderer: what every incremental frame must
// equal.
func fullRender(t *testing.T, w, h int, b Board) *image.RGBA {
	t.Helper()
	r, err := NewRenderer(w, h)
	if err != nil {
		t.Fatal(err)
	}
	r.Render(b)
	return r.Frame()
}

func cloneFrame(f *image.RGBA) *image.RGBA {
	c := *f
	c.Pix = slices.Clone(f.Pix)
	return &c
}

// checkDamage asserts that pixels outside damage did not change between
// before and after.
func checkDamage(t *testing.T, before, after *image.RGBA, damage []image.Rectangle) {
	t.Helper()
	b := after.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := after.PixOffset(x, y)
			if bytes.Equal(before.Pix[i:i+4], after.Pix[i:i+4]) {
				continue
			}
			p := image.Pt(x, y)
			in := false
			for _, d := range damage {
				if p.In(d) {
					in = true
					break
				}
			}
			if !in {
				t.Fatalf("pixel %v changed outside the damage %v", p, damage)
			}
		}
	}
}

func TestRenderDamage(t *testing.T) {
	const w, h = 1280, 720
	r, err := NewRenderer(w, h)
	if err != nil {
		t.Fatal(err)
	}
	b := sampleBoard()
	if d := r.Render(b); len(d) != 1 || d[0] != r.Frame().Rect {
		t.Fatalf("first frame damage %v, want the whole frame", d)
	}
	if d := r.Render(b); len(d) != 0 {
		t.Fatalf("unchanged board damage %v, want none", d)
	}
	lay := r.lay

	for _, tc := range []struct {
		name   string
		change func(b *Board)
		want   func() []image.Rectangle // nil: whole frame
		exact  bool                     // the damage must be exactly want
	}{
		{"one row's result", func(b *Board) { b.Rows[12].Result += ms(1) }, func() []image.Rectangle { return []image.Rectangle{lay.rows[12]} }, true},
		{"highlight fades", func(b *Board) { b.Rows[3].Highlight = 0.4 }, func() []image.Rectangle { return []image.Rectangle{lay.rows[3]} }, true},
		{"footer", func(b *Board) { b.Footer.Rank = 36 }, func() []image.Rectangle { return []image.Rectangle{lay.footer} }, true},
		{"footer removed", func(b *Board) { b.Footer = nil }, func() []image.Rectangle { return []image.Rectangle{lay.footer} }, true},
		{"clock", func(b *Board) { b.Clock = "14:06" }, func() []image.Rectangle { return []image.Rectangle{lay.header} }, true},
		{"notice cleared", func(b *Board) { b.Notices = nil }, func() []image.Rectangle { return []image.Rectangle{lay.header} }, true},
		{"ranking caption", func(b *Board) { b.Ranking = "BEST AVG OF 3" }, func() []image.Rectangle { return []image.Rectangle{lay.heads[0], lay.heads[1]} }, true},
		{"running clock only", func(b *Board) { b.Live[0].Lap += ms(100) }, func() []image.Rectangle { return []image.Rectangle{r.liveGeometry(0).clockBox} }, true},
		{"time left only", func(b *Board) { b.Live[1].Left -= time.Second }, func() []image.Rectangle { return []image.Rectangle{r.liveGeometry(1).leftBox} }, true},
		{"lap completed", func(b *Board) { b.Live[0].Laps++; b.Live[0].Lap = 0 }, func() []image.Rectangle { return []image.Rectangle{lay.live[0]} }, true},
		{"one row fewer", func(b *Board) { b.Rows = b.Rows[:19] }, func() []image.Rectangle { return []image.Rectangle{lay.rows[19]} }, true},
		{"single track: track column goes, all rows move", func(b *Board) {
			for i := range b.Rows {
				b.Rows[i].Track = "T1"
			}
			b.Footer = nil
		}, nil, false},
		{"live strip added", func(b *Board) { b.Live = append(b.Live, LiveStrip{Track: "TRACK 3"}) }, nil, true},
		{"board emptied", func(b *Board) { b.Rows = nil; b.Footer = nil }, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.Render(b) // the base board, already drawn: no damage
			before := cloneFrame(r.Frame())
			nb := sampleBoard()
			tc.change(&nb)
			d := slices.Clone(r.Render(nb))
			if tc.want == nil {
				if tc.exact && (len(d) != 1 || d[0] != r.Frame().Rect) {
					t.Errorf("damage %v, want the whole frame", d)
				}
			} else if want := tc.want(); tc.exact && !slices.Equal(d, want) {
				t.Errorf("damage %v, want %v", d, want)
			}
			checkDamage(t, before, r.Frame(), d)
			if !bytes.Equal(r.Frame().Pix, fullRender(t, w, h, nb).Pix) {
				t.Errorf("incremental frame differs from a full render of the same board")
			}
			r.Render(b) // back to the base board
			if !bytes.Equal(r.Frame().Pix, before.Pix) {
				t.Errorf("returning to the base board does not restore its frame")
			}
		})
	}
}

// TestRenderIncrementalMatchesFull applies random edits, as a live event
// produces them, and checks every incremental frame against a full render.
func TestRenderIncrementalMatchesFull(t *testing.T) {
	const w, h = 800, 480
	r, err := NewRenderer(w, h)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b := sampleBoard()
	r.Render(b)
	steps := 60
	if testing.Short() {
		steps = 15
	}
	for step := range steps {
		b = mutate(rng, b)
		before := cloneFrame(r.Frame())
		d := slices.Clone(r.Render(b))
		checkDamage(t, before, r.Frame(), d)
		if !bytes.Equal(r.Frame().Pix, fullRender(t, w, h, b).Pix) {
			t.Fatalf("step %d: incremental frame differs from a full render", step)
		}
	}
}

// mutate returns a copy of b with one random edit.
func mutate(rng *rand.Rand, b Board) Board {
	b.Rows = slices.Clone(b.Rows)
	b.Live = slices.Clone(b.Live)
	b.Notices = slices.Clone(b.Notices)
	if b.Footer != nil {
		f := *b.Footer
		b.Footer = &f
	}
	switch rng.IntN(11) {
	case 0:
		if len(b.Rows) > 0 {
			i := rng.IntN(len(b.Rows))
			b.Rows[i].Result += ms(int64(rng.IntN(500)))
			b.Rows[i].Highlight = rng.Float64()
			b.Rows[i].RankChange = rng.IntN(7) - 3
		}
	case 1:
		if len(b.Live) > 0 {
			b.Live[rng.IntN(len(b.Live))].Lap += 100 * time.Millisecond
		}
	case 2:
		if len(b.Live) > 0 {
			b.Live[rng.IntN(len(b.Live))].Left -= time.Second
		}
	case 3:
		b.Notices = append(b.Notices, "track 3 offline")[:rng.IntN(len(b.Notices)+2)]
	case 4:
		if len(b.Rows) > 0 {
			b.Rows = b.Rows[:rng.IntN(len(b.Rows))]
		} else {
			b.Rows = sampleBoard().Rows
		}
	case 5:
		if b.Footer == nil {
			b.Footer = sampleBoard().Footer
		} else {
			b.Footer = nil
		}
	case 6:
		b.Clock = []string{"", "14:07", "9:59"}[rng.IntN(3)]
	case 7:
		b.Live = b.Live[:rng.IntN(len(b.Live)+1)]
		if len(b.Live) == 0 {
			b.Live = sampleBoard().Live[:1]
		}
	case 8:
		if len(b.Live) > 0 {
			s := &b.Live[rng.IntN(len(b.Live))]
			s.State = []string{"RACING", "PAUSED", "READY", "FINISHED"}[rng.IntN(4)]
			s.Resets = rng.IntN(3)
		}
	case 9:
		if len(b.Live) > 0 {
			b.Live[rng.IntN(len(b.Live))].Next = []string{"", "Bob · Carol", "Zoë"}[rng.IntN(3)]
		}
	case 10:
		b.QR = []string{"", "http://pitwall.local:8080/", "https://example.org/cup"}[rng.IntN(3)]
	}
	return b
}

func TestRenderOddInput(t *testing.T) {
	r, err := NewRenderer(1280, 720)
	if err != nil {
		t.Fatal(err)
	}
	b := sampleBoard()
	for i := range 15 { // more rows than shown
		b.Rows = append(b.Rows, Row{Rank: 21 + i, Name: "Extra"})
	}
	b.Rows[0].Highlight = math.NaN()
	b.Rows[1].Highlight = 7
	b.Rows[2].Highlight = -1
	b.Rows[5].Name = ""
	b.Rows[6].Result = -time.Second
	b.Rows[7].RankChange = math.MaxInt32
	b.Title = string(bytes.Repeat([]byte("Very long title "), 40))
	b.Notices = []string{"a", "", "offline since 14:02", string(bytes.Repeat([]byte("x"), 500))}
	for range 10 { // more strips than fit side by side
		b.Live = append(b.Live, LiveStrip{Track: "TRACK 9", Racer: "李小龙", State: "RACING", Lap: -time.Second, Left: 99 * time.Hour})
	}
	r.Render(b)
	if d := r.Render(b); len(d) != 0 {
		t.Errorf("redrawing the same odd board damaged %v: NaN or out-of-range highlights must compare equal", d)
	}
}

func TestRenderDoesNotAllocatePerTick(t *testing.T) {
	r, err := NewRenderer(1920, 1080)
	if err != nil {
		t.Fatal(err)
	}
	b := sampleBoard()
	r.Render(b)
	allocs := testing.AllocsPerRun(50, func() {
		b.Live[0].Lap += 100 * time.Millisecond
		b.Rows[3].Highlight *= 0.9
		r.Render(b)
	})
	if allocs != 0 {
		t.Errorf("a clock tick with a fading row allocates %.1f times, want 0", allocs)
	}
}
