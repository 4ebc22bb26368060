package display

import (
	"fmt"
	"image"
	"image/color"
)

// Canvas is a small immediate-mode drawing surface over an RGBA frame, for
// screens other than the board (the officials' console): filled and rounded
// rectangles, and text in the board's fonts with its shaping (accents,
// combining marks, ellipsis when too long). It shares the Renderer's
// painting code, so text on the console looks exactly like text on the
// board. Not safe for concurrent use.
type Canvas struct {
	frame    *image.RGBA
	fonts    fontSet
	faces    map[faceKey]*face
	sh       shaper
	ink      image.Uniform
	inkColor color.RGBA
}

// Align is the horizontal alignment of text in its box.
type Align uint8

const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// Font says the weight and pixel size of text.
type Font struct {
	Bold bool
	Px   int // font size in pixels (the em); capitals are about 0.7 of it
}

// Palette colours of the board, for screens that should look like it.
var (
	ColorBackground = colBgBottom
	ColorPanel      = colPanel
	ColorPanelHi    = colPanelHi
	ColorBadge      = colBadge
	ColorText       = colText
	ColorText2      = colText2
	ColorText3      = colText3
	ColorAccent     = colAccent
	ColorRacing     = colRacing
	ColorPaused     = colPaused
	ColorReady      = colReady
	ColorFinished   = colFinished
	ColorWarn       = colNotice
	ColorOnWarn     = colOnNotice
	ColorBad        = colDown
	ColorGood       = colUp
	ColorHighlight  = colHighlight
)

// NewCanvas returns a Canvas drawing into a new frame of width×height.
func NewCanvas(width, height int) (*Canvas, error) {
	if width < 1 || height < 1 || width > maxWidth || height > maxHeight {
		return nil, fmt.Errorf("canvas size %dx%d: want 1x1 to %dx%d", width, height, maxWidth, maxHeight)
	}
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	c := &Canvas{
		frame: image.NewRGBA(image.Rect(0, 0, width, height)),
		fonts: fonts,
		faces: make(map[faceKey]*face),
	}
	c.ink.C = &c.inkColor
	return c, nil
}

// Frame is the frame the Canvas draws into; it stays valid for the
// Canvas's lifetime.
func (c *Canvas) Frame() *image.RGBA { return c.frame }

// Bounds is the frame's rectangle.
func (c *Canvas) Bounds() image.Rectangle { return c.frame.Rect }

func (c *Canvas) face(f Font) *face {
	k := faceKey{bold: f.Bold, px: max(4, f.Px)}
	if fc, ok := c.faces[k]; ok {
		return fc
	}
	src := c.fonts.regular
	if f.Bold {
		src = c.fonts.bold
	}
	fc, err := newFace(src, k.px, DefaultFontChain())
	if err != nil {
		// Embedded fonts, already parsed: a face of a valid size cannot fail.
		panic(fmt.Sprintf("display: %v", err))
	}
	c.faces[k] = fc
	return fc
}

// Fill paints r with the opaque colour col.
func (c *Canvas) Fill(r image.Rectangle, col color.RGBA) { fillRect(c.frame, r, col) }

// Blend paints col over r with opacity a (0..255).
func (c *Canvas) Blend(r image.Rectangle, col color.RGBA, a uint8) { blendRect(c.frame, r, col, a) }

// RoundRect paints r with col and anti-aliased corners of the given radius.
func (c *Canvas) RoundRect(r image.Rectangle, radius int, col color.RGBA) {
	fillRoundRect(c.frame, r, radius, col)
}

// StrokeRoundRect outlines r with a line of width w in col, filling the
// inside with inside.
func (c *Canvas) StrokeRoundRect(r image.Rectangle, radius, w int, col, inside color.RGBA) {
	strokeRoundRect(c.frame, r, radius, w, col, inside)
}

// Circle paints an anti-aliased disc.
func (c *Canvas) Circle(cx, cy, radius int, col color.RGBA) {
	fillCircle(c.frame, float64(cx), float64(cy), float64(radius), col)
}

// Text draws s in box: vertically centred on its capitals, aligned as
// asked, ellipsized to the box's width, clipped to the box. It returns the
// width drawn.
func (c *Canvas) Text(box image.Rectangle, f Font, s string, align Align, col color.RGBA) int {
	fc := c.face(f)
	line, w := shapeFit(&c.sh, fc, s, box.Dx())
	x := box.Min.X
	switch align {
	case AlignRight:
		x += box.Dx() - w
	case AlignCenter:
		x += (box.Dx() - w) / 2
	}
	c.inkColor = col
	drawLine(c.frame, box, line, x, centreBaseline(fc, box.Min.Y, box.Max.Y), &c.ink)
	return w
}

// TextWidth is the width of s in f, in pixels.
func (c *Canvas) TextWidth(f Font, s string) int {
	_, w := shape(&c.sh, c.face(f), s)
	return w.Ceil()
}

// FitFont returns the largest size, at most f.Px, at which s fits in width
// pixels (down to 8 px).
func (c *Canvas) FitFont(f Font, s string, width int) Font {
	for f.Px > 8 && c.TextWidth(f, s) > width {
		f.Px = f.Px * 9 / 10
	}
	return f
}

// Button draws a rounded button filled with bg and its label centred in
// fg, at the largest size up to f that fits.
func (c *Canvas) Button(r image.Rectangle, label string, f Font, bg, fg color.RGBA) {
	radius := min(r.Dx(), r.Dy()) / 6
	c.RoundRect(r, radius, bg)
	pad := max(4, r.Dy()/6)
	inner := r.Inset(pad)
	if inner.Empty() {
		return
	}
	c.Text(inner, c.FitFont(f, label, inner.Dx()), label, AlignCenter, fg)
}
