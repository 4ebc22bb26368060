// Package console is the officials' console on the trackside's touchscreen:
// lock (PIN), queue, live race, review and health screens drawn with the
// display package into an RGBA frame.
//
// The console keeps no race state of its own: it draws the last View the
// trackside pushed (package api) and turns taps and keys into the
// trackside's commands. What it does keep is only what is on the glass: the
// screen shown, the digits typed, a dialog, a scroll position.
package console

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"time"

	"pitwall/display"
	"pitwall/trackside/console/api"
)

// Trackside is what the console needs of the trackside: api.Client, or a
// fake in tests of the screens alone.
type Trackside interface {
	Do(ctx context.Context, cmd string, args any) (api.Message, error)
	Unlock(ctx context.Context, pin string) (string, error)
	Lock(ctx context.Context) error
	Connected() bool
}

// Screen is one of the console's screens.
type Screen int

const (
	ScreenLock Screen = iota
	ScreenQueue
	ScreenLive
	ScreenReview
	ScreenHealth
)

func (s Screen) String() string {
	return [...]string{"lock", "queue", "live", "review", "health"}[s]
}

// Config of a Console.
type Config struct {
	Width, Height int
	// IdleLock locks the console after this long without a touch or key
	// (default 5 minutes).
	IdleLock time.Duration
	Logger   *slog.Logger
}

// Settle is how long a tap waits before it acts: an event arriving sooner
// means a flood (a faulty controller, a palm), and then nothing acts until
// FloodQuiet passes without events. No person taps twice within 40 ms.
const (
	Settle     = 40 * time.Millisecond
	FloodQuiet = time.Second
)

// Console is the officials' console. Its methods are called from one
// goroutine (the run loop, or a test).
type Console struct {
	cfg    Config
	log    *slog.Logger
	ts     Trackside
	canvas *display.Canvas
	l      layout

	view     api.View
	haveView bool
	viewAt   time.Time

	screen   Screen
	official string
	pin      string
	msg      string
	msgBad   bool
	msgUntil time.Time
	undo     *undoable

	dialog   *dialog
	keyboard *keyboard
	editor   *editor
	search   string
	scroll   int // first row shown in the current list
	lapSel   int // review: lap number selected (0: none)

	lastInput time.Time
	lastEvent time.Time
	pending   *pendingTap
	floodTo   time.Time
	floods    uint64 // events dropped as a flood, for tests and the health screen

	buttons []button // hit targets of the last Draw
	now     time.Time
}

type pendingTap struct {
	at time.Time
	ev Event
}

// button is a hit target drawn on screen.
type button struct {
	id   string
	r    image.Rectangle
	act  func()
	lock bool // works while locked (keypad)
}

// undoable is the inverse of the last action, offered for a few seconds.
type undoable struct {
	label string
	cmd   string
	args  any
}

// dialog asks to confirm a destructive action.
type dialog struct {
	text   string
	detail string
	ok     string
	run    func()
}

