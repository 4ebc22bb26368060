package display

import "image"

// drawEmpty paints the board area before any result exists: a chequered
// flag and the waiting text, centred, so the screen looks deliberate rather
// than broken.
func (r *Renderer) drawEmpty(b *Board) {
	l := r.lay
	area := l.board
	fillBackground(r.frame, area, l.bg)
	panel := area.Inset(max(2, l.rowH/4))
	fillRoundRect(r.frame, panel, l.radius*2, colPanel)

	f := l.empty
	msg := b.Empty
	if msg == "" {
		msg = DefaultEmpty
	}
	// Flag: 4×3 chequers on a pole, above the text.
	cell := max(3, f.size*85/100)
	flagW, flagH := 4*cell, 3*cell
	pole := max(2, cell/4)
	poleH := flagH * 17 / 10
	gap := f.size
	sub := l.head
	blockH := poleH + gap + f.ascent
	if b.Ranking != "" {
		blockH += sub.size * 2
	}
	top := panel.Min.Y + (panel.Dy()-blockH)/2
	fx := panel.Min.X + (panel.Dx()-flagW)/2
	fillRect(r.frame, image.Rect(fx-pole, top, fx, top+poleH), colText3)
	for row := range 3 {
		for col := range 4 {
			c := colText
			if (row+col)%2 == 1 {
				c = colBadge
			}
			fillRect(r.frame, image.Rect(fx+col*cell, top+row*cell, fx+(col+1)*cell, top+(row+1)*cell), c)
		}
	}
	base := top + poleH + gap + f.ascent
	drawTextFit(r, panel, f, msg, panel.Min.X+f.size, panel.Dx()-2*f.size, base, alignCenter, colText2)
	if b.Ranking != "" {
		drawTextFit(r, panel, sub, b.Ranking, panel.Min.X+f.size, panel.Dx()-2*f.size, base+sub.size*2, alignCenter, colAccent)
	}
}
