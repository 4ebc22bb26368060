package console

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
	"time"

	"pitwall/display"
	"pitwall/mqtt"
	"pitwall/trackside/console/api"
)

// drawLock: the race at a glance on the left, the PIN pad on the right.
func (c *Console) drawLock() {
	l := c.l
	left := image.Rect(pad*2, pad*2, l.lw/2-pad, l.lh-pad*2)
	c.text(image.Rect(left.Min.X, left.Min.Y, left.Max.X, left.Min.Y+40), fBig, true, "Track "+c.view.Track+" · locked", display.AlignLeft, colText)
	y := left.Min.Y + 56
	if r := c.view.Race; r != nil {
		el, _ := c.clock(c.now)
		c.text(image.Rect(left.Min.X, y, left.Max.X, y+36), fBig, false, r.Name, display.AlignLeft, colText2)
		c.text(image.Rect(left.Min.X, y+40, left.Max.X, y+70), fBody, true, stateLabel(r.State)+" · "+plural(countLaps(r.Laps), "lap", "laps"), display.AlignLeft, stateCol(r.State))
		c.text(image.Rect(left.Min.X, y+76, left.Max.X, y+150), 64, true, fmtClock(el), display.AlignLeft, colText)
	} else {
		c.text(image.Rect(left.Min.X, y, left.Max.X, y+36), fBody, false, "No race loaded", display.AlignLeft, colText2)
	}
	msg := "Enter your PIN"
	col := colText2
	if c.now.Before(c.msgUntil) && c.msg != "" {
		msg, col = c.msg, colText
		if c.msgBad {
			col = colWarn
		}
	}
	if !c.ts.Connected() {
		msg, col = "Trackside not connected", colWarn
	}
	c.text(image.Rect(left.Min.X, left.Max.Y-90, left.Max.X, left.Max.Y-50), fBody, true, msg, display.AlignLeft, col)

	// PIN pad: 3×4 keys of at least 96×72 units.
	right := image.Rect(l.lw/2+pad, pad*2, l.lw-pad*2, l.lh-pad*2)
	disp := image.Rect(right.Min.X, right.Min.Y, right.Max.X, right.Min.Y+64)
	c.panel(disp, colPanel)
	dots := strings.Repeat("● ", len(c.pin))
	if dots == "" {
		dots = "PIN"
	}
	c.text(disp.Inset(8), fBig, true, strings.TrimSpace(dots), display.AlignCenter, colText)
	keys := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "←", "0", "OK"}
	kw := (right.Dx() - 2*pad) / 3
	kh := (right.Max.Y - disp.Max.Y - pad - 3*pad) / 4
	for i, k := range keys {
		x := right.Min.X + (i%3)*(kw+pad)
		y := disp.Max.Y + pad + (i/3)*(kh+pad)
		r := image.Rect(x, y, x+kw, y+kh)
		k := k
		switch k {
		case "←":
			c.btn("pin-erase", r, k, fBig, colNeutral, colText, func() {
				if len(c.pin) > 0 {
					c.pin = c.pin[:len(c.pin)-1]
				}
			})
		case "OK":
			c.btn("pin-ok", r, k, fBig, colGood, colText, c.unlock)
		default:
			c.btn("pin-"+k, r, k, 40, colPanelHi, colText, func() { c.pinDigit(k) })
		}
	}
}

func countLaps(laps []mqtt.LapInfo) int {
	n := 0
	for _, l := range laps {
		if !l.Deleted {
			n++
		}
	}
	return n
}

func stateCol(s string) color.RGBA {
	switch s {
	case "running":
		return display.ColorRacing
	case "paused":
		return display.ColorPaused
	case "ready":
		return display.ColorReady
	}
	return display.ColorFinished
}

// filteredRacers are the registered racers matching the search, by name.
func (c *Console) filteredRacers() []api.Racer {
	q := strings.ToLower(strings.TrimSpace(c.search))
	var out []api.Racer
	for _, r := range c.view.Racers {
		if q == "" || strings.Contains(strings.ToLower(r.Name), q) || strings.Contains(strings.ToLower(foldAccents(r.Name)), foldAccents(q)) {
			out = append(out, r)
		}
	}
	return out
}

