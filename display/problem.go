package display

import (
	"image"
	"strings"
)

// Problem is what a unit that cannot start shows on its own screen: the
// person standing in front of it has no terminal, so the screen says what
// is wrong and what to edit.
type Problem struct {
	Title  string   // one line: "This kiosk cannot start"
	Detail string   // the error, e.g. "broker.url: ..." (wrapped)
	Fix    []string // what to do, one step a line (each wrapped)
	Footer string   // small print: host name, version, "retrying when the file changes"
}

// RenderProblem draws p over the whole frame and returns the damaged
// rectangle (all of it). The board's layout is not used: a problem screen
// has nothing in common with a board but the palette and the fonts.
func (r *Renderer) RenderProblem(p Problem) []image.Rectangle {
	r.drawn = false // the next Render redraws the board entirely
	frame := r.frame
	w, h := frame.Rect.Dx(), frame.Rect.Dy()
	fillBackground(frame, frame.Rect, r.lay.bg)
	unit := max(h, w*9/16) // scale on the 16:9 height that fits the width
	margin := max(8, w/24)
	panel := image.Rect(margin, margin, w-margin, h-margin)
	fillRoundRect(frame, panel, max(4, unit/90), colPanel)
	// Accent bar on the left: a warning, not an error of the board.
	fillRect(frame, image.Rect(panel.Min.X, panel.Min.Y+unit/60, panel.Min.X+max(3, unit/150), panel.Max.Y-unit/60), colNotice)

	title := r.faceOf(true, unit/15)
	body := r.faceOf(true, unit/24)
	step := r.faceOf(false, unit/26)
	small := r.faceOf(false, unit/40)
	left := panel.Min.X + max(12, unit/30)
	maxW := panel.Max.X - max(12, unit/30) - left
	y := panel.Min.Y + max(8, unit/24) + title.ascent
	drawTextFit(r, panel, title, p.Title, left, maxW, y, alignLeft, colNotice)
	y += title.size

	for _, line := range r.wrap(body, p.Detail, maxW) {
		y += body.size * 5 / 4
		drawTextFit(r, panel, body, line, left, maxW, y, alignLeft, colText)
	}
	y += body.size / 2
	for i, fix := range p.Fix {
		prefix := ""
		if len(p.Fix) > 1 {
			prefix = string(rune('1'+i)) + ". "
		}
		for j, line := range r.wrap(step, prefix+fix, maxW) {
			y += step.size * 5 / 4
			if j == 0 && i > 0 {
				y += step.size / 3
			}
			drawTextFit(r, panel, step, line, left, maxW, y, alignLeft, colText2)
		}
	}
	if p.Footer != "" {
		drawTextFit(r, panel, small, p.Footer, left, maxW, panel.Max.Y-max(8, unit/40), alignLeft, colText3)
	}
	r.damage = append(r.damage[:0], frame.Rect)
	return r.damage
}

// wrap breaks s into lines of at most maxW pixels at spaces (and at
// slashes of long paths); a word wider than a line is left to drawTextFit
// to ellipsize. Newlines in s start new lines.
func (r *Renderer) wrap(f *face, s string, maxW int) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if _, w := shape(&r.sh, f, try); w.Ceil() <= maxW || line == "" {
				line = try
				continue
			}
			lines = append(lines, line)
			line = word
		}
		lines = append(lines, line)
	}
	return lines
}
