package display

import (
	"image"
	"strconv"
)

// drawHeads paints the column captions above each column of rows; the
// right column's only once ranks 11+ or a footer fill it.
func (r *Renderer) drawHeads(b *Board, right bool) {
	l := r.lay
	for c := range 2 {
		h := l.heads[c]
		fillBackground(r.frame, h, l.bg)
		if c == 1 && !right {
			continue
		}
		f := l.head
		base := h.Max.Y - max(2, (h.Dy()-f.ascent)/3)
		k := &r.cols
		x := h.Min.X
		drawTextFit(r, h, f, "POS", x+k.badge.x0, k.badge.w(), base, alignCenter, colText3)
		drawTextFit(r, h, f, "RACER", x+k.name.x0, k.name.w(), base, alignLeft, colText3)
		if k.showTrack {
			drawTextFit(r, h, f, "TRACK", x+k.track.x0, k.track.w(), base, alignCenter, colText3)
		}
		if k.showLaps {
			drawTextFit(r, h, f, "LAPS", x+k.laps.x0, k.laps.w(), base, alignRight, colText3)
		}
		if k.showExtra && b.ExtraCaption != "" {
			drawTextFit(r, h, f, b.ExtraCaption, x+k.extra.x0-f.size, k.extra.w()+f.size, base, alignRight, colText3)
		}
		// The ranking caption may be wider than the times below it; it may
		// use the extra column's room when that is hidden.
		capLeft := k.result.x0 - f.size
		if !k.showExtra {
			capLeft = k.result.x0 - 3*f.size
		}
		drawTextFit(r, h, f, b.Ranking, x+capLeft, k.result.x1-capLeft, base, alignRight, colAccent)
		drawTextFit(r, h, f, "GAP", x+k.gap.x0, k.gap.w(), base, alignRight, colText3)
	}
}

// drawRowSlot paints row slot i: the row if there is one, else background.
func (r *Renderer) drawRowSlot(i int, b *Board, nrows int) {
	slot := r.lay.rows[i]
	if i >= nrows {
		fillBackground(r.frame, slot, r.lay.bg)
		return
	}
	fillBackgroundCorners(r.frame, slot, r.lay.radius, r.lay.bg)
	row := sanitized(b.Rows[i])
	r.drawRow(slot, &row, i%2 == 0, false)
}

// drawFooter paints the footer slot under rank 20.
func (r *Renderer) drawFooter(row *Row) {
	slot := r.lay.footer
	if row == nil {
		fillBackground(r.frame, slot, r.lay.bg)
		return
	}
	fillBackgroundCorners(r.frame, slot, r.lay.radius, r.lay.bg)
	s := sanitized(*row)
	r.drawRow(slot, &s, true, true)
}