func (c *Console) drawQueue(body image.Rectangle) {
	split := body.Min.X + body.Dx()*62/100
	list := image.Rect(body.Min.X, body.Min.Y, split-pad, body.Max.Y)
	side := image.Rect(split+pad, body.Min.Y, body.Max.X, body.Max.Y)

	// Search field: a tap opens the keyboard.
	sr := image.Rect(list.Min.X, list.Min.Y, list.Max.X-2*(minTouch+pad+8), list.Min.Y+52)
	label := "Search racers…"
	col := colText3
	if c.search != "" {
		label, col = "Search: "+c.search, colText
	}
	c.btn("search", sr, "", fBody, colPanel, colText, func() { c.openKeyboard(kbSearch, c.search) })
	c.text(sr.Inset(12), fBody, false, label, display.AlignLeft, col)
	racers := c.filteredRacers()
	rows := (list.Max.Y - sr.Max.Y - pad) / (c.l.rowH + 4)
	c.scroll = min(c.scroll, max(0, len(racers)-rows))
	c.scrollButtons(image.Rect(sr.Max.X+pad, sr.Min.Y, list.Max.X, sr.Max.Y), len(racers), rows)
	y := sr.Max.Y + pad
	maxRuns := c.view.MaxRuns
	for i := c.scroll; i < len(racers) && i < c.scroll+rows; i++ {
		r := racers[i]
		row := image.Rect(list.Min.X, y, list.Max.X, y+c.l.rowH)
		c.panel(row, colPanel)
		runs := strconv.Itoa(r.Runs) + " runs"
		if maxRuns > 0 {
			runs = fmt.Sprintf("%d/%d runs", r.Runs, maxRuns)
		}
		bq := image.Rect(row.Max.X-196, row.Min.Y+4, row.Max.X-104, row.Max.Y-4)
		bl := image.Rect(row.Max.X-98, row.Min.Y+4, row.Max.X-4, row.Max.Y-4)
		nameCol := colText
		if r.Disqualified {
			nameCol, runs = colText3, "disqualified"
		}
		c.text(image.Rect(row.Min.X+12, row.Min.Y, bq.Min.X-100, row.Max.Y), fBody, true, r.Name, display.AlignLeft, nameCol)
		runCol := colText2
		if maxRuns > 0 && r.Runs >= maxRuns {
			runCol = colWarn
		}
		c.text(image.Rect(bq.Min.X-100, row.Min.Y, bq.Min.X-8, row.Max.Y), fSmall, false, runs, display.AlignRight, runCol)
		id, name := r.ID, r.Name
		c.btn("queue-"+id, bq, "Queue", fBody, colInfoBtn, colText, func() {
			c.run(name+" queued", api.CmdQueue, api.RacerIDArgs{ID: id}, &undoable{"Unqueue", api.CmdUnqueue, api.RacerIDArgs{ID: id}})
		})
		var load func()
		if c.canLoad() {
			load = func() { c.run(name+" loaded", api.CmdLoad, api.LoadArgs{Racer: id}, nil) }
		}
		c.btn("load-"+id, bl, "Load", fBody, colGood, colText, load)
		y += c.l.rowH + 4
	}
	if len(racers) == 0 {
		c.text(image.Rect(list.Min.X+12, y, list.Max.X, y+40), fBody, false, "No racer matches: add one with + New racer", display.AlignLeft, colText2)
	}

	// Next up, loading and quick-add.
	c.text(image.Rect(side.Min.X, side.Min.Y, side.Max.X, side.Min.Y+36), fBig, true, "Next up", display.AlignLeft, colText)
	qy := side.Min.Y + 44
	bottom := side.Max.Y - 2*(64+pad)
	for i, name := range c.view.Queue {
		if qy+34 > bottom {
			c.text(image.Rect(side.Min.X, qy, side.Max.X, qy+30), fSmall, false, fmt.Sprintf("+ %d more", len(c.view.Queue)-i), display.AlignLeft, colText2)
			break
		}
		c.text(image.Rect(side.Min.X, qy, side.Max.X, qy+32), fBody, i == 0, fmt.Sprintf("%d. %s", i+1, name), display.AlignLeft, colText)
		qy += 36
	}
	if len(c.view.Queue) == 0 {
		c.text(image.Rect(side.Min.X, qy, side.Max.X, qy+32), fBody, false, "Queue empty", display.AlignLeft, colText3)
	}
	var loadNext func()
	if len(c.view.Queue) > 0 && c.canLoad() {
		loadNext = func() { c.run("Next racer loaded", api.CmdLoad, api.LoadArgs{}, nil) }
	}
	c.btn("load-next", image.Rect(side.Min.X, side.Max.Y-128-pad, side.Max.X, side.Max.Y-64-pad), "Load next", fBig, colGood, colText, loadNext)
	c.btn("new-racer", image.Rect(side.Min.X, side.Max.Y-64, side.Max.X, side.Max.Y), "+ New racer", fBig, colNeutral, colText, func() { c.openKeyboard(kbNewRacer, "") })
}

