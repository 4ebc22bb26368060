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
	line     []placedGlyph
	marks    []rune
	clusters []shapedCluster // the line's clusters in logical order
	clMarks  []rune          // their marks, cluster after cluster
	order    []int           // clusters in visual order
}

// shapedCluster is a base glyph and its marks, before placing.
type shapedCluster struct {
	base     rune
	g        *glyph
	marksEnd int // clMarks[previous marksEnd:marksEnd] are its marks
	class    bidiClass
	skip     bool // an alef merged into the lam-alef ligature before it
}

// decodeRune reads the rune at s[i]. For []byte the string conversion of
// at most utf8.UTFMax bytes stays on the stack.
func decodeRune[T text](s T, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
}

// cluster splits s into clusters resolved against f, shapes Arabic
// letters and returns the total advance. The clusters stay in logical
// order in sh.clusters.
func cluster[T text](sh *shaper, f *face, s T) fixed.Int26_6 {
	sh.clusters, sh.clMarks = sh.clusters[:0], sh.clMarks[:0]
	arabic := false
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
		sh.clMarks = append(sh.clMarks, marks...)
		c := shapedCluster{base: base, marksEnd: len(sh.clMarks), class: bidiClassOf(base)}
		if c.class == bidiRTL && base < 0x0800 {
			arabic = true
		}
		sh.clusters = append(sh.clusters, c)
	}
	if arabic {
		sh.joinArabic(f)
	}
	var w fixed.Int26_6
	for k := range sh.clusters {
		c := &sh.clusters[k]
		if !c.skip {
			c.g = f.glyph(c.base)
			w += c.g.advance
		}
	}
	return w
}

// joinArabic replaces Arabic letters by their contextual forms, where the
// font chain has them.
func (sh *shaper) joinArabic(f *face) {
	cl := sh.clusters
	// prevJoin is the joining of the letter before k as written: its
	// base may already be replaced by a form.
	prevJoin := joinNone
	for k := range cl {
		a, ok := arabicFormOf(cl[k].base)
		prev := prevJoin == joinDual || prevJoin == joinCause
		prevJoin = a.join // joinNone when !ok
		if !ok || a.isolated == 0 {
			continue
		}
		if cl[k].base == 0x0644 && k+1 < len(cl) { // lam-alef
			if lig := lamAlef(cl[k+1].base); lig != 0 {
				if prev {
					lig++
				}
				if f.canDraw(lig) {
					cl[k].base = lig
					cl[k+1].skip = true
					prevJoin = joinRight // the ligature ends in an alef
					continue
				}
			}
		}
		next := false
		if a.join == joinDual && k+1 < len(cl) {
			j := joiningOf(cl[k+1].base)
			next = j == joinDual || j == joinRight || j == joinCause
		}
		form := formIsolated
		switch {
		case prev && next:
			form = formMedial
		case prev:
			form = formFinal
		case next:
			form = formInitial
		}
		if a.join == joinNone { // hamza has the isolated form only
			form = formIsolated
		}
		if r := a.isolated + rune(form); f.canDraw(r) {
			cl[k].base = r
		}
	}
}

// place lays out the first n clusters, then ell if not nil, in visual
// order: runs of right-to-left clusters reversed.
func (sh *shaper) place(f *face, n int, ell *glyph) ([]placedGlyph, fixed.Int26_6) {
	sh.line = sh.line[:0]
	sh.order = sh.order[:0]
	rtl := false
	for k := range n {
		if !sh.clusters[k].skip {
			sh.order = append(sh.order, k)
			rtl = rtl || sh.clusters[k].class == bidiRTL
		}
	}
	if rtl {
		sh.reorder(f)
	}
	if ell != nil {
		sh.order = append(sh.order, -1)
	}
	var pen fixed.Int26_6
	for _, k := range sh.order {
		g := ell
		var marks []rune
		if k >= 0 {
			c := &sh.clusters[k]
			g = c.g
			from := 0
			if k > 0 {
				from = sh.clusters[k-1].marksEnd
			}
			marks = sh.clMarks[from:c.marksEnd]
		}
		ox := pen.Round()
		sh.line = append(sh.line, placedGlyph{g: g, x: ox, cluster: true, pen: pen})
		if len(marks) > 0 {
			sh.placeMarks(f, g, ox, marks)
		}
		pen += g.advance
	}
	return sh.line, pen
}

// reorder reverses each run of sh.order that starts and ends with a
// right-to-left cluster and holds no left-to-right letter (the board's
// lines are left-to-right paragraphs), keeps numbers inside such a run
// in reading order and mirrors its brackets.
func (sh *shaper) reorder(f *face) {
	o := sh.order
	class := func(i int) bidiClass { return sh.clusters[o[i]].class }
	for i := 0; i < len(o); {
		if class(i) != bidiRTL {
			i++
			continue
		}
		last := i
		for j := i + 1; j < len(o) && class(j) != bidiLTR; j++ {
			if class(j) == bidiRTL {
				last = j
			}
		}
		run := o[i : last+1]
		reverseInts(run)
		for a := 0; a < len(run); {
			b := a
			for b < len(run) && sh.clusters[run[b]].class == bidiNumber {
				b++
			}
			if b > a {
				reverseInts(run[a:b])
				a = b
				continue
			}
			c := &sh.clusters[run[a]]
			if m := mirrored(c.base); m != c.base {
				c.base = m
				c.g = f.glyph(m)
			}
			a++
		}
		i = last + 1
	}
}

func reverseInts(s []int) {
	for a, b := 0, len(s)-1; a < b; a, b = a+1, b-1 {
		s[a], s[b] = s[b], s[a]
	}
}

// shape lays out s in face f. The result is valid until the next call.
func shape[T text](sh *shaper, f *face, s T) ([]placedGlyph, fixed.Int26_6) {
	cluster(sh, f, s)
	return sh.place(f, len(sh.clusters), nil)
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
// cluster boundary (in reading order) and ends it with "…". It returns
// the line and its width in pixels.
func shapeFit[T text](sh *shaper, f *face, s T, maxW int) ([]placedGlyph, int) {
	w := cluster(sh, f, s)
	if w.Ceil() <= maxW {
		line, w := sh.place(f, len(sh.clusters), nil)
		return line, w.Ceil()
	}
	ell := f.glyph('…')
	limit := fixed.I(maxW) - ell.advance
	cut := 0
	var pen fixed.Int26_6
	for k := range sh.clusters {
		c := &sh.clusters[k]
		if c.skip {
			continue
		}
		if pen+c.g.advance > limit {
			break
		}
		pen += c.g.advance
		cut = k + 1
		for cut < len(sh.clusters) && sh.clusters[cut].skip {
			cut++
		}
	}
	// Do not leave a space before the ellipsis.
	for cut > 0 && (sh.clusters[cut-1].skip || sh.clusters[cut-1].g.mask == nil) {
		cut--
	}
	if ell.advance > fixed.I(maxW) {
		line, w := sh.place(f, cut, nil)
		return line, w.Ceil()
	}
	line, w := sh.place(f, cut, ell)
	return line, w.Ceil()
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