// drawRow paints one result row into rect.
func (r *Renderer) drawRow(rect image.Rectangle, row *Row, even, footer bool) {
	l := r.lay
	k := &r.cols
	clip := rect
	rh := rect.Dy()

	bg := colRowB
	if even {
		bg = colRowA
	}
	if row.Highlight > 0 {
		bg = mix(bg, colHighlight, 0.30*row.Highlight)
	}
	if footer {
		strokeRoundRect(r.frame, rect, l.radius, max(1, rh/30), colText3, bg)
	} else {
		fillRoundRect(r.frame, rect, l.radius, bg)
	}
	mc, isMedal := medal(row.Rank)
	if isMedal {
		tint := rect
		tint.Max.X = rect.Min.X + rect.Dx()*45/100
		blendHGradient(r.frame, tint, clip, mc, 46, 0)
	}
	if row.Highlight > 0 {
		bar := image.Rect(rect.Min.X, rect.Min.Y, rect.Min.X+max(2, rh*8/100), rect.Max.Y)
		blendRect(r.frame, bar, colHighlight, uint8(255*row.Highlight))
	}

	x := rect.Min.X
	// Rank badge: medal colours for the podium.
	inset := max(2, rh*14/100)
	badge := image.Rect(x+k.badge.x0, rect.Min.Y+inset, x+k.badge.x1, rect.Max.Y-inset)
	badgeText := colText
	if isMedal {
		fillRoundRect(r.frame, badge, l.radius, mc)
		badgeText = colOnMedal
	} else {
		fillRoundRect(r.frame, badge, l.radius, mix(colBadge, bg, 0.2))
	}
	r.buf = r.buf[:0]
	if row.Tie {
		r.buf = append(r.buf, '=')
	}
	r.buf = strconv.AppendInt(r.buf, int64(row.Rank), 10)
	drawTextFit(r, badge, l.rank, r.buf, badge.Min.X, badge.Dx(), centreBaseline(l.rank, badge.Min.Y, badge.Max.Y), alignCenter, badgeText)

	if row.RankChange != 0 {
		r.drawRankChange(rect, row.RankChange)
	}

	drawTextFit(r, clip, l.name, row.Name, x+k.name.x0, k.name.w(), centreBaseline(l.name, rect.Min.Y, rect.Max.Y), alignLeft, colText)

	small := centreBaseline(l.small, rect.Min.Y, rect.Max.Y)
	if k.showTrack && row.Track != "" {
		pill := image.Rect(x+k.track.x0, rect.Min.Y+inset+rh/10, x+k.track.x1, rect.Max.Y-inset-rh/10)
		strokeRoundRect(r.frame, pill, pill.Dy()/2, max(1, rh/32), colText3, bg)
		pad := pill.Dy() / 3
		drawTextFit(r, pill, l.small, row.Track, pill.Min.X+pad, pill.Dx()-2*pad, centreBaseline(l.small, pill.Min.Y, pill.Max.Y), alignCenter, colText2)
	}
	if k.showLaps && row.Laps > 0 {
		r.buf = strconv.AppendInt(r.buf[:0], int64(row.Laps), 10)
		drawTextFit(r, clip, l.small, r.buf, x+k.laps.x0, k.laps.w(), small, alignRight, colText2)
	}
	if k.showExtra && row.Extra != "" {
		drawTextFit(r, clip, l.small, row.Extra, x+k.extra.x0, k.extra.w(), small, alignRight, colText2)
	}

	resultCol := colText
	if row.Rank == 1 {
		resultCol = colGold
	}
	r.buf = r.buf[:0]
	if row.Result > 0 {
		r.buf = AppendLapTime(r.buf, row.Result)
	} else {
		r.buf = append(r.buf, "—"...)
	}
	drawTextFit(r, clip, l.result, r.buf, x+k.result.x0, k.result.w(), centreBaseline(l.result, rect.Min.Y, rect.Max.Y), alignRight, resultCol)

	if row.Gap > 0 {
		r.buf = AppendGap(r.buf[:0], row.Gap)
		drawTextFit(r, clip, l.gap, r.buf, x+k.gap.x0, k.gap.w(), centreBaseline(l.gap, rect.Min.Y, rect.Max.Y), alignRight, colText2)
	}
}

// drawRankChange draws ▲n (gained) or ▼n (lost) in the arrow column.
func (r *Renderer) drawRankChange(rect image.Rectangle, change int) {
	l := r.lay
	k := &r.cols
	col, up, n := colUp, true, change
	if change < 0 {
		col, up, n = colDown, false, -change
	}
	f := l.arrow
	size := f.ascent * 11 / 10
	area := image.Rect(rect.Min.X+k.arrow.x0, rect.Min.Y, rect.Min.X+k.arrow.x1, rect.Max.Y)
	r.buf = strconv.AppendInt(r.buf[:0], int64(min(n, 99)), 10)
	tw := textWidth(r, f, r.buf)
	gap := max(1, size/4)
	x := area.Min.X + (area.Dx()-size-gap-tw)/2
	base := centreBaseline(f, area.Min.Y, area.Max.Y)
	tri := image.Rect(x, base-size+size/10, x+size, base+size/10)
	fillTriangle(r.frame, tri, up, col)
	drawText(r, area, f, r.buf, tri.Max.X+gap, base, col)
}