// canLoad: a new race may be loaded when none is in progress.
func (c *Console) canLoad() bool {
	r := c.view.Race
	return r == nil || finalState(r.State) || r.State == "ready"
}

// scrollButtons draws ▲ ▼ in r when a list of n rows shows fewer.
func (c *Console) scrollButtons(r image.Rectangle, n, shown int) {
	w := (r.Dx() - pad) / 2
	var up, down func()
	if c.scroll > 0 {
		up = func() { c.scroll = max(0, c.scroll-max(1, shown-1)) }
	}
	if c.scroll+shown < n {
		down = func() { c.scroll += max(1, shown-1) }
	}
	c.btn("scroll-up", image.Rect(r.Min.X, r.Min.Y, r.Min.X+w, r.Max.Y), "▲", fBody, colNeutral, colText, up)
	c.btn("scroll-down", image.Rect(r.Max.X-w, r.Min.Y, r.Max.X, r.Max.Y), "▼", fBody, colNeutral, colText, down)
}

func (c *Console) drawLive(body image.Rectangle) {
	r := c.view.Race
	if r == nil || finalState(r.State) {
		c.text(image.Rect(body.Min.X+12, body.Min.Y+20, body.Max.X, body.Min.Y+70), fBig, true, "No race loaded", display.AlignLeft, colText)
		c.text(image.Rect(body.Min.X+12, body.Min.Y+74, body.Max.X, body.Min.Y+110), fBody, false, "Load a racer from the queue.", display.AlignLeft, colText2)
		c.btn("to-queue", image.Rect(body.Min.X+12, body.Min.Y+130, body.Min.X+300, body.Min.Y+210), "Go to queue", fBig, colGood, colText, func() { c.go2(ScreenQueue) })
		return
	}
	split := body.Min.X + body.Dx()*56/100
	left := image.Rect(body.Min.X, body.Min.Y, split-pad, body.Max.Y)
	right := image.Rect(split+pad, body.Min.Y, body.Max.X, body.Max.Y)

	el, lap := c.clock(c.now)
	dur := time.Duration(r.DurationMS) * time.Millisecond
	c.text(image.Rect(left.Min.X+4, left.Min.Y, left.Max.X-150, left.Min.Y+38), fBig, true, r.Name, display.AlignLeft, colText)
	badge := image.Rect(left.Max.X-146, left.Min.Y+2, left.Max.X, left.Min.Y+36)
	c.canvas.RoundRect(c.px(badge), c.l.s(8), stateCol(r.State))
	c.text(badge.Inset(3), fBody, true, stateLabel(r.State), display.AlignCenter, colDark)
	c.text(image.Rect(left.Min.X+4, left.Min.Y+40, left.Max.X, left.Min.Y+64), fSmall, false,
		fmt.Sprintf("Run %d · %s · %s left", r.Run, carLabel(r), fmtClock(max(dur-el, 0))), display.AlignLeft, colText2)
	clock := image.Rect(left.Min.X, left.Min.Y+66, left.Max.X, left.Min.Y+150)
	c.text(clock, fClock, true, fmtClock(el), display.AlignLeft, colText)
	n := countLaps(r.Laps) + 1
	lapLine := fmt.Sprintf("Lap %d  %s", n, fmtClock(lap))
	resetCol := colText
	if r.Resets > 0 {
		resetCol = colWarn
	}
	c.text(image.Rect(left.Min.X+4, clock.Max.Y+4, left.Max.X-170, clock.Max.Y+44), fBig, true, lapLine, display.AlignLeft, colText)
	c.text(image.Rect(left.Max.X-170, clock.Max.Y+4, left.Max.X, clock.Max.Y+44), fBig, true, plural(r.Resets, "reset", "resets"), display.AlignRight, resetCol)
	best := "—"
	if r.BestMS > 0 {
		best = fmtLap(r.BestMS)
	}
	c.text(image.Rect(left.Min.X+4, clock.Max.Y+46, left.Max.X, clock.Max.Y+72), fSmall, false, "Best "+best, display.AlignLeft, colText2)
	// Lap list, newest first.
	y := clock.Max.Y + 76
	for i := len(r.Laps) - 1; i >= 0 && y+34 <= left.Max.Y; i-- {
		c.lapRow(image.Rect(left.Min.X, y, left.Max.X, y+34), r.Laps[i], r.MinLapMS, fBody)
		y += 36
	}

	// Actions: 2 columns × 4 rows.
	bw := (right.Dx() - pad) / 2
	bh := (right.Dy() - 3*pad) / 4
	cell := func(col, row int) image.Rectangle {
		x, y := right.Min.X+col*(bw+pad), right.Min.Y+row*(bh+pad)
		return image.Rect(x, y, x+bw, y+bh)
	}
	running, paused, ready := r.State == "running", r.State == "paused", r.State == "ready"
	live := running || paused
	on := func(ok bool, f func()) func() {
		if ok {
			return f
		}
		return nil
	}
	switch {
	case ready:
		c.btn("start", cell(0, 0), "Start", fBig, colGood, colText, c.start)
	case paused:
		c.btn("pause", cell(0, 0), "Resume", fBig, colGood, colText, c.pauseResume)
	default:
		c.btn("pause", cell(0, 0), "Pause", fBig, colWarnBtn, colDark, on(running, c.pauseResume))
	}
	if ready {
		// The car may change until the start.
		c.btn("change-car", cell(1, 0), "Change car", fBig, colInfoBtn, colText, func() { c.openKeyboard(kbTransponder, r.Transponder) })
	} else {
		c.btn("capture", cell(1, 0), "Capture lap", fBig, colInfoBtn, colText, on(running, c.capture))
	}
	c.btn("reset-plus", cell(0, 1), "+Reset", fBig, colWarnBtn, colDark, on(live, c.resetPlus))
	c.btn("reset-minus", cell(1, 1), "−Reset", fBig, colNeutral, colText, on(live && r.Resets > 0, c.resetMinus))
	c.btn("undo-finish", cell(0, 2), "Undo finish", fBig, colNeutral, colText, on(live && len(r.Laps) > 0, c.undoFalseFinish))
	c.btn("dnf", cell(1, 2), "DNF", fBig, colBadBtn, colText, on(running, c.dnf))
	if r.State == "over" {
		c.btn("to-review", cell(0, 3), "Review", fBig, colGood, colText, func() { c.go2(ScreenReview) })
	} else {
		c.btn("to-review", cell(0, 3), "Review", fBig, colNeutral, colText, func() { c.go2(ScreenReview) })
	}
	c.btn("end", cell(1, 3), "End race", fBig, colBadBtn, colText, on(live || ready, c.end))
}

