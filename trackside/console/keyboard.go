package console

import (
	"fmt"
	"image"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"pitwall/display"
	"pitwall/trackside/console/api"
)

// keyboard is the on-screen keyboard: searching racers and quick-adding one.
type keyboard struct {
	purpose kbPurpose
	text    string
	accents bool // the accented letters page
	shift   bool
}

type kbPurpose int

const (
	kbSearch kbPurpose = iota
	kbNewRacer
	kbTransponder // the loaded race's car; letters in capitals
)

// maxNameRunes bounds a typed name (the store's limit is in bytes and larger).
const maxNameRunes = 40

var (
	kbLetters = []string{"1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-."}
	// The accented page: the letters of European names a hall of racers
	// brings; anything else comes in through the admin import.
	kbAccents = []string{"áàâäãåæçčď", "éèêëěíìîïñ", "óòôöõøœřšß", "úùûüůýÿžłő"}
)

func (c *Console) openKeyboard(p kbPurpose, text string) {
	c.keyboard = &keyboard{purpose: p, text: text, shift: p == kbNewRacer && text == ""}
}

func (k *keyboard) typeRune(r rune) {
	if utf8.RuneCountInString(k.text) >= maxNameRunes {
		return
	}
	if k.shift || k.purpose == kbTransponder {
		r = unicode.ToUpper(r)
		k.shift = false
	}
	k.text += string(r)
	if r == ' ' && k.purpose == kbNewRacer {
		k.shift = true
	}
}

func (k *keyboard) erase() {
	if k.text == "" {
		return
	}
	_, n := utf8.DecodeLastRuneInString(k.text)
	k.text = k.text[:len(k.text)-n]
}

func (c *Console) keyboardDone() {
	k := c.keyboard
	c.keyboard = nil
	switch k.purpose {
	case kbSearch:
		c.search, c.scroll = k.text, 0
	case kbTransponder:
		r := c.view.Race
		if r == nil {
			return
		}
		var undo *undoable
		if r.Binding != "learned" {
			undo = &undoable{"Old car", api.CmdBind, api.BindArgs{Transponder: r.Transponder}}
		}
		car := strings.TrimSpace(k.text)
		label := "Car " + car + " bound"
		if car == "" {
			label = "Car: the first to cross"
		}
		c.run(label, api.CmdBind, api.BindArgs{Transponder: car}, undo)
	case kbNewRacer:
		name := strings.TrimSpace(k.text)
		if name == "" {
			return
		}
		id := fmt.Sprintf("c-%x", time.Now().UnixNano()&0xffffffffff)
		if c.run(name+" added", api.CmdRacerAdd, api.RacerArgs{ID: id, Name: name}, nil) {
			c.run(name+" added and queued", api.CmdQueue, api.RacerIDArgs{ID: id}, &undoable{"Unqueue", api.CmdUnqueue, api.RacerIDArgs{ID: id}})
		}
	}
}

// keyboardKey types from a physical keyboard while the on-screen one is up.
func (c *Console) keyboardKey(k Key) {
	kb := c.keyboard
	switch {
	case k.Action == ActConfirm:
		c.keyboardDone()
	case k.Action == ActCancel:
		c.keyboard = nil
	case k.Name == "BACKSPACE":
		kb.erase()
	case k.Name == "SPACE":
		kb.typeRune(' ')
	case len(k.Name) == 1:
		kb.typeRune(unicode.ToLower(rune(k.Name[0])))
	}
}

func (c *Console) drawKeyboard() {
	l := c.l
	kb := c.keyboard
	c.modal(true)
	field := image.Rect(pad, pad, l.lw-pad, 60)
	c.panel(field, colPanelHi)
	title := "Search"
	switch kb.purpose {
	case kbNewRacer:
		title = "New racer's name"
	case kbTransponder:
		title = "Car's transponder"
	}
	shown := kb.text + "_"
	c.text(image.Rect(field.Min.X+12, field.Min.Y, field.Min.X+230, field.Max.Y), fBody, false, title, display.AlignLeft, colText2)
	c.text(image.Rect(field.Min.X+230, field.Min.Y, field.Max.X-12, field.Max.Y), fBig, true, shown, display.AlignLeft, colText)

	rows := kbLetters
	if kb.accents {
		rows = kbAccents
	}
	top := field.Max.Y + pad
	keyH := (l.lh - top - pad - 5*pad) / 5
	keyW := (l.lw - pad - 10*pad) / 10
	for ri, row := range rows {
		y := top + ri*(keyH+pad)
		for i, r := range []rune(row) {
			x := pad + i*(keyW+pad)
			label := string(r)
			if kb.shift {
				label = strings.ToUpper(label)
			}
			r := r
			c.btn("key-"+string(r), image.Rect(x, y, x+keyW, y+keyH), label, fBig, colPanelHi, colText, func() { kb.typeRune(r) })
		}
	}
	// The bottom rows: shift, accents, space, erase, cancel, done.
	y := top + len(rows)*(keyH+pad)
	x := pad
	w := func(n int) int { return n*keyW + (n-1)*pad }
	shiftBg := colNeutral
	if kb.shift {
		shiftBg = colAccent
	}
	c.btn("key-shift", image.Rect(x, y, x+w(1), y+keyH), "Shift", fBody, shiftBg, colText, func() { kb.shift = !kb.shift })
	x += w(1) + pad
	acc := "áé"
	if kb.accents {
		acc = "abc"
	}
	c.btn("key-accents", image.Rect(x, y, x+w(1), y+keyH), acc, fBody, colNeutral, colText, func() { kb.accents = !kb.accents })
	x += w(1) + pad
	c.btn("key-space", image.Rect(x, y, x+w(3), y+keyH), "space", fBody, colPanelHi, colText, func() { kb.typeRune(' ') })
	x += w(3) + pad
	c.btn("key-erase", image.Rect(x, y, x+w(1), y+keyH), "←", fBig, colNeutral, colText, kb.erase)
	x += w(1) + pad
	c.btn("key-cancel", image.Rect(x, y, x+w(2), y+keyH), "Cancel", fBody, colNeutral, colText, func() { c.keyboard = nil })
	x += w(2) + pad
	done := "Search"
	switch kb.purpose {
	case kbNewRacer:
		done = "Add"
	case kbTransponder:
		done = "Bind"
	}
	c.btn("key-done", image.Rect(x, y, l.lw-pad, y+keyH), done, fBig, colGood, colText, c.keyboardDone)
}

// foldAccents maps accented Latin letters to their base letter, so a
// search for "zoe" finds "Zoë".
func foldAccents(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if f, ok := folds[r]; ok {
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var folds = func() map[rune]string {
	m := map[rune]string{}
	for base, set := range map[string]string{
		"a": "áàâäãåą", "ae": "æ", "c": "çčć", "d": "ď", "e": "éèêëěę", "i": "íìîï", "n": "ñń", "o": "óòôöõøő",
		"oe": "œ", "r": "ř", "s": "šś", "ss": "ß", "u": "úùûüů", "y": "ýÿ", "z": "žźż", "l": "ł",
	} {
		for _, r := range set {
			m[r] = base
		}
	}
	return m
}()
