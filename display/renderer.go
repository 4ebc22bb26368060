package display

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// MaxLiveStrips bounds the live strips drawn side by side; more would be
// too narrow to read, so strips past it are not drawn.
const MaxLiveStrips = 6

// Renderer paints Boards into an off-screen frame. Each Render compares the
// new Board with the previous one, redraws only the regions whose content
// changed (header, column headings, each row, the footer, each live strip)
// and returns those rectangles, so an output copies just them to the
// screen, once, with no partly drawn state ever visible.
//
// A Renderer is not safe for concurrent use; the kiosk's render loop owns
// it.
type Renderer struct {
	frame *image.RGBA
	fonts fontSet
	chain *FontChain // fallback fonts; nil: the placeholder box
	faces map[faceKey]*face
	lay   *layout
	sh    shaper

	// ink is the source for glyph drawing; its colour points at inkColor so
	// that changing colour needs no new interface value (no allocation).
	ink      image.Uniform
	inkColor color.RGBA
	buf      []byte // scratch for formatted numbers

	// qrURL is the URL qrBits encodes (the QR code is encoded once per
	// URL, not per frame); qrBits is nil when it cannot be encoded.
	qrURL  string
	qrBits [][]bool

	cols    rowColumns
	colsKey columnsKey
	prev    boardState
	drawn   bool
	damage  []image.Rectangle
}

// columnsKey is what the row columns depend on besides the frame size.
type columnsKey struct{ multiTrack, laps, extra bool }

// boardState is the Board last drawn, kept in reused storage so that
// comparing and saving it allocates nothing per frame.
type boardState struct {
	title, clock, ranking, extraCaption, empty, qr string
	notices                                        []string
	rows                                           [MaxRows]Row
	nrows                                          int
	footer                                         Row
	hasFooter                                      bool
	live                                           []LiveStrip
	rightHeads                                     bool
}

// NewRenderer returns a Renderer for frames of width×height pixels. Runes
// the embedded font lacks come from DefaultFontChain() unless WithFonts
// says otherwise.
func NewRenderer(width, height int, opts ...Option) (*Renderer, error) {
	if width < minWidth || height < minHeight || width > maxWidth || height > maxHeight {
		return nil, fmt.Errorf("display size %dx%d: want %dx%d to %dx%d", width, height, minWidth, minHeight, maxWidth, maxHeight)
	}
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	r := &Renderer{
		frame: image.NewRGBA(image.Rect(0, 0, width, height)),
		fonts: fonts,
		faces: make(map[faceKey]*face),
		buf:   make([]byte, 0, 64),
		chain: DefaultFontChain(),
	}
	for _, o := range opts {
		o(r)
	}
	r.ink.C = &r.inkColor
	r.lay = newLayout(width, height, bandKey{}, r.faceOf)
	return r, nil
}

// Frame is the back buffer the Renderer draws into. Outputs read it after
// Render; it stays valid for the Renderer's lifetime.
func (r *Renderer) Frame() *image.RGBA { return r.frame }

// Invalidate makes the next Render redraw the whole frame, e.g. after the
// console scribbled over the framebuffer.
func (r *Renderer) Invalidate() { r.drawn = false }

// faceOf returns the cached face of the given weight and pixel size.
func (r *Renderer) faceOf(bold bool, px int) *face {
	k := faceKey{bold: bold, px: max(4, px)}
	if f, ok := r.faces[k]; ok {
		return f
	}
	src := r.fonts.regular
	if bold {
		src = r.fonts.bold
	}
	f, err := newFace(src, k.px, r.chain)
	if err != nil {
		// The fonts are embedded and parsed already; a face of a valid
		// size cannot fail, so this is a programming error.
		panic(fmt.Sprintf("display: %v", err))
	}
	r.faces[k] = f
	return f
}

// Render draws b and returns the rectangles of the frame that changed. The
// returned slice is reused by the next call.
func (r *Renderer) Render(b Board) []image.Rectangle {
	r.damage = r.damage[:0]
	nrows := min(len(b.Rows), MaxRows)
	nlive := min(len(b.Live), MaxLiveStrips)
	key := columnsKeyOf(&b, nrows)
	rightHeads := nrows > MaxRows/2 || b.Footer != nil

	band := bandKeyOf(&b, nlive)
	full := !r.drawn || nlive != len(r.prev.live) || (nrows == 0) != (r.prev.nrows == 0) ||
		band != r.lay.band || b.QR != r.prev.qr
	if full {
		if band != r.lay.band {
			r.lay = newLayout(r.frame.Rect.Dx(), r.frame.Rect.Dy(), band, r.faceOf)
		}
		r.setColumns(key)
		fillBackground(r.frame, r.frame.Rect, r.lay.bg)
		r.drawHeader(&b)
		if nrows == 0 {
			r.drawEmpty(&b)
		} else {
			r.drawHeads(&b, rightHeads)
			for i := range MaxRows {
				r.drawRowSlot(i, &b, nrows)
			}
			r.drawFooter(b.Footer)
		}
		for i := range nlive {
			r.drawLive(i, &b.Live[i], liveAll)
		}
		r.drawQR(b.QR)
		r.damage = append(r.damage[:0], r.frame.Rect)
	} else {
		r.renderChanges(&b, nrows, nlive, key, rightHeads)
	}
	r.save(&b, nrows, nlive, rightHeads)
	r.drawn = true
	return r.damage
}