// New returns a Console drawing width×height frames, locked.
func New(cfg Config, ts Trackside) (*Console, error) {
	if cfg.IdleLock <= 0 {
		cfg.IdleLock = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cv, err := display.NewCanvas(cfg.Width, cfg.Height)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c := &Console{cfg: cfg, log: cfg.Logger, ts: ts, canvas: cv, screen: ScreenLock}
	c.l = newLayout(cfg.Width, cfg.Height)
	return c, nil
}

// Screen is the screen shown.
func (c *Console) Screen() Screen { return c.screen }

// Official is who unlocked the console, or "".
func (c *Console) Official() string { return c.official }

// Floods counts events dropped as part of a flood.
func (c *Console) Floods() uint64 { return c.floods }

// SetView takes a view pushed by the trackside, received at now.
func (c *Console) SetView(v api.View, now time.Time) {
	prev := c.view.Race
	c.view, c.haveView, c.viewAt = v, true, now
	// A race that ends moves the official to its review; a new race to
	// the live screen.
	if c.screen == ScreenLock || v.Race == nil {
		return
	}
	if prev == nil || prev.ID != v.Race.ID {
		if c.screen == ScreenQueue || c.screen == ScreenReview {
			c.go2(ScreenLive)
		}
		return
	}
	if prev.State != "over" && v.Race.State == "over" && c.screen == ScreenLive {
		c.go2(ScreenReview)
	}
}

// Handle takes one input event at now. A tap or key acts after Settle
// (Tick), unless more events follow: see Settle.
func (c *Console) Handle(ev Event, now time.Time) {
	c.now = now
	if d, ok := ev.(Drag); ok {
		c.drag(d)
		c.lastInput = now
		return
	}
	if p := c.pending; p != nil && !now.Before(p.at.Add(Settle)) {
		c.Tick(now) // a settled tap the loop has not run yet goes first
	}
	flood := !c.lastEvent.IsZero() && now.Sub(c.lastEvent) < Settle
	c.lastEvent = now
	if flood || now.Before(c.floodTo) {
		if c.pending != nil {
			c.pending = nil
			c.floods++
		}
		c.floods++
		c.floodTo = now.Add(FloodQuiet)
		return
	}
	c.pending = &pendingTap{at: now, ev: ev}
}

// Next is when Tick has something to do (a tap settling), or zero.
func (c *Console) Next() time.Time {
	if c.pending == nil {
		return time.Time{}
	}
	return c.pending.at.Add(Settle)
}

// Tick runs a settled tap or key and locks an idle console.
func (c *Console) Tick(now time.Time) {
	c.now = now
	if p := c.pending; p != nil && !now.Before(p.at.Add(Settle)) {
		c.pending = nil
		c.lastInput = now
		switch ev := p.ev.(type) {
		case Tap:
			c.tap(ev.X, ev.Y)
		case LongPress:
			c.tap(ev.X, ev.Y)
		case Key:
			c.key(ev)
		}
	}
	if c.screen != ScreenLock && !c.lastInput.IsZero() && now.Sub(c.lastInput) >= c.cfg.IdleLock {
		c.lock("locked after inactivity")
	}
}

func (c *Console) tap(x, y int) {
	p := image.Pt(x, y)
	if !p.In(c.canvas.Bounds()) {
		return
	}
	// The last drawn buttons, topmost (drawn last) first.
	for i := len(c.buttons) - 1; i >= 0; i-- {
		b := c.buttons[i]
		if p.In(b.r) {
			if b.act != nil {
				b.act()
			}
			return
		}
	}
}

func (c *Console) drag(d Drag) {
	if c.dialog != nil || c.keyboard != nil || c.editor != nil || c.screen == ScreenLock {
		return
	}
	rows := -d.DY / max(1, c.l.s(c.l.rowH))
	if rows != 0 {
		c.scroll = max(0, c.scroll+rows)
	}
}

func (c *Console) go2(s Screen) {
	c.screen, c.scroll, c.dialog, c.keyboard, c.editor = s, 0, nil, nil, nil
	if s != ScreenReview {
		c.lapSel = 0
	}
}

func (c *Console) say(msg string, bad bool) {
	c.msg, c.msgBad, c.msgUntil = msg, bad, c.now.Add(6*time.Second)
	if bad {
		c.undo = nil
	}
}

func (c *Console) lock(why string) {
	c.go2(ScreenLock)
	c.official, c.pin = "", ""
	c.undo = nil
	c.say(why, false)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.ts.Lock(ctx); err != nil && !errors.Is(err, api.ErrNotConnected) {
		c.log.Warn("console lock", "err", err)
	}
}

func (c *Console) unlock() {
	p := c.pin
	c.pin = ""
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	who, err := c.ts.Unlock(ctx, p)
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) {
			c.say(ae.Message, true)
		} else {
			c.say("trackside not reachable", true)
		}
		return
	}
	c.official = who
	c.msg = ""
	if c.view.Race != nil && !finalState(c.view.Race.State) {
		c.go2(ScreenLive)
	} else {
		c.go2(ScreenQueue)
	}
}

// run sends one command; ok says it was done. The view that shows its
// effect arrives before the reply.
func (c *Console) run(label, cmd string, args any, undo *undoable) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.ts.Do(ctx, cmd, args); err != nil {
		var ae *api.Error
		if errors.As(err, &ae) {
			c.say(label+": "+ae.Message, true)
		} else {
			c.log.Warn("console command failed", "cmd", cmd, "err", err)
			c.say(label+": trackside not reachable", true)
		}
		return false
	}
	c.say(label+": done", false)
	c.undo = undo
	return true
}

func (c *Console) confirm(text, detail, ok string, run func()) {
	c.dialog = &dialog{text: text, detail: detail, ok: ok, run: run}
}

func finalState(s string) bool { return s == "submitted" || s == "discarded" }

