package display

import (
	"fmt"
	"image"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// glyph is a rasterized glyph owned by the cache: opentype faces reuse one
// mask buffer for every Glyph call, so the cache keeps its own copy.
type glyph struct {
	mask    *image.Alpha    // nil for glyphs without ink (space)
	rect    image.Rectangle // ink box relative to the origin on the baseline
	advance fixed.Int26_6
}

// face is one font at one pixel size with its glyph cache. The cache is
// per (face, rune): every size is its own face, and masks are rendered at
// an integer origin, so a cached mask is valid wherever it is drawn.
type face struct {
	font    *sfnt.Font
	face    font.Face
	buf     sfnt.Buffer
	size    int
	ascent  int // cap height in pixels: what centring text in a box uses
	xHeight int
	ascii   [128]*glyph
	other   map[rune]*glyph
	missing *glyph // placeholder box for runes no font has

	// chain supplies runes the font lacks; fallback holds its fonts'
	// faces at this size, made on first use.
	chain    *FontChain
	fallback map[*sfnt.Font]*face
}

// newFace returns f at px pixels; runes f lacks come from chain (nil: none).
func newFace(f *sfnt.Font, px int, chain *FontChain) (*face, error) {
	if px < 4 {
		px = 4
	}
	ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("font face at %d px: %w", px, err)
	}
	fc := &face{font: f, face: ff, size: px, other: make(map[rune]*glyph), chain: chain}
	var b sfnt.Buffer
	m, err := f.Metrics(&b, fixed.I(px), font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("font metrics at %d px: %w", px, err)
	}
	fc.ascent = m.CapHeight.Round()
	fc.xHeight = m.XHeight.Round()
	if fc.ascent <= 0 {
		fc.ascent = px * 7 / 10
	}
	fc.missing = placeholderGlyph(px, fc.ascent)
	return fc, nil
}

// has reports whether the face's own font has a glyph for r. Clusters are
// resolved against it alone, so a Latin name is never drawn in a mix of
// the embedded font and a fallback.
func (f *face) has(r rune) bool {
	i, err := f.font.GlyphIndex(&f.buf, r)
	return err == nil && i != 0
}

// canDraw reports whether r is drawn as a glyph rather than the box: the
// font or one of the fallback fonts has it.
func (f *face) canDraw(r rune) bool {
	return f.has(r) || f.glyph(r) != f.missing // the glyph cache remembers the fallback search
}

// fallbackFor returns the face of the first fallback font that has r, or
// nil. Fallback files are opened here, on the first rune that needs them.
func (f *face) fallbackFor(r rune) *face {
	if f.chain == nil {
		return nil
	}
	for _, file := range f.chain.files {
		for _, font := range file.load() {
			i, err := font.GlyphIndex(&f.buf, r)
			if err != nil || i == 0 {
				continue
			}
			fb := f.fallback[font]
			if fb == nil {
				fb, err = newFace(font, f.size, nil)
				if err != nil {
					continue // a font without usable metrics: try the next
				}
				if f.fallback == nil {
					f.fallback = make(map[*sfnt.Font]*face)
				}
				f.fallback[font] = fb
			}
			return fb
		}
	}
	return nil
}

// glyph returns the cached glyph for r, rasterizing it on first use; a rune
// the font lacks gets the placeholder box.
func (f *face) glyph(r rune) *glyph {
	if r >= 0 && r < 128 {
		if g := f.ascii[r]; g != nil {
			return g
		}
	} else if g, ok := f.other[r]; ok {
		return g
	}
	g := f.rasterize(r)
	if r >= 0 && r < 128 {
		f.ascii[r] = g
	} else {
		f.other[r] = g
	}
	return g
}

func (f *face) rasterize(r rune) *glyph {
	src := f
	if !f.has(r) {
		if src = f.fallbackFor(r); src == nil {
			return f.missing
		}
	}
	dr, mask, mp, adv, ok := src.face.Glyph(fixed.Point26_6{}, r)
	if !ok {
		return f.missing
	}
	g := &glyph{rect: dr, advance: adv}
	if dr.Empty() {
		return g
	}
	a := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
	draw.Draw(a, a.Rect, mask, mp, draw.Src)
	g.mask = a
	return g
}

// placeholderGlyph is the hollow box drawn for a rune no font has: the
// name stays visibly incomplete rather than silently shortened.
func placeholderGlyph(px, capHeight int) *glyph {
	w := int(math.Round(float64(px) * 0.55))
	h := capHeight
	stroke := max(1, px/14)
	side := max(1, px/16)
	a := image.NewAlpha(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if x < stroke || x >= w-stroke || y < stroke || y >= h-stroke {
				a.Pix[y*a.Stride+x] = 0xff
			}
		}
	}
	return &glyph{
		mask:    a,
		rect:    image.Rect(side, -h, side+w, 0),
		advance: fixed.I(w + 2*side),
	}
}
