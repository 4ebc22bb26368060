package display

import (
	"image"
	"strconv"
)

// liveParts selects what of a live strip to repaint: the running clocks
// change ten times a second and are repainted alone.
type liveParts uint8

const (
	liveLapClock liveParts = 1 << iota
	liveLeft
	liveAll liveParts = 0xff
)

// liveGeometry is where the parts of strip i go.
type liveGeometry struct {
	strip, panel        image.Rectangle
	pad                 int
	clockBase, infoBase int
	clockBox, leftBox   image.Rectangle
}

func (r *Renderer) liveGeometry(i int) liveGeometry {
	l := r.lay
	s := l.live[i]
	h := s.Dy()
	g := liveGeometry{strip: s, pad: h * 13 / 100}
	g.panel = s
	g.panel.Min.X += max(3, h/22)
	right := s.Max.X - g.pad
	g.clockBase = s.Min.Y + h*66/100
	cw := textWidth(r, l.liveClock, "00:00.0")
	g.clockBox = image.Rect(right-cw, g.clockBase-l.liveClock.ascent-2, right, g.clockBase+max(2, h/30))
	g.infoBase = s.Max.Y - g.pad
	lw := textWidth(r, l.liveInfo, "00:00 LEFT")
	g.leftBox = image.Rect(right-lw, g.infoBase-l.liveInfo.ascent-2, right, g.infoBase+l.liveInfo.size/3)
	// Narrow strips (many tracks on a small screen) keep the clock inside.
	g.clockBox = g.clockBox.Intersect(g.panel)
	g.leftBox = g.leftBox.Intersect(g.panel)
	return g
}

// drawLive paints (parts of) live strip i and records the damage.
func (r *Renderer) drawLive(i int, s *LiveStrip, parts liveParts) {
	l := r.lay
	g := r.liveGeometry(i)
	if parts == liveAll {
		rad := max(3, g.strip.Dy()/12)
		fillBackgroundCorners(r.frame, g.strip, rad, l.bg)
		state := stateColor(s.State)
		if s.Racer == "" {
			state = colBadge
		}
		fillRoundRect(r.frame, g.strip, rad, state)
		fillRoundRect(r.frame, g.panel, rad, colPanel)
		r.drawLiveInfo(&g, s)
		r.damage = append(r.damage, g.strip)
		if i < len(l.next) {
			r.drawNext(l.next[i], s.Next)
			r.damage = append(r.damage, l.next[i])
		}
	}
	if parts&liveLapClock != 0 {
		fillRect(r.frame, g.clockBox, colPanel)
		if s.Racer != "" {
			c := colText
			if stateColor(s.State) != colRacing {
				c = colText2
			}
			r.buf = AppendRunningClock(r.buf[:0], s.Lap)
			drawTextFit(r, g.clockBox, l.liveClock, r.buf, g.clockBox.Min.X, g.clockBox.Dx(), g.clockBase, alignRight, c)
		}
		if parts != liveAll {
			r.damage = append(r.damage, g.clockBox)
		}
	}
	if parts&liveLeft != 0 {
		fillRect(r.frame, g.leftBox, colPanel)
		if s.Racer != "" {
			r.buf = AppendCountdown(r.buf[:0], s.Left)
			r.buf = append(r.buf, " LEFT"...)
			drawTextFit(r, g.leftBox, l.liveInfo, r.buf, g.leftBox.Min.X, g.leftBox.Dx(), g.infoBase, alignRight, colText2)
		}
		if parts != liveAll {
			r.damage = append(r.damage, g.leftBox)
		}
	}
}