// key acts on a hotkey or, in a dialog or editor, on digits and confirm.
func (c *Console) key(k Key) {
	a := k.Action
	switch {
	case c.screen == ScreenLock:
		switch {
		case strings.HasPrefix(a, actDigitPrefix):
			c.pinDigit(a[len(actDigitPrefix):])
		case a == ActErase && len(c.pin) > 0:
			c.pin = c.pin[:len(c.pin)-1]
		case a == ActConfirm:
			c.unlock()
		}
		return
	case c.dialog != nil:
		switch a {
		case ActConfirm:
			d := c.dialog
			c.dialog = nil
			d.run()
		case ActCancel:
			c.dialog = nil
		}
		return
	case c.editor != nil:
		c.editorKey(a)
		return
	case c.keyboard != nil:
		c.keyboardKey(k)
		return
	}
	switch a {
	case ActResetPlus:
		c.resetPlus()
	case ActResetMinus:
		c.resetMinus()
	case ActCapture:
		c.capture()
	case ActStart:
		c.start()
	case ActPause:
		c.pauseResume()
	case ActDNF:
		c.dnf()
	case ActEnd:
		c.end()
	case ActUndoFalseFinish:
		c.undoFalseFinish()
	case ActCancel:
		c.undo = nil
	}
}

func (c *Console) pinDigit(d string) {
	if len(c.pin) < 12 {
		c.pin += d
	}
}

// The live actions, shared by buttons and hotkeys.

func (c *Console) resetPlus() {
	c.run("+Reset", api.CmdReset, api.ResetArgs{Delta: 1}, &undoable{"−Reset", api.CmdReset, api.ResetArgs{Delta: -1}})
}

func (c *Console) resetMinus() {
	c.run("−Reset", api.CmdReset, api.ResetArgs{Delta: -1}, &undoable{"+Reset", api.CmdReset, api.ResetArgs{Delta: 1}})
}

func (c *Console) capture() {
	c.run("Lap captured", api.CmdCapture, nil, &undoable{"Undo capture", api.CmdUndoFalseFinish, nil})
}

func (c *Console) start() { c.run("Started", api.CmdStart, nil, nil) }

func (c *Console) pauseResume() {
	if r := c.view.Race; r != nil && r.State == "paused" {
		c.run("Resumed", api.CmdResume, nil, &undoable{"Pause", api.CmdPause, nil})
		return
	}
	c.run("Paused", api.CmdPause, nil, &undoable{"Resume", api.CmdResume, nil})
}

func (c *Console) dnf() {
	c.confirm("DNF?", "The lap in progress is recorded as invalid and the race pauses.", "DNF", func() {
		c.run("DNF", api.CmdDNF, nil, &undoable{"Resume", api.CmdResume, nil})
	})
}

func (c *Console) end() {
	c.confirm("End the race?", "The race stops now; review and submit follow.", "End race", func() {
		c.run("Race ended", api.CmdEnd, nil, nil)
	})
}

func (c *Console) undoFalseFinish() {
	c.confirm("Undo false finish?", "The last lap merges back into the lap in progress.", "Undo finish", func() {
		c.run("False finish undone", api.CmdUndoFalseFinish, nil, nil)
	})
}

func (c *Console) submit() {
	r := c.view.Race
	if r == nil {
		return
	}
	c.confirm("Submit "+r.Name+"'s race?", "The result goes on the standings. Lap corrections stay possible.", "Submit", func() {
		c.run("Submitted", api.CmdSubmit, nil, nil)
	})
}

func (c *Console) discard() {
	r := c.view.Race
	if r == nil {
		return
	}
	c.confirm("Discard "+r.Name+"'s race?", "It is kept in the records but never ranked.", "Discard", func() {
		c.run("Discarded", api.CmdDiscard, nil, nil)
	})
}

func (c *Console) doUndo() {
	u := c.undo
	c.undo = nil
	if u != nil {
		c.run(u.label, u.cmd, u.args, nil)
	}
}

// clock returns the race's elapsed and lap clocks now, extrapolated from
// the view while the race runs.
func (c *Console) clock(now time.Time) (elapsed, lap time.Duration) {
	r := c.view.Race
	if r == nil {
		return 0, 0
	}
	elapsed = time.Duration(r.ElapsedMS) * time.Millisecond
	lap = time.Duration(r.LapElapsedMS) * time.Millisecond
	if r.Running && now.After(c.viewAt) {
		d := now.Sub(c.viewAt)
		elapsed += d
		lap += d
	}
	return elapsed, lap
}
