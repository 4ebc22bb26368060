package display

import (
	"sort"
	"unicode"
)

// The Go fonts have no combining marks and few precomposed letters beyond
// Latin Extended-A, yet racers are called Olúwasẹ̀un or Nguyễn. A cluster
// (base letter + combining marks) is therefore resolved against what the
// font has: letters the font lacks are decomposed (ẹ → e + U+0323), marks
// are recomposed where the font has the result (e + U+0300 → è), and the
// marks left over are drawn with the font's spacing accents (´ ˆ ¨ ...)
// placed above or below the base's ink.

// markPlace is where a combining mark goes relative to its base.
type markPlace uint8

const (
	markAbove    markPlace = iota // stacked above the base's ink
	markBelow                     // stacked below the base's ink
	markAttached                  // cedilla, ogonek: at the accent's designed height
)

// markGlyph is how one combining mark is drawn: with the font's spacing
// form of the accent, placed as said.
type markGlyph struct {
	spacing rune
	place   markPlace
	right   bool // align to the base's right edge (ogonek)
}

// markFor returns how to draw the combining mark r.
func markFor(r rune) (markGlyph, bool) {
	switch r {
	case 0x0300, 0x0340: // grave
		return markGlyph{spacing: 0x0060}, true
	case 0x0301, 0x0341: // acute
		return markGlyph{spacing: 0x00B4}, true
	case 0x0302: // circumflex
		return markGlyph{spacing: 0x02C6}, true
	case 0x0303, 0x0342: // tilde, Greek perispomeni
		return markGlyph{spacing: 0x02DC}, true
	case 0x0304, 0x0305: // macron, overline
		return markGlyph{spacing: 0x00AF}, true
	case 0x0306: // breve
		return markGlyph{spacing: 0x02D8}, true
	case 0x0307: // dot above
		return markGlyph{spacing: 0x02D9}, true
	case 0x0308: // diaeresis
		return markGlyph{spacing: 0x00A8}, true
	case 0x030A: // ring above
		return markGlyph{spacing: 0x02DA}, true
	case 0x030B: // double acute
		return markGlyph{spacing: 0x02DD}, true
	case 0x030C: // caron
		return markGlyph{spacing: 0x02C7}, true
	case 0x0313, 0x0343: // Greek psili
		return markGlyph{spacing: 0x2019}, true
	case 0x0314: // Greek dasia
		return markGlyph{spacing: 0x2018}, true
	case 0x0323: // dot below
		return markGlyph{spacing: 0x02D9, place: markBelow}, true
	case 0x0324: // diaeresis below
		return markGlyph{spacing: 0x00A8, place: markBelow}, true
	case 0x0325: // ring below
		return markGlyph{spacing: 0x02DA, place: markBelow}, true
	case 0x0326: // comma below
		return markGlyph{spacing: 0x002C, place: markAttached}, true
	case 0x0327: // cedilla
		return markGlyph{spacing: 0x00B8, place: markAttached}, true
	case 0x0328: // ogonek
		return markGlyph{spacing: 0x02DB, place: markAttached, right: true}, true
	case 0x032D: // circumflex below
		return markGlyph{spacing: 0x02C6, place: markBelow}, true
	case 0x032E: // breve below
		return markGlyph{spacing: 0x02D8, place: markBelow}, true
	case 0x0330: // tilde below
		return markGlyph{spacing: 0x02DC, place: markBelow}, true
	case 0x0331, 0x0332: // macron below, low line
		return markGlyph{spacing: 0x00AF, place: markBelow}, true
	}
	return markGlyph{}, false
}

// isMark reports whether r attaches to the rune before it.
func isMark(r rune) bool {
	return r >= 0x0300 && unicode.In(r, unicode.Mn, unicode.Me)
}

// isInvisible reports runes that take no space and draw nothing: controls,
// format characters (ZWJ, bidi marks), variation selectors and emoji tag
// characters. Drawing a box for each would make "👍🏽" or "❤️" unreadable.
func isInvisible(r rune) bool {
	switch {
	case r < 0x20 || (r >= 0x7F && r < 0xA0):
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	case r >= 0xE0000 && r <= 0xE007F:
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF:
		// Skin tone modifiers: a monochrome emoji font draws them as
		// swatches beside the emoji, which reads as noise.
		return true
	}
	return r > 0xA0 && unicode.Is(unicode.Cf, r)
}

// runePair is composed = base + mark (see decompose_table.go).
type runePair struct{ composed, base, mark rune }

// decompose returns the single-level canonical decomposition of r.
func decompose(r rune) (base, mark rune, ok bool) {
	i := sort.Search(len(decompositions), func(i int) bool { return decompositions[i].composed >= r })
	if i < len(decompositions) && decompositions[i].composed == r {
		return decompositions[i].base, decompositions[i].mark, true
	}
	return 0, 0, false
}

// compose returns the precomposed letter for base + mark.
func compose(base, mark rune) (rune, bool) {
	i := sort.Search(len(compositions), func(i int) bool {
		p := compositions[i]
		return p.base > base || (p.base == base && p.mark >= mark)
	})
	if i < len(compositions) && compositions[i].base == base && compositions[i].mark == mark {
		return compositions[i].composed, true
	}
	return 0, false
}

// placeOf groups marks for the Unicode blocking rule: a mark may compose
// with the base only if no earlier, uncomposed mark sits on the same side.
func placeOf(r rune) markPlace {
	if m, ok := markFor(r); ok {
		return m.place
	}
	return markAbove
}

// resolveCluster turns base + marks into the letter the font can draw and
// the marks still to be drawn separately. marks is modified in place and
// the result reuses it.
func resolveCluster(f *face, base rune, marks []rune) (rune, []rune) {
	for !f.has(base) {
		b, m, ok := decompose(base)
		if !ok {
			break
		}
		base = b
		marks = append(marks, 0)
		copy(marks[1:], marks)
		marks[0] = m
	}
	for changed := true; changed; {
		changed = false
		var blocked [3]bool
		for k, m := range marks {
			p := placeOf(m)
			if blocked[p] {
				continue
			}
			if c, ok := compose(base, m); ok && f.has(c) {
				base = c
				marks = append(marks[:k], marks[k+1:]...)
				changed = true
				break
			}
			blocked[p] = true
		}
	}
	// A soft-dotted i or j loses its dot under an accent above.
	if base == 'i' || base == 'j' {
		for _, m := range marks {
			if placeOf(m) == markAbove {
				if base == 'i' && f.has(0x0131) {
					base = 0x0131
				} else if base == 'j' && f.has(0x0237) {
					base = 0x0237
				}
				break
			}
		}
	}
	return base, marks
}