// lapRow draws one lap: number, time, resets and flags.
func (c *Console) lapRow(r image.Rectangle, l mqtt.LapInfo, minLapMS int64, size int) {
	c.panel(r, colPanel)
	tcol := colText
	if !l.Valid || l.Deleted {
		tcol = colText3
	}
	c.text(image.Rect(r.Min.X+10, r.Min.Y, r.Min.X+60, r.Max.Y), size, true, "#"+strconv.Itoa(l.No), display.AlignLeft, colText2)
	c.text(image.Rect(r.Min.X+64, r.Min.Y, r.Min.X+190, r.Max.Y), size, true, fmtLap(l.TimeMS+l.PenaltyMS), display.AlignRight, tcol)
	var flags []string
	if l.Resets > 0 {
		flags = append(flags, plural(l.Resets, "reset", "resets"))
	}
	if l.Short {
		flags = append(flags, "short")
	}
	if l.Manual {
		flags = append(flags, "captured")
	}
	if l.HostTimed {
		flags = append(flags, "host-timed")
	}
	if l.Review {
		flags = append(flags, "REVIEW")
	}
	if l.DNF {
		flags = append(flags, "DNF")
	}
	if !l.Valid && !l.Deleted {
		flags = append(flags, "invalid")
	}
	if l.Deleted {
		flags = append(flags, "deleted")
	}
	fcol := colText2
	if !l.Valid || l.Short || l.DNF || l.Review {
		fcol = colWarn
	}
	c.text(image.Rect(r.Min.X+200, r.Min.Y, r.Max.X-8, r.Max.Y), fSmall, true, strings.Join(flags, " · "), display.AlignLeft, fcol)
}

