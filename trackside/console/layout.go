package console

import (
	"image"
	"image/color"

	"pitwall/display"
)

// layout maps the console's logical coordinates to pixels. Screens are
// designed on a grid at least 800×480 logical units (the official Pi
// display) and scaled by s = min(width/800, height/480): an HDMI 1920×1080
// monitor gets the same screens 2.25× larger, a little wider. Every touch
// target is at least 48 units, so at least 48 px at 800×480.
type layout struct {
	scale  float64
	lw, lh int // logical size
	rowH   int // logical height of a list row
}

func newLayout(w, h int) layout {
	s := min(float64(w)/800, float64(h)/480)
	return layout{scale: s, lw: int(float64(w) / s), lh: int(float64(h) / s), rowH: 56}
}

// s scales a logical length to pixels.
func (l layout) s(v int) int { return int(float64(v)*l.scale + 0.5) }

// r is the pixel rectangle of logical (x0, y0)-(x1, y1).
func (l layout) r(x0, y0, x1, y1 int) image.Rectangle {
	return image.Rect(l.s(x0), l.s(y0), l.s(x1), l.s(y1))
}

// Logical geometry shared by the screens.
const (
	headerH  = 62 // tabs and status
	barH     = 58 // message / undo bar at the bottom
	pad      = 6
	minTouch = 48
)

// Colours: the board's palette plus button fills chosen for contrast
// under hall lighting (light text on saturated dark fills, or dark text on
// bright ones, never grey on grey).
var (
	colBg       = display.ColorBackground
	colPanel    = display.ColorPanel
	colPanelHi  = display.ColorPanelHi
	colText     = display.ColorText
	colText2    = display.ColorText2
	colText3    = display.ColorText3
	colAccent   = display.ColorAccent
	colGood     = color.RGBA{0x16, 0xa3, 0x4a, 0xff}
	colWarnBtn  = color.RGBA{0xf5, 0x9e, 0x0b, 0xff}
	colBadBtn   = color.RGBA{0xdc, 0x26, 0x26, 0xff}
	colInfoBtn  = color.RGBA{0x25, 0x63, 0xeb, 0xff}
	colNeutral  = color.RGBA{0x33, 0x41, 0x55, 0xff}
	colDisabled = color.RGBA{0x1e, 0x29, 0x3b, 0xff}
	colDark     = color.RGBA{0x0b, 0x0f, 0x19, 0xff}
	colOK       = display.ColorGood
	colWarn     = display.ColorWarn
	colBad      = display.ColorBad
)

// Font sizes in logical px.
const (
	fSmall = 17
	fBody  = 22
	fBig   = 30
	fClock = 92
)
