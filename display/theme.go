package display

import (
	"image/color"
	"strings"
)

// The palette: near-black background and panels, white primary text and
// saturated signal colours only where they mean something (medals, the
// highlighted result, rank changes, race state, warnings), so the board
// reads from the back of a hall and under stage lighting.
var (
	colBgTop    = rgb(0x0b, 0x10, 0x1a)
	colBgBottom = rgb(0x05, 0x07, 0x0c)
	colHeader   = rgb(0x10, 0x16, 0x24)
	colAccent   = rgb(0xff, 0x99, 0x00) // the event accent: header rule, title mark
	colRowA     = rgb(0x14, 0x1b, 0x29)
	colRowB     = rgb(0x10, 0x16, 0x22)
	colBadge    = rgb(0x22, 0x2c, 0x3f)
	colPanel    = rgb(0x12, 0x19, 0x28)
	colPanelHi  = rgb(0x1a, 0x23, 0x36)

	colText  = rgb(0xf8, 0xfa, 0xfc)
	colText2 = rgb(0xb4, 0xbe, 0xcd) // secondary values: gap, laps
	colText3 = rgb(0x6f, 0x7d, 0x93) // captions

	// A QR code is dark on light: phones read inverted codes poorly.
	colQRLight = rgb(0xff, 0xff, 0xff)
	colQRDark  = rgb(0x00, 0x00, 0x00)

	colGold      = rgb(0xff, 0xc8, 0x3d)
	colSilver    = rgb(0xcf, 0xd8, 0xe3)
	colBronze    = rgb(0xe0, 0x8e, 0x55)
	colOnMedal   = rgb(0x14, 0x10, 0x08)
	colHighlight = rgb(0x22, 0xd3, 0xee)
	colUp        = rgb(0x34, 0xd3, 0x99)
	colDown      = rgb(0xf8, 0x71, 0x71)
	colNotice    = rgb(0xf5, 0x9e, 0x0b)
	colOnNotice  = rgb(0x1c, 0x12, 0x00)

	colRacing   = rgb(0x22, 0xc5, 0x5e)
	colPaused   = rgb(0xf5, 0x9e, 0x0b)
	colReady    = rgb(0x38, 0xbd, 0xf8)
	colFinished = rgb(0x94, 0xa3, 0xb8)
)

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 0xff} }

// medal returns the medal colour of ranks 1–3.
func medal(rank int) (color.RGBA, bool) {
	switch rank {
	case 1:
		return colGold, true
	case 2:
		return colSilver, true
	case 3:
		return colBronze, true
	}
	return color.RGBA{}, false
}

// stateColor maps a live race state to its signal colour.
func stateColor(state string) color.RGBA {
	switch {
	case strings.EqualFold(state, "racing"), strings.EqualFold(state, "running"):
		return colRacing
	case strings.EqualFold(state, "paused"):
		return colPaused
	case strings.EqualFold(state, "ready"):
		return colReady
	}
	return colFinished
}
