package display

import (
	"image"
	"image/color"
	"math"
)

// The layout is designed at 1920×1080 and scaled: vertical measures by
// height/1080, horizontal ones by width/1920, and the ten result rows of
// each of the two columns take whatever height is left, so 5:3 panels
// (800×480) and 16:9 screens (720p, 1080p, 4K) all fill the screen. Font
// sizes follow from the resulting row and strip heights. Two columns of ten
// keep the rows tall enough to read across a hall; rank 11 continues at the
// top of the right column and the footer row sits under rank 20.

// layout is the geometry of one frame size and live strip count.
type layout struct {
	size   image.Point
	bg     []color.RGBA // background colour of each scanline
	margin int

	header image.Rectangle
	rule   int // height of the accent rule closing the header

	board  image.Rectangle // headings, rows and footer; the empty state fills it
	heads  [2]image.Rectangle
	rows   [MaxRows]image.Rectangle
	footer image.Rectangle
	live   []image.Rectangle
	// next[i] is the "NEXT: …" line under live strip i (when band.next);
	// qr is the QR code's square (when band.qr).
	next []image.Rectangle
	qr   image.Rectangle
	band bandKey

	rowH, radius int

	title, clock, notice          *face
	head, rank, name, result, gap *face
	small, arrow                  *face
	liveTag, liveName, liveClock  *face
	liveInfo, empty, nextUp       *face
}

// bandKey is what the bottom band's geometry depends on: the live strips,
// whether any strip has a next-up line, whether a QR code is drawn.
type bandKey struct {
	live     int
	next, qr bool
}

// bandKeyOf is the band a board needs.
func bandKeyOf(b *Board, nlive int) bandKey {
	k := bandKey{live: nlive, qr: b.QR != ""}
	for i := range nlive {
		if b.Live[i].Next != "" {
			k.next = true
		}
	}
	return k
}

// Minimum and maximum frame sizes: below 320×200 nothing is readable;
// above 8K the frame would need over 130 MB.
const (
	minWidth, minHeight = 320, 200
	maxWidth, maxHeight = 7680, 4320
)

func newLayout(w, h int, band bandKey, faceOf func(bold bool, px int) *face) *layout {
	sx, sy := float64(w)/1920, float64(h)/1080
	px := func(v, scale float64) int { return int(math.Round(v * scale)) }
	l := &layout{size: image.Pt(w, h), band: band}
	liveCount := band.live
	l.margin = max(6, px(28, sx))
	gutter := max(6, px(28, sx))

	headerH := px(92, sy)
	l.rule = max(2, px(4, sy))
	l.header = image.Rect(0, 0, w, headerH)

	liveH, liveGap, nextH := 0, 0, 0
	if liveCount > 0 {
		liveH, liveGap = px(150, sy), px(14, sy)
		if band.next {
			nextH = px(40, sy)
		}
	}
	// The QR code takes the band's height, at least 190 px at 1080p
	// (4 px modules for a 30-character URL: readable from a few metres).
	qrSide := 0
	if band.qr {
		qrSide = max(liveH+nextH, px(190, sy))
		liveGap = px(14, sy)
	}
	bandH := max(liveH+nextH, qrSide)
	bottom := px(16, sy)
	top := headerH + px(10, sy)
	headsH := px(36, sy)
	rowsTop := top + headsH
	rowsBottom := h - bottom - bandH - liveGap
	pitch := (rowsBottom - rowsTop) / (MaxRows/2 + 1)
	rowGap := max(1, px(4, sy))
	l.rowH = pitch - rowGap
	l.radius = max(2, l.rowH/10)

	colW := (w - 2*l.margin - gutter) / 2
	for c := range 2 {
		x0 := l.margin + c*(colW+gutter)
		l.heads[c] = image.Rect(x0, top, x0+colW, rowsTop)
		for i := range MaxRows / 2 {
			y0 := rowsTop + i*pitch
			l.rows[c*MaxRows/2+i] = image.Rect(x0, y0, x0+colW, y0+l.rowH)
		}
	}
	y0 := rowsTop + MaxRows/2*pitch
	l.footer = image.Rect(l.heads[1].Min.X, y0, l.heads[1].Max.X, y0+l.rowH)
	l.board = image.Rect(l.margin, top, w-l.margin, y0+l.rowH)

	stripsW := w - 2*l.margin
	if band.qr {
		l.qr = image.Rect(w-l.margin-qrSide, h-bottom-qrSide, w-l.margin, h-bottom)
		stripsW -= qrSide + gutter
	}
	if liveCount > 0 {
		y := h - bottom - bandH
		sw := (stripsW - (liveCount-1)*gutter) / liveCount
		for i := range liveCount {
			x0 := l.margin + i*(sw+gutter)
			l.live = append(l.live, image.Rect(x0, y, x0+sw, y+liveH))
			if band.next {
				l.next = append(l.next, image.Rect(x0, y+liveH, x0+sw, y+liveH+nextH))
			}
		}
	}

	l.bg = make([]color.RGBA, h)
	for y := range h {
		l.bg[y] = mix(colBgTop, colBgBottom, float64(y)/float64(max(1, h-1)))
	}

	r := float64(l.rowH)
	hh := float64(headerH)
	l.title = faceOf(true, px(0.46, hh))
	l.clock = faceOf(true, px(0.44, hh))
	l.notice = faceOf(true, px(0.24, hh))
	l.head = faceOf(true, max(9, px(0.24, r)))
	l.rank = faceOf(true, px(0.50, r))
	l.name = faceOf(true, px(0.46, r))
	l.result = faceOf(true, px(0.50, r))
	l.gap = faceOf(false, px(0.36, r))
	l.small = faceOf(false, px(0.34, r))
	l.arrow = faceOf(true, max(8, px(0.28, r)))
	l.empty = faceOf(true, px(0.62, r))
	if liveCount > 0 {
		lh := float64(liveH)
		l.liveTag = faceOf(true, max(8, px(0.12, lh)))
		l.liveName = faceOf(true, px(0.25, lh))
		l.liveInfo = faceOf(false, max(8, px(0.14, lh)))
		if nextH > 0 {
			l.nextUp = faceOf(true, max(8, px(0.50, float64(nextH))))
		}
		// The running clock gets at most 40% of a strip's width, so that
		// narrow strips (many tracks) keep room for the racer's name.
		size := px(0.40, lh)
		l.liveClock = faceOf(true, size)
		sw := l.live[0].Dx()
		if cw := advance(l.liveClock, "00:00.0"); cw > sw*40/100 {
			l.liveClock = faceOf(true, max(8, size*sw*40/100/cw))
		}
	}
	return l
}