func (c *Console) drawReview(body image.Rectangle) {
	r := c.view.Race
	if r == nil {
		c.text(image.Rect(body.Min.X+12, body.Min.Y+20, body.Max.X, body.Min.Y+70), fBig, true, "Nothing to review", display.AlignLeft, colText)
		return
	}
	head := image.Rect(body.Min.X, body.Min.Y, body.Max.X, body.Min.Y+40)
	c.text(image.Rect(head.Min.X+4, head.Min.Y, head.Max.X-300, head.Max.Y), fBig, true, r.Name+" · run "+strconv.Itoa(r.Run), display.AlignLeft, colText)
	result := "no result yet"
	if r.ResultMS > 0 {
		result = fmtLap(r.ResultMS)
	}
	rank := rankingLabel(c.view.Ranking, c.view.RankLaps)
	c.text(image.Rect(head.Max.X-300, head.Min.Y, head.Max.X, head.Min.Y+22), fSmall, false, stateLabel(r.State)+" · "+rank, display.AlignRight, colText2)
	c.text(image.Rect(head.Max.X-300, head.Min.Y+20, head.Max.X, head.Max.Y+4), fBody, true, "Result "+result, display.AlignRight, colAccent)

	actions := image.Rect(body.Min.X, body.Max.Y-64, body.Max.X, body.Max.Y)
	list := image.Rect(body.Min.X, head.Max.Y+pad+2, body.Max.X, actions.Min.Y-pad)
	rowH := 52
	rows := list.Dy() / (rowH + 4)
	c.scroll = min(c.scroll, max(0, len(r.Laps)-rows))
	y := list.Min.Y
	for i := c.scroll; i < len(r.Laps) && i < c.scroll+rows; i++ {
		l := r.Laps[i]
		row := image.Rect(list.Min.X, y, list.Max.X, y+rowH)
		bDel := image.Rect(row.Max.X-104, row.Min.Y, row.Max.X, row.Max.Y)
		bSplit := image.Rect(bDel.Min.X-86, row.Min.Y, bDel.Min.X-6, row.Max.Y)
		bEdit := image.Rect(bSplit.Min.X-80, row.Min.Y, bSplit.Min.X-6, row.Max.Y)
		bValid := image.Rect(bEdit.Min.X-116, row.Min.Y, bEdit.Min.X-6, row.Max.Y)
		c.lapRow(image.Rect(row.Min.X, row.Min.Y, bValid.Min.X-6, row.Max.Y), l, r.MinLapMS, fBody)
		raceID, no := r.ID, l.No
		if l.Deleted {
			c.btn(fmt.Sprintf("lap-restore-%d", no), bDel, "Restore", fBody, colGood, colText, func() {
				c.run(fmt.Sprintf("Lap %d restored", no), api.CmdLapRestore, api.LapArgs{Race: raceID, No: no}, &undoable{"Delete", api.CmdLapDelete, api.LapArgs{Race: raceID, No: no}})
			})
		} else {
			valid := !l.Valid
			label, bg, fg := "Invalid", colWarnBtn, colDark
			if l.Valid {
				label, bg, fg = "Valid", colGood, colText
			}
			c.btn(fmt.Sprintf("lap-valid-%d", no), bValid, label, fBody, bg, fg, func() {
				c.run(fmt.Sprintf("Lap %d %s", no, map[bool]string{true: "valid", false: "invalid"}[valid]), api.CmdLapValid,
					api.LapArgs{Race: raceID, No: no, Valid: &valid}, &undoable{"Toggle back", api.CmdLapValid, api.LapArgs{Race: raceID, No: no, Valid: ptr(!valid)}})
			})
			c.btn(fmt.Sprintf("lap-edit-%d", no), bEdit, "Edit", fBody, colInfoBtn, colText, func() { c.openEditor(edEdit, raceID, no, l.TimeMS) })
			c.btn(fmt.Sprintf("lap-split-%d", no), bSplit, "Split", fBody, colInfoBtn, colText, func() { c.openEditor(edSplit, raceID, no, l.TimeMS) })
			c.btn(fmt.Sprintf("lap-delete-%d", no), bDel, "Delete", fBody, colNeutral, colText, func() {
				c.confirm(fmt.Sprintf("Delete lap %d?", no), "It stays in the records and can be restored.", "Delete", func() {
					c.run(fmt.Sprintf("Lap %d deleted", no), api.CmdLapDelete, api.LapArgs{Race: raceID, No: no}, &undoable{"Restore", api.CmdLapRestore, api.LapArgs{Race: raceID, No: no}})
				})
			})
		}
		y += rowH + 4
	}
	if len(r.Laps) == 0 {
		c.text(image.Rect(list.Min.X+12, list.Min.Y, list.Max.X, list.Min.Y+40), fBody, false, "No laps recorded.", display.AlignLeft, colText2)
	}

	// Bottom: scroll, add a missed lap, discard, submit.
	w := (actions.Dx() - 4*pad) / 5
	cell := func(i int) image.Rectangle {
		x := actions.Min.X + i*(w+pad)
		return image.Rect(x, actions.Min.Y, x+w, actions.Max.Y)
	}
	c.scrollButtons(image.Rect(cell(0).Min.X, actions.Min.Y, cell(0).Max.X, actions.Max.Y), len(r.Laps), rows)
	over := r.State == "over"
	final := finalState(r.State)
	raceID := r.ID
	c.btn("lap-add", cell(1), "Add lap", fBody, colInfoBtn, colText, func() { c.openEditor(edAdd, raceID, len(r.Laps), 0) })
	var discard, submit func()
	if !final {
		discard = c.discard
	}
	if over {
		submit = c.submit
	}
	c.btn("discard", cell(2), "Discard", fBody, colBadBtn, colText, discard)
	c.btn("submit", image.Rect(cell(3).Min.X, actions.Min.Y, actions.Max.X, actions.Max.Y), "Submit", fBig, colGood, colText, submit)
}

