package console

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	"pitwall/display"
)

// Draw paints the screen as of now and returns the frame. The buttons it
// draws are the ones the next taps hit.
func (c *Console) Draw(now time.Time) *image.RGBA {
	c.now = now
	c.buttons = c.buttons[:0]
	cv, l := c.canvas, c.l
	cv.Fill(cv.Bounds(), colBg)
	if c.screen == ScreenLock {
		c.drawLock()
	} else {
		c.drawHeader()
		body := image.Rect(pad, headerH+pad, l.lw-pad, l.lh-barH-pad)
		switch c.screen {
		case ScreenQueue:
			c.drawQueue(body)
		case ScreenLive:
			c.drawLive(body)
		case ScreenReview:
			c.drawReview(body)
		case ScreenHealth:
			c.drawHealth(body)
		}
		c.drawBar()
	}
	switch {
	case c.keyboard != nil:
		c.drawKeyboard()
	case c.editor != nil:
		c.drawEditor()
	}
	if c.dialog != nil {
		c.drawDialog()
	}
	return cv.Frame()
}

// Drawing helpers in logical coordinates.

func (c *Console) px(r image.Rectangle) image.Rectangle {
	return c.l.r(r.Min.X, r.Min.Y, r.Max.X, r.Max.Y)
}

func (c *Console) text(r image.Rectangle, size int, bold bool, s string, a display.Align, col color.RGBA) {
	c.canvas.Text(c.px(r), display.Font{Bold: bold, Px: c.l.s(size)}, s, a, col)
}

func (c *Console) panel(r image.Rectangle, col color.RGBA) {
	c.canvas.RoundRect(c.px(r), c.l.s(10), col)
}

// btn draws a button and registers it as a hit target. A nil act draws it
// disabled.
func (c *Console) btn(id string, r image.Rectangle, label string, size int, bg, fg color.RGBA, act func()) {
	if act == nil {
		bg, fg = colDisabled, colText3
	}
	c.canvas.Button(c.px(r), label, display.Font{Bold: true, Px: c.l.s(size)}, bg, fg)
	c.buttons = append(c.buttons, button{id: id, r: c.px(r), act: act})
}

// modal registers a hit target covering the screen that does nothing, so
// taps outside an overlay do not reach the screen under it.
func (c *Console) modal(opaque bool) {
	if opaque {
		c.canvas.Fill(c.canvas.Bounds(), colBg)
	} else {
		c.canvas.Blend(c.canvas.Bounds(), colDark, 210)
	}
	c.buttons = append(c.buttons, button{id: "modal", r: c.canvas.Bounds()})
}

func (c *Console) drawHeader() {
	l := c.l
	tabs := []struct {
		s     Screen
		label string
	}{{ScreenQueue, "Queue"}, {ScreenLive, "Race"}, {ScreenReview, "Review"}, {ScreenHealth, "Health"}}
	x := pad
	tw := 112
	for _, t := range tabs {
		bg, fg := colNeutral, colText
		if c.screen == t.s {
			bg, fg = colAccent, colDark
		}
		s := t.s
		c.btn("tab-"+s.String(), image.Rect(x, pad, x+tw, headerH-pad+2), t.label, fBody, bg, fg, func() { c.go2(s) })
		x += tw + pad
	}
	c.btn("lock", image.Rect(x, pad, x+96, headerH-pad+2), "Lock", fBody, colPanelHi, colText, func() { c.lock("locked") })
	x += 96 + pad
	// Status: sensor, storage and broker health, always visible.
	h := c.view.Health
	sensor, store, broker := colBad, colBad, colBad
	if c.haveView {
		sensor = colOK
		for _, s := range h.Sensors {
			if s.State != "ok" {
				sensor = colBad
			}
		}
		if len(h.Sensors) == 0 {
			sensor = colWarn
		}
		switch {
		case !h.StoreOK || h.Storage == "full":
			store = colBad
		case h.Storage == "low" || h.StorageDetail != "":
			store = colWarn
		default:
			store = colOK
		}
		switch h.Broker {
		case "connected":
			broker = colOK
			if h.OutboxDepth > 100 {
				broker = colWarn
			}
		case "connecting":
			broker = colWarn
		}
	}
	if !c.ts.Connected() {
		sensor, store, broker = colBad, colBad, colBad
	}
	who := c.official
	if who == "" {
		who = "—"
	}
	rest := l.lw - pad - x
	top := image.Rect(x, pad, x+rest, pad+24)
	c.text(top, fSmall, true, who, display.AlignRight, colText2)
	pw := (rest - 2*pad) / 3
	for i, p := range []struct {
		label string
		col   color.RGBA
	}{{"Sensor", sensor}, {"Store", store}, {"Broker", broker}} {
		r := image.Rect(x+i*(pw+pad), pad+26, x+i*(pw+pad)+pw, headerH-pad+2)
		c.canvas.RoundRect(c.px(r), c.l.s(6), p.col)
		c.text(r.Inset(2), fSmall, true, p.label, display.AlignCenter, colDark)
	}
}

