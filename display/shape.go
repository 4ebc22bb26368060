package display

import (
	"image"
	"image/draw"
	"unicode/utf8"

	"golang.org/x/image/math/fixed"
)

// text is what the shaper reads: names and captions arrive as strings,
// formatted times as bytes from a reused buffer; accepting both keeps the
// per-frame path free of conversions and their allocations.
type text interface{ ~string | ~[]byte }

// placedGlyph is a glyph positioned relative to the start of the line.
type placedGlyph struct {
	g    *glyph
	x, y int // origin, pixels from the pen start and baseline
	// cluster is set on the base glyph of a cluster; pen is the pen
	// position where that cluster starts (where an ellipsis may go).
	cluster bool
	pen     fixed.Int26_6
}

// shaper lays out one line at a time into reused buffers. Not safe for
// concurrent use; the Renderer owns one.
type shaper struct {
	line  []placedGlyph
	marks []rune
}

// decodeRune reads the rune at s[i]. For []byte the string conversion of
// at most utf8.UTFMax bytes stays on the stack.
func decodeRune[T text](s T, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
}

// shape lays out s in face f. The result is valid until the next call.
func shape[T text](sh *shaper, f *face, s T) ([]placedGlyph, fixed.Int26_6) {
	sh.line = sh.line[:0]
	var pen fixed.Int26_6
	for i := 0; i < len(s); {
		r, n := decodeRune(s, i)
		i += n
		if isInvisible(r) || isMark(r) { // a mark with no base is dropped
			continue
		}
		sh.marks = sh.marks[:0]
		for i < len(s) {
			m, n := decodeRune(s, i)
			if isMark(m) {
				sh.marks = append(sh.marks, m)
			} else if !isInvisible(m) {
				break
			}
			i += n
		}
		base, marks := resolveCluster(f, r, sh.marks)
		sh.marks = marks
		g := f.glyph(base)
		ox := pen.Round()
		sh.line = append(sh.line, placedGlyph{g: g, x: ox, cluster: true, pen: pen})
		if len(marks) > 0 {
			sh.placeMarks(f, g, ox, marks)
		}
		pen += g.advance
	}
	return sh.line, pen
}

// placeMarks positions the marks of a cluster around its base glyph g
// drawn at ox, stacking each further out than the one before.
func (sh *shaper) placeMarks(f *face, g *glyph, ox int, marks []rune) {
	top, bottom := g.rect.Min.Y, g.rect.Max.Y
	left, right := ox+g.rect.Min.X, ox+g.rect.Max.X
	if g.mask == nil { // a space: marks sit at x-height over its advance
		top, bottom = -f.xHeight, 0
		left, right = ox, ox+g.advance.Round()
	}
	gap := max(1, f.size/20)
	for _, m := range marks {
		mg, ok := markFor(m)
		if !ok || !f.has(mg.spacing) {
			continue // a mark we cannot draw is dropped; the letter remains
		}
		gm := f.glyph(mg.spacing)
		if gm.mask == nil {
			continue
		}
		x := (left+right)/2 - (gm.rect.Min.X+gm.rect.Max.X)/2
		if mg.right {
			x = right - gm.rect.Max.X
		}
		var dy int
		switch mg.place {
		case markAbove:
			dy = min(gm.rect.Max.Y, top-gap) - gm.rect.Max.Y
			top = gm.rect.Min.Y + dy
		case markBelow:
			dy = max(0, bottom) + gap - gm.rect.Min.Y
			bottom = gm.rect.Max.Y + dy
		case markAttached:
			bottom = max(bottom, gm.rect.Max.Y)
		}
		sh.line = append(sh.line, placedGlyph{g: gm, x: x, y: dy})
	}
}

// shapeFit lays out s and, if it is wider than maxW pixels, cuts it at a
// cluster boundary and ends it with "…". It returns the line and its width
// in pixels.
func shapeFit[T text](sh *shaper, f *face, s T, maxW int) ([]placedGlyph, int) {
	line, w := shape(sh, f, s)
	if w.Ceil() <= maxW {
		return line, w.Ceil()
	}
	ell := f.glyph('…')
	limit := fixed.I(maxW) - ell.advance
	cut := 0
	for k := range line {
		if !line[k].cluster {
			continue
		}
		end := w
		for j := k + 1; j < len(line); j++ {
			if line[j].cluster {
				end = line[j].pen
				break
			}
		}
		if end > limit {
			break
		}
		cut = k + 1
		for cut < len(line) && !line[cut].cluster {
			cut++
		}
	}
	// Do not leave a space before the ellipsis.
	for cut > 0 && line[cut-1].cluster && line[cut-1].g.mask == nil {
		cut--
	}
	pen := fixed.Int26_6(0)
	if cut < len(line) {
		pen = line[cut].pen
	}
	line = line[:cut]
	if ell.advance > fixed.I(maxW) {
		sh.line = line
		return line, pen.Ceil()
	}
	line = append(line, placedGlyph{g: ell, x: pen.Round(), cluster: true, pen: pen})
	sh.line = line
	return line, (pen + ell.advance).Ceil()
}

// drawLine draws a shaped line with its pen start at (x, baseline),
// clipped to clip.
func drawLine(dst *image.RGBA, clip image.Rectangle, line []placedGlyph, x, baseline int, col *image.Uniform) {
	for i := range line {
		p := &line[i]
		if p.g.mask == nil {
			continue
		}
		r := p.g.rect.Add(image.Pt(x+p.x, baseline+p.y))
		c := r.Intersect(clip)
		if c.Empty() {
			continue
		}
		draw.DrawMask(dst, c, col, image.Point{}, p.g.mask, c.Min.Sub(r.Min), draw.Over)
	}
}
