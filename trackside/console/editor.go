package console

import (
	"fmt"
	"image"
	"strconv"
	"strings"
	"time"

	"pitwall/display"
	"pitwall/trackside/console/api"
)

// editor enters a lap time on a number pad: digits fill from the right in
// milliseconds, as on a till ("12345" is 12.345 s), so no separator key is
// needed and a keypad types it directly.
type editor struct {
	mode   edMode
	race   string
	no     int    // edEdit: the lap; edAdd: the new lap goes after this one
	digits string // typed, milliseconds
	was    int64  // edEdit: the lap's time before, for undo
}

type edMode int

const (
	edEdit edMode = iota
	edAdd
	edSplit // a missed crossing: the lap becomes two, the first this long
)

// maxEditDigits: up to 9999.999 s, far beyond any lap.
const maxEditDigits = 7

func (c *Console) openEditor(m edMode, race string, no int, was int64) {
	c.editor = &editor{mode: m, race: race, no: no, was: was}
}

func (e *editor) ms() int64 {
	v, _ := strconv.ParseInt(e.digits, 10, 64)
	return v
}

func (e *editor) digit(d string) {
	if len(e.digits) < maxEditDigits && !(e.digits == "" && d == "0") {
		e.digits += d
	}
}

func (e *editor) erase() {
	if e.digits != "" {
		e.digits = e.digits[:len(e.digits)-1]
	}
}

func (c *Console) editorSave() {
	e := c.editor
	if e.ms() <= 0 {
		c.say("type the lap time first", true)
		return
	}
	c.editor = nil
	d := api.Duration(time.Duration(e.ms()) * time.Millisecond)
	if e.mode == edEdit {
		var undo *undoable
		if e.was > 0 {
			undo = &undoable{"Old time", api.CmdLapEdit, api.LapArgs{Race: e.race, No: e.no, Time: api.Duration(time.Duration(e.was) * time.Millisecond)}}
		}
		c.run(fmt.Sprintf("Lap %d set to %s", e.no, fmtLap(e.ms())), api.CmdLapEdit, api.LapArgs{Race: e.race, No: e.no, Time: d}, undo)
		return
	}
	if e.mode == edSplit {
		if e.was > 0 && e.ms() >= e.was {
			c.say(fmt.Sprintf("the first part must be shorter than the lap (%s)", fmtLap(e.was)), true)
			return
		}
		c.run(fmt.Sprintf("Lap %d split at %s", e.no, fmtLap(e.ms())), api.CmdLapSplit, api.LapArgs{Race: e.race, No: e.no, Time: d}, nil)
		return
	}
	c.run(fmt.Sprintf("Lap %d added (%s)", e.no+1, fmtLap(e.ms())), api.CmdLapAdd, api.LapArgs{Race: e.race, No: e.no, Time: d},
		&undoable{"Delete it", api.CmdLapDelete, api.LapArgs{Race: e.race, No: e.no + 1}})
}

func (c *Console) editorKey(a string) {
	e := c.editor
	switch {
	case strings.HasPrefix(a, actDigitPrefix):
		e.digit(a[len(actDigitPrefix):])
	case a == ActErase:
		e.erase()
	case a == ActConfirm:
		c.editorSave()
	case a == ActCancel:
		c.editor = nil
	}
}

func (c *Console) drawEditor() {
	l := c.l
	e := c.editor
	c.modal(false)
	w := min(560, l.lw-2*pad)
	r := image.Rect((l.lw-w)/2, pad, (l.lw+w)/2, l.lh-pad)
	c.panel(r, colPanelHi)
	title := fmt.Sprintf("Lap %d: new time", e.no)
	switch e.mode {
	case edAdd:
		title = fmt.Sprintf("Missed lap after lap %d: its time", e.no)
	case edSplit:
		title = fmt.Sprintf("Split lap %d (%s): the first part", e.no, fmtLap(e.was))
	}
	c.text(image.Rect(r.Min.X+16, r.Min.Y+6, r.Max.X-16, r.Min.Y+40), fBody, true, title, display.AlignLeft, colText2)
	shown := "0.000"
	if e.digits != "" {
		shown = fmtLap(e.ms())
	}
	disp := image.Rect(r.Min.X+16, r.Min.Y+42, r.Max.X-16, r.Min.Y+104)
	c.panel(disp, colPanel)
	c.text(disp.Inset(8), 48, true, shown+" s", display.AlignCenter, colText)

	keys := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "←", "0", "Cancel"}
	inner := image.Rect(r.Min.X+16, disp.Max.Y+pad, r.Max.X-16, r.Max.Y-80)
	kw := (inner.Dx() - 2*pad) / 3
	kh := (inner.Dy() - 3*pad) / 4
	for i, k := range keys {
		x := inner.Min.X + (i%3)*(kw+pad)
		y := inner.Min.Y + (i/3)*(kh+pad)
		kr := image.Rect(x, y, x+kw, y+kh)
		k := k
		switch k {
		case "←":
			c.btn("ed-erase", kr, k, fBig, colNeutral, colText, e.erase)
		case "Cancel":
			c.btn("ed-cancel", kr, k, fBody, colNeutral, colText, func() { c.editor = nil })
		default:
			c.btn("ed-"+k, kr, k, fBig, colPanel, colText, func() { e.digit(k) })
		}
	}
	c.btn("ed-save", image.Rect(r.Min.X+16, r.Max.Y-72, r.Max.X-16, r.Max.Y-12), "Save", fBig, colGood, colText, c.editorSave)
}
