package display

import "unicode"

// Arabic letters change shape with their neighbours and the script runs
// right to left. The board has no OpenType shaper (x/image draws single
// glyphs), so names are shaped the way old terminals did it: each letter
// is replaced by its contextual form from the Arabic Presentation Forms
// (isolated, final, initial, medial; lam-alef as one ligature), which
// DejaVu Sans and most Arabic fonts carry, and each run of right-to-left
// text is drawn in reverse. Numbers inside such a run keep their order.
// Harakat (short-vowel marks) are dropped; the letters stay readable.

// joining is how an Arabic letter connects to its neighbours.
type joining uint8

const (
	joinNone  joining = iota // does not join (space, Latin, hamza)
	joinRight                // joins the letter before it only (alef, dal, reh, waw)
	joinDual                 // joins both sides
	joinCause                // tatweel: joins both sides, has no forms
)

// arabicForm is a letter's first presentation form (isolated); final,
// initial and medial follow it in that order.
type arabicForm struct {
	letter, isolated rune
	join             joining
}

// arabicForms is sorted by letter. Checked against UnicodeData's
// <isolated>/<final>/<initial>/<medial> decompositions.
var arabicForms = [...]arabicForm{
	{0x0621, 0xFE80, joinNone}, // hamza: one form
	{0x0622, 0xFE81, joinRight}, {0x0623, 0xFE83, joinRight}, {0x0624, 0xFE85, joinRight},
	{0x0625, 0xFE87, joinRight}, {0x0626, 0xFE89, joinDual}, {0x0627, 0xFE8D, joinRight},
	{0x0628, 0xFE8F, joinDual}, {0x0629, 0xFE93, joinRight}, {0x062A, 0xFE95, joinDual},
	{0x062B, 0xFE99, joinDual}, {0x062C, 0xFE9D, joinDual}, {0x062D, 0xFEA1, joinDual},
	{0x062E, 0xFEA5, joinDual}, {0x062F, 0xFEA9, joinRight}, {0x0630, 0xFEAB, joinRight},
	{0x0631, 0xFEAD, joinRight}, {0x0632, 0xFEAF, joinRight}, {0x0633, 0xFEB1, joinDual},
	{0x0634, 0xFEB5, joinDual}, {0x0635, 0xFEB9, joinDual}, {0x0636, 0xFEBD, joinDual},
	{0x0637, 0xFEC1, joinDual}, {0x0638, 0xFEC5, joinDual}, {0x0639, 0xFEC9, joinDual},
	{0x063A, 0xFECD, joinDual}, {0x0640, 0, joinCause}, {0x0641, 0xFED1, joinDual},
	{0x0642, 0xFED5, joinDual}, {0x0643, 0xFED9, joinDual}, {0x0644, 0xFEDD, joinDual},
	{0x0645, 0xFEE1, joinDual}, {0x0646, 0xFEE5, joinDual}, {0x0647, 0xFEE9, joinDual},
	{0x0648, 0xFEED, joinRight}, {0x0649, 0xFEEF, joinRight}, {0x064A, 0xFEF1, joinDual},
	// Persian and Urdu letters, in Presentation Forms-A.
	{0x067E, 0xFB56, joinDual}, {0x0686, 0xFB7A, joinDual}, {0x0698, 0xFB8A, joinRight},
	{0x06A9, 0xFB8E, joinDual}, {0x06AF, 0xFB92, joinDual}, {0x06CC, 0xFBFC, joinDual},
}

// Offsets of the contextual forms from the isolated form.
const (
	formIsolated = 0
	formFinal    = 1
	formInitial  = 2
	formMedial   = 3
)

func arabicFormOf(r rune) (arabicForm, bool) {
	if r < 0x0621 || r > 0x06CC {
		return arabicForm{}, false
	}
	lo, hi := 0, len(arabicForms)
	for lo < hi {
		m := (lo + hi) / 2
		if arabicForms[m].letter < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(arabicForms) && arabicForms[lo].letter == r {
		return arabicForms[lo], true
	}
	return arabicForm{}, false
}

func joiningOf(r rune) joining {
	if a, ok := arabicFormOf(r); ok {
		return a.join
	}
	return joinNone
}

// lamAlef returns the isolated lam-alef ligature for lam + r (the final
// form follows it), or 0.
func lamAlef(r rune) rune {
	switch r {
	case 0x0622:
		return 0xFEF5
	case 0x0623:
		return 0xFEF7
	case 0x0625:
		return 0xFEF9
	case 0x0627:
		return 0xFEFB
	}
	return 0
}

// bidiClass is the simplified bidirectional class of a cluster's base.
type bidiClass uint8

const (
	bidiNeutral bidiClass = iota // spaces, punctuation, symbols, emoji
	bidiLTR                      // letters of left-to-right scripts
	bidiRTL                      // Hebrew, Arabic and other right-to-left letters
	bidiNumber                   // digits, Western or Arabic-Indic
)

func bidiClassOf(r rune) bidiClass {
	switch {
	case r < 0x80:
		if r >= '0' && r <= '9' {
			return bidiNumber
		}
		if unicode.IsLetter(r) {
			return bidiLTR
		}
		return bidiNeutral
	case r >= 0x0660 && r <= 0x0669, r >= 0x06F0 && r <= 0x06F9:
		return bidiNumber
	case r >= 0x0590 && r <= 0x08FF, r >= 0xFB1D && r <= 0xFDFF, r >= 0xFE70 && r <= 0xFEFE,
		r >= 0x10800 && r <= 0x10FFF, r >= 0x1E800 && r <= 0x1EFFF:
		return bidiRTL
	case unicode.IsDigit(r):
		return bidiNumber
	case unicode.IsLetter(r):
		return bidiLTR
	}
	return bidiNeutral
}

// mirrored is the glyph drawn for a bracket inside a right-to-left run.
func mirrored(r rune) rune {
	switch r {
	case '(':
		return ')'
	case ')':
		return '('
	case '[':
		return ']'
	case ']':
		return '['
	case '{':
		return '}'
	case '}':
		return '{'
	case '<':
		return '>'
	case '>':
		return '<'
	case '«':
		return '»'
	case '»':
		return '«'
	}
	return r
}