// advance is the width in pixels of an ASCII string without marks.
func advance(f *face, s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		w += f.glyph(rune(s[i])).advance.Round()
	}
	return w
}

// span is a horizontal extent relative to a row's left edge.
type span struct{ x0, x1 int }

func (s span) w() int { return s.x1 - s.x0 }

// rowColumns is where each field of a row goes for the current content:
// optional columns are dropped, least important first, when the name
// would otherwise get too narrow.
type rowColumns struct {
	badge, arrow, name, track, laps, extra, result, gap span
	showTrack, showLaps, showExtra                      bool
}

// columns lays out a row of width w. multiTrack, laps and extra say which
// optional columns the content has.
func (l *layout) columns(sh *shaper, w int, multiTrack, laps, extra bool) rowColumns {
	r := l.rowH
	pad := max(3, r*18/100)
	bar := max(2, r*8/100)
	var c rowColumns
	c.badge = span{bar + pad/2, bar + pad/2 + r*112/100}
	c.arrow = span{c.badge.x1, c.badge.x1 + r*80/100}

	_, resultW := shape(sh, l.result, "0:00.000")
	_, gapW := shape(sh, l.gap, "+0:00.000")
	_, extraW := shape(sh, l.small, "0:00.000")
	_, lapsW := shape(sh, l.small, "000")
	_, lapsHead := shape(sh, l.head, "LAPS")
	lapsW = max(lapsW, lapsHead)
	_, trackHead := shape(sh, l.head, "TRACK")
	trackW := max(r*90/100, trackHead.Ceil())
	minName := r * 5

	c.showTrack, c.showLaps, c.showExtra = multiTrack, laps, extra
	for {
		x := w - pad
		c.gap = span{x - gapW.Ceil(), x}
		x = c.gap.x0 - pad
		c.result = span{x - resultW.Ceil(), x}
		x = c.result.x0 - pad
		if c.showExtra {
			c.extra = span{x - extraW.Ceil(), x}
			x = c.extra.x0 - pad
		}
		if c.showLaps {
			c.laps = span{x - lapsW.Ceil(), x}
			x = c.laps.x0 - pad
		}
		if c.showTrack {
			c.track = span{x - trackW, x}
			x = c.track.x0 - pad
		}
		c.name = span{c.arrow.x1, x}
		if c.name.w() >= minName {
			return c
		}
		switch {
		case c.showExtra:
			c.showExtra = false
		case c.showLaps:
			c.showLaps = false
		case c.showTrack:
			c.showTrack = false
		default:
			return c
		}
	}
}