// drawBar is the message line with the undo of the last action.
func (c *Console) drawBar() {
	l := c.l
	r := image.Rect(pad, l.lh-barH, l.lw-pad, l.lh-pad)
	c.panel(r, colPanel)
	msg, bad := c.statusLine()
	col := colText
	if bad {
		col = colWarn
	}
	textR := image.Rect(r.Min.X+12, r.Min.Y, r.Max.X-12, r.Max.Y)
	if c.undo != nil && c.now.Before(c.msgUntil) {
		u := image.Rect(r.Max.X-220, r.Min.Y, r.Max.X, r.Max.Y)
		c.btn("undo", u, "Undo: "+c.undo.label, fBody, colInfoBtn, colText, c.doUndo)
		textR.Max.X = u.Min.X - 8
	}
	c.text(textR, fBody, true, msg, display.AlignLeft, col)
}

// statusLine is the bar's text: the trackside's absence, else the last
// message while it is fresh; bad ones are drawn in the warning colour.
func (c *Console) statusLine() (string, bool) {
	if !c.ts.Connected() {
		return "Trackside not connected: reconnecting… (timing goes on)", true
	}
	if c.now.Before(c.msgUntil) {
		return c.msg, c.msgBad
	}
	return "", false
}

func (c *Console) drawDialog() {
	l := c.l
	c.modal(false)
	d := c.dialog
	w, h := min(600, l.lw-40), 260
	r := image.Rect((l.lw-w)/2, (l.lh-h)/2, (l.lw+w)/2, (l.lh+h)/2)
	c.panel(r, colPanelHi)
	c.text(image.Rect(r.Min.X+20, r.Min.Y+16, r.Max.X-20, r.Min.Y+64), fBig, true, d.text, display.AlignLeft, colText)
	c.text(image.Rect(r.Min.X+20, r.Min.Y+70, r.Max.X-20, r.Min.Y+110), fSmall, false, d.detail, display.AlignLeft, colText2)
	bw := (w - 60) / 2
	by := r.Max.Y - 96
	c.btn("dialog-cancel", image.Rect(r.Min.X+20, by, r.Min.X+20+bw, by+76), "Cancel", fBig, colNeutral, colText, func() { c.dialog = nil })
	c.btn("dialog-ok", image.Rect(r.Max.X-20-bw, by, r.Max.X-20, by+76), d.ok, fBig, colBadBtn, colText, func() {
		c.dialog = nil
		d.run()
	})
}

// fmtLap formats a lap time "12.345" or "1:02.345".
func fmtLap(ms int64) string {
	if ms < 0 {
		ms = 0
	}
	return string(display.AppendLapTime(nil, time.Duration(ms)*time.Millisecond))
}

func fmtClock(d time.Duration) string {
	return string(display.AppendRunningClock(nil, max(d, 0)))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func stateLabel(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
