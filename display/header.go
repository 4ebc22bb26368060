package display

import "image"

// drawHeader paints the title bar: event title on the left, then the
// notices as amber pills and the wall clock on the right. Notices live here
// so that a warning never covers a result.
func (r *Renderer) drawHeader(b *Board) {
	l := r.lay
	h := l.header
	band := image.Rect(h.Min.X, h.Min.Y, h.Max.X, h.Max.Y-l.rule)
	for y := band.Min.Y; y < band.Max.Y; y++ {
		t := float64(y-band.Min.Y) / float64(max(1, band.Dy()-1))
		fillRect(r.frame, image.Rect(band.Min.X, y, band.Max.X, y+1), mix(colHeader, l.bg[y], t*0.6))
	}
	rule := image.Rect(h.Min.X, band.Max.Y, h.Max.X, h.Max.Y)
	fillBackground(r.frame, rule, l.bg)
	blendHGradient(r.frame, rule, rule, colAccent, 255, 24)

	x := l.margin
	right := h.Max.X - l.margin

	// The mark: a small chequered flag in the accent colour.
	sq := max(2, l.title.ascent/2)
	top := band.Min.Y + (band.Dy()-2*sq)/2
	for i := range 4 {
		c := colAccent
		if i == 1 || i == 2 {
			c = colText
		}
		fillRect(r.frame, image.Rect(x+(i%2)*sq, top+(i/2)*sq, x+(i%2+1)*sq, top+(i/2+1)*sq), c)
	}
	x += 2*sq + sq

	if b.Clock != "" {
		cb := centreBaseline(l.clock, band.Min.Y, band.Max.Y)
		cw := textWidth(r, l.clock, b.Clock)
		drawText(r, band, l.clock, b.Clock, right-cw, cb, colText)
		right -= cw + l.clock.size
	}
	if len(b.Notices) > 0 {
		right = r.drawNotices(b.Notices, band, x+band.Dx()/4, right) - l.title.size/2
	}
	tb := centreBaseline(l.title, band.Min.Y, band.Max.Y)
	drawTextFit(r, band, l.title, b.Title, x, right-x, tb, alignLeft, colText)
}

// drawNotices draws the notices as pills ending at right, using no more
// room than from left; it returns where the first pill starts.
func (r *Renderer) drawNotices(notices []string, band image.Rectangle, left, right int) int {
	f := r.lay.notice
	padX := f.size * 6 / 10
	icon := f.ascent * 13 / 10
	gap := f.size / 2
	chrome := 2*padX + icon + padX/2 // everything in a pill but its text
	total := 0
	for _, n := range notices {
		total += chrome + textWidth(r, f, n) + gap
	}
	total -= gap
	maxText := 1 << 30
	if total > right-left {
		maxText = (right-left-gap*(len(notices)-1))/len(notices) - chrome
	}
	if maxText < f.size {
		return right // no room worth using: the title keeps the bar
	}
	x := right - min(total, right-left)
	start := x
	ph := f.ascent + f.size
	py := band.Min.Y + (band.Dy()-ph)/2
	for _, n := range notices {
		tw := min(textWidth(r, f, n), maxText)
		pill := image.Rect(x, py, x+chrome+tw, py+ph)
		fillRoundRect(r.frame, pill, ph/2, colNotice)
		// A warning triangle with an exclamation mark.
		tri := image.Rect(x+padX, py+(ph-icon)/2, x+padX+icon, py+(ph+icon)/2)
		fillTriangle(r.frame, tri, true, colOnNotice)
		drawTextFit(r, pill, r.lay.notice, "!", tri.Min.X, tri.Dx(), tri.Max.Y-icon/10, alignCenter, colNotice)
		drawTextFit(r, pill, f, n, tri.Max.X+padX/2, tw, centreBaseline(f, py, py+ph), alignLeft, colOnNotice)
		x = pill.Max.X + gap
	}
	return start
}