func ptr[T any](v T) *T { return &v }

func (c *Console) drawHealth(body image.Rectangle) {
	h := c.view.Health
	line := func(x0, x1 int, y *int, label, value string, col color.RGBA) {
		c.text(image.Rect(x0, *y, x0+170, *y+30), fBody, false, label, display.AlignLeft, colText2)
		c.text(image.Rect(x0+170, *y, x1, *y+30), fBody, true, value, display.AlignLeft, col)
		*y += 34
	}
	split := body.Min.X + body.Dx()*55/100
	y := body.Min.Y
	c.text(image.Rect(body.Min.X, y, split, y+34), fBig, true, "Timing inputs", display.AlignLeft, colText)
	y += 40
	for _, s := range h.Sensors {
		col := colOK
		if s.State != "ok" {
			col = colBad
		}
		r := image.Rect(body.Min.X, y, split-pad, y+82)
		c.panel(r, colPanel)
		c.text(image.Rect(r.Min.X+10, r.Min.Y+2, r.Max.X-10, r.Min.Y+32), fBody, true, s.Name+" · "+s.State, display.AlignLeft, col)
		c.text(image.Rect(r.Min.X+10, r.Min.Y+32, r.Max.X-10, r.Min.Y+56), fSmall, false,
			fmt.Sprintf("%d crossings · %d rejects · %d chatter · %d foreign", s.Crossings, s.Rejects, s.Chatter, s.Foreign), display.AlignLeft, colText2)
		detail := fmt.Sprintf("%d lost · %d reconnects", s.Lost, s.Reconnect)
		if s.Detail != "" {
			detail += " · " + s.Detail
		}
		c.text(image.Rect(r.Min.X+10, r.Min.Y+56, r.Max.X-10, r.Max.Y-2), fSmall, false, detail, display.AlignLeft, colText2)
		y += 88
	}
	if len(h.Sensors) == 0 {
		c.text(image.Rect(body.Min.X, y, split, y+30), fBody, false, "No timing input configured", display.AlignLeft, colWarn)
		y += 34
	}
	line(body.Min.X, split, &y, "Recorded", strconv.FormatUint(h.Recorded, 10)+" crossings", colText)
	foreign := fmt.Sprintf("%d foreign · %d refused", h.Foreign, h.Rejected)
	line(body.Min.X, split, &y, "Not timed", foreign, colText2)

	x := split + pad
	y = body.Min.Y
	brokerCol := colOK
	if h.Broker != "connected" {
		brokerCol = colWarn
	}
	line(x, body.Max.X, &y, "Broker", h.Broker, brokerCol)
	obCol := colText
	if h.OutboxDepth > 100 {
		obCol = colWarn
	}
	line(x, body.Max.X, &y, "Outbox", strconv.Itoa(h.OutboxDepth)+" waiting", obCol)
	freeCol, free := colText, fmtBytes(h.FreeBytes)
	switch {
	case !h.StoreOK:
		freeCol, free = colBad, "store stopped: see the log"
	case h.Storage == "full":
		freeCol, free = colBad, free+" · FULL: races not armed"
	case h.Storage == "low":
		freeCol, free = colWarn, free+" · low"
	}
	line(x, body.Max.X, &y, "Free storage", free, freeCol)
	if h.StorageDetail != "" {
		c.text(image.Rect(x, y-4, body.Max.X, y+20), fSmall, false, h.StorageDetail, display.AlignLeft, colWarn)
		y += 22
	}
	clk, clkCol := "synced", colText
	if !h.ClockSynced {
		clk, clkCol = "not synced", colWarn
	}
	line(x, body.Max.X, &y, "Clock", clk, clkCol)
	line(x, body.Max.X, &y, "Version", h.Version, colText)
	conn := "connected"
	if !c.ts.Connected() {
		conn = "away"
	}
	line(x, body.Max.X, &y, "Trackside", conn, colText)
	addrs := strings.Join(h.Addrs, "  ")
	if addrs == "" {
		addrs = "none"
	}
	c.text(image.Rect(x, y, x+170, y+30), fBody, false, "Addresses", display.AlignLeft, colText2)
	y += 32
	for _, a := range h.Addrs {
		if y+30 > body.Max.Y {
			break
		}
		c.text(image.Rect(x+10, y, body.Max.X, y+28), fSmall, true, a, display.AlignLeft, colText)
		y += 28
	}
}

func fmtBytes(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%d MB", b>>20)
	}
	return fmt.Sprintf("%d kB", b>>10)
}

// rankingLabel names the event's ranking for people: "best lap", "best
// average of 3", "total time of 5".
func rankingLabel(method string, n int) string {
	switch method {
	case "best-lap":
		return "best lap"
	case "best-average":
		return fmt.Sprintf("best average of %d", n)
	case "total-time":
		return fmt.Sprintf("total time of %d", n)
	}
	return method
}

// carLabel says which transponder times the race.
func carLabel(r *api.Race) string {
	switch {
	case r.Transponder == "":
		return "car: first to cross"
	case r.Binding == "learned":
		return "car " + r.Transponder + " (learned)"
	}
	return "car " + r.Transponder
}