// drawLiveInfo paints the static part of a strip: track tag, state, racer,
// laps, best and resets, and the caption over the clock.
func (r *Renderer) drawLiveInfo(g *liveGeometry, s *LiveStrip) {
	l := r.lay
	clip := g.panel
	x := g.panel.Min.X + g.pad
	textRight := g.clockBox.Min.X - g.pad

	// Line 1: track tag and state.
	tf := l.liveTag
	ph := tf.ascent + tf.size*8/10
	py := g.strip.Min.Y + g.pad*8/10
	tagW := min(textWidth(r, tf, s.Track), max(0, g.strip.Dx()/2-2*g.pad))
	pill := image.Rect(x, py, x+tagW+tf.size, py+ph)
	if s.Track != "" {
		fillRoundRect(r.frame, pill, ph/4, colBadge)
		drawTextFit(r, pill, tf, s.Track, pill.Min.X+tf.size/2, tagW, centreBaseline(tf, py, py+ph), alignLeft, colText2)
	} else {
		pill.Max.X = x - tf.size
	}
	sx := pill.Max.X + tf.size*7/10
	base1 := centreBaseline(tf, py, py+ph)
	right := g.panel.Max.X - g.pad
	caption := s.Racer != ""
	if s.Racer != "" && s.State != "" {
		sc := stateColor(s.State)
		rad := float64(tf.ascent) * 0.42
		fillCircle(r.frame, float64(sx)+rad, float64(base1)-float64(tf.ascent)/2, rad, sc)
		sx += int(2*rad) + tf.size/2
		// The state matters more than the caption over the clock: on a
		// narrow strip the caption gives way.
		sw := textWidth(r, tf, s.State)
		if sx+sw+tf.size > right-textWidth(r, tf, "CURRENT LAP") {
			caption = false
		}
		drawTextFit(r, clip, tf, s.State, sx, max(0, right-sx), base1, alignLeft, sc)
	}
	if caption {
		drawTextFit(r, clip, tf, "CURRENT LAP", g.clockBox.Min.X, right-g.clockBox.Min.X, base1, alignRight, colText3)
	}

	// Line 2: the racer.
	nameBase := g.strip.Min.Y + g.strip.Dy()*60/100
	if s.Racer == "" {
		drawTextFit(r, clip, l.liveName, "No racer on track", x, right-x, nameBase, alignLeft, colText3)
		return
	}
	drawTextFit(r, clip, l.liveName, s.Racer, x, textRight-x, nameBase, alignLeft, colText)

	// Line 3: laps, best, resets.
	f := l.liveInfo
	sp := f.size
	lim := image.Rect(clip.Min.X, clip.Min.Y, min(clip.Max.X, g.leftBox.Min.X-sp), clip.Max.Y)
	x += drawText(r, lim, f, "LAPS ", x, g.infoBase, colText3)
	r.buf = strconv.AppendInt(r.buf[:0], int64(s.Laps), 10)
	x += drawText(r, lim, f, r.buf, x, g.infoBase, colText) + sp
	x += drawText(r, lim, f, "BEST ", x, g.infoBase, colText3)
	r.buf = r.buf[:0]
	if s.Best > 0 {
		r.buf = AppendLapTime(r.buf, s.Best)
	} else {
		r.buf = append(r.buf, "—"...)
	}
	x += drawText(r, lim, f, r.buf, x, g.infoBase, colText) + sp
	x += drawText(r, lim, f, "RESETS ", x, g.infoBase, colText3)
	r.buf = strconv.AppendInt(r.buf[:0], int64(s.Resets), 10)
	resetCol := colText
	if s.Resets > 0 {
		resetCol = colPaused
	}
	drawText(r, lim, f, r.buf, x, g.infoBase, resetCol)
}

// drawNext paints the "NEXT: …" line under a strip.
func (r *Renderer) drawNext(box image.Rectangle, next string) {
	l := r.lay
	fillBackground(r.frame, box, l.bg)
	if next == "" {
		return
	}
	f := l.nextUp
	base := centreBaseline(f, box.Min.Y, box.Max.Y)
	x := box.Min.X + max(3, box.Dy()/3)
	x += drawText(r, box, f, "NEXT  ", x, base, colText3)
	drawTextFit(r, box, f, next, x, box.Max.X-x, base, alignLeft, colText2)
}