// renderChanges redraws the regions whose content differs from the last
// frame.
func (r *Renderer) renderChanges(b *Board, nrows, nlive int, key columnsKey, rightHeads bool) {
	p := &r.prev
	if b.Title != p.title || b.Clock != p.clock || !equalStrings(b.Notices, p.notices) {
		r.drawHeader(b)
		r.damage = append(r.damage, r.lay.header)
	}
	if nrows == 0 {
		if b.Empty != p.empty || b.Ranking != p.ranking {
			r.drawEmpty(b)
			r.damage = append(r.damage, r.lay.board)
		}
	} else {
		allRows := key != r.colsKey
		if allRows {
			r.setColumns(key)
		}
		if allRows || rightHeads != p.rightHeads || b.Ranking != p.ranking || b.ExtraCaption != p.extraCaption {
			r.drawHeads(b, rightHeads)
			r.damage = append(r.damage, r.lay.heads[0], r.lay.heads[1])
		}
		for i := range MaxRows {
			was, is := i < p.nrows, i < nrows
			if allRows || was != is || (is && sanitized(b.Rows[i]) != p.rows[i]) {
				r.drawRowSlot(i, b, nrows)
				r.damage = append(r.damage, r.lay.rows[i])
			}
		}
		if allRows || (b.Footer != nil) != p.hasFooter || (b.Footer != nil && sanitized(*b.Footer) != p.footer) {
			r.drawFooter(b.Footer)
			r.damage = append(r.damage, r.lay.footer)
		}
	}
	for i := range nlive {
		s, old := &b.Live[i], &p.live[i]
		if *s == *old {
			continue
		}
		part := liveAll
		if onlyClocksChanged(s, old) {
			part = 0
			if s.Lap != old.Lap {
				part |= liveLapClock
			}
			if s.Left != old.Left {
				part |= liveLeft
			}
		}
		r.drawLive(i, s, part)
	}
}

// onlyClocksChanged reports whether two strips differ only in their
// running clocks: then only the clocks are repainted, ten times a second.
func onlyClocksChanged(a, b *LiveStrip) bool {
	x, y := *a, *b
	x.Lap, x.Left, y.Lap, y.Left = 0, 0, 0, 0
	return x == y
}

func (r *Renderer) save(b *Board, nrows, nlive int, rightHeads bool) {
	p := &r.prev
	p.title, p.clock, p.ranking, p.extraCaption, p.empty, p.qr = b.Title, b.Clock, b.Ranking, b.ExtraCaption, b.Empty, b.QR
	p.notices = append(p.notices[:0], b.Notices...)
	for i := range nrows {
		p.rows[i] = sanitized(b.Rows[i])
	}
	p.nrows = nrows
	p.hasFooter = b.Footer != nil
	if b.Footer != nil {
		p.footer = sanitized(*b.Footer)
	}
	p.live = append(p.live[:0], b.Live[:nlive]...)
	p.rightHeads = rightHeads
}

func (r *Renderer) setColumns(key columnsKey) {
	r.colsKey = key
	r.cols = r.lay.columns(&r.sh, r.lay.rows[0].Dx(), key.multiTrack, key.laps, key.extra)
}

// columnsKeyOf says which optional columns the board's rows need: the
// track only when results come from more than one track.
func columnsKeyOf(b *Board, nrows int) columnsKey {
	var k columnsKey
	k.extra = b.ExtraCaption != ""
	first := ""
	visit := func(row *Row) {
		if row.Laps > 0 {
			k.laps = true
		}
		if row.Extra != "" {
			k.extra = true
		}
		if row.Track != "" {
			if first == "" {
				first = row.Track
			} else if row.Track != first {
				k.multiTrack = true
			}
		}
	}
	for i := range nrows {
		visit(&b.Rows[i])
	}
	if b.Footer != nil {
		visit(b.Footer)
	}
	return k
}

// sanitized clamps a row's highlight to 0..1 (NaN: 0) so comparisons with
// the previous frame are exact.
func sanitized(row Row) Row {
	h := row.Highlight
	if math.IsNaN(h) || h < 0 {
		h = 0
	} else if h > 1 {
		h = 1
	}
	row.Highlight = h
	return row
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fillBackground paints the background gradient over r.
func fillBackground(dst *image.RGBA, r image.Rectangle, bg []color.RGBA) {
	r = r.Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		fillRect(dst, image.Rect(r.Min.X, y, r.Max.X, y+1), bg[y])
	}
}

// inkOf returns the glyph source set to colour c.
func (r *Renderer) inkOf(c color.RGBA) *image.Uniform {
	r.inkColor = c
	return &r.ink
}

// drawText draws s with its pen start at (x, baseline), clipped to clip,
// and returns its width in pixels.
func drawText[T text](r *Renderer, clip image.Rectangle, f *face, s T, x, baseline int, c color.RGBA) int {
	line, w := shape(&r.sh, f, s)
	drawLine(r.frame, clip, line, x, baseline, r.inkOf(c))
	return w.Ceil()
}

// drawTextFit draws s ellipsized to maxW pixels, aligned left at x, right
// at x+maxW (alignRight) or centred in [x, x+maxW); it returns the width
// drawn.
func drawTextFit[T text](r *Renderer, clip image.Rectangle, f *face, s T, x, maxW, baseline int, align alignment, c color.RGBA) int {
	if maxW <= 0 {
		return 0
	}
	line, w := shapeFit(&r.sh, f, s, maxW)
	switch align {
	case alignRight:
		x += maxW - w
	case alignCenter:
		x += (maxW - w) / 2
	}
	drawLine(r.frame, clip, line, x, baseline, r.inkOf(c))
	return w
}

// textWidth is the width of s in f in pixels.
func textWidth[T text](r *Renderer, f *face, s T) int {
	_, w := shape(&r.sh, f, s)
	return w.Ceil()
}

type alignment uint8

const (
	alignLeft alignment = iota
	alignRight
	alignCenter
)

// centreBaseline is the baseline that centres f's capitals vertically in
// the band [y0, y1).
func centreBaseline(f *face, y0, y1 int) int {
	return y0 + (y1-y0+f.ascent)/2
}
