package console

import (
	"context"
	"image"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"pitwall/trackside/console/api"
)

// fakeRig is a rig over the fake trackside: screens and input only.
func fakeRig(t *testing.T, s Screen) (*Console, *fakeTrackside, *time.Time) {
	t.Helper()
	ts := &fakeTrackside{connected: true}
	c, err := New(Config{Width: 800, Height: 480}, ts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c.now = now
	c.SetView(sampleView(), now)
	if s != ScreenLock {
		c.official = testOfficial
		c.lastInput = now
		c.go2(s)
	}
	c.Draw(now)
	return c, ts, &now
}

func centre(t *testing.T, c *Console, id string) image.Point {
	t.Helper()
	for _, b := range c.buttons {
		if b.id == id {
			return b.r.Min.Add(b.r.Max).Div(2)
		}
	}
	t.Fatalf("no button %q", id)
	return image.Point{}
}

func TestTapActsAfterSettle(t *testing.T) {
	c, ts, now := fakeRig(t, ScreenLive)
	p := centre(t, c, "reset-plus")
	c.Handle(Tap{X: p.X, Y: p.Y}, *now)
	c.Tick(now.Add(Settle - time.Millisecond))
	if len(ts.cmds) != 0 {
		t.Fatalf("acted before settling: %v", ts.cmds)
	}
	c.Tick(now.Add(Settle))
	if len(ts.cmds) != 1 || ts.cmds[0] != api.CmdReset {
		t.Fatalf("commands %v, want one race.reset", ts.cmds)
	}
	// The undo offered is the opposite reset.
	c.Draw(now.Add(Settle))
	u := centre(t, c, "undo")
	c.Handle(Tap{X: u.X, Y: u.Y}, now.Add(time.Second))
	c.Tick(now.Add(time.Second + Settle))
	if len(ts.cmds) != 2 || ts.cmds[1] != api.CmdReset {
		t.Fatalf("commands %v, want the undo's race.reset", ts.cmds)
	}
}

// TestFloodNeitherCrashesNorActs: 10,000 taps in one second on the live
// screen's buttons and outside the panel act on nothing, and the console
// takes taps again once the flood is over.
func TestFloodNeitherCrashesNorActs(t *testing.T) {
	c, ts, now := fakeRig(t, ScreenLive)
	targets := []image.Point{centre(t, c, "pause"), centre(t, c, "reset-plus"), centre(t, c, "dnf"), {-5, -5}, {800, 480}, {1 << 30, -1 << 30}}
	rng := rand.New(rand.NewPCG(1, 2))
	at := *now
	for i := range 10000 {
		at = now.Add(time.Duration(i) * 100 * time.Microsecond) // 10,000 per second
		p := targets[rng.IntN(len(targets))]
		var ev Event = Tap{X: p.X, Y: p.Y}
		switch i % 4 {
		case 1:
			ev = LongPress{X: p.X, Y: p.Y}
		case 2:
			ev = Key{Name: "KPPLUS", Action: ActResetPlus}
		}
		c.Handle(ev, at)
		c.Tick(at)
		if i%500 == 0 {
			c.Draw(at)
		}
	}
	c.Tick(at.Add(Settle))
	if len(ts.cmds) != 0 {
		t.Fatalf("a flood acted: %v", ts.cmds)
	}
	if c.Floods() < 9999 {
		t.Errorf("%d events counted as a flood, want all but the first", c.Floods())
	}
	// Within the quiet time taps are still dropped; after it they act.
	p := centre(t, c, "reset-plus")
	c.Handle(Tap{X: p.X, Y: p.Y}, at.Add(FloodQuiet/2))
	c.Tick(at.Add(FloodQuiet/2 + Settle))
	if len(ts.cmds) != 0 {
		t.Fatalf("acted during the flood's quiet time: %v", ts.cmds)
	}
	later := at.Add(FloodQuiet/2 + FloodQuiet + time.Millisecond)
	c.Handle(Tap{X: p.X, Y: p.Y}, later)
	c.Tick(later.Add(Settle))
	if len(ts.cmds) != 1 {
		t.Fatalf("after the flood a tap gave %v, want one command", ts.cmds)
	}
}

func TestTouchOutsideThePanel(t *testing.T) {
	for _, s := range []Screen{ScreenLock, ScreenQueue, ScreenLive, ScreenReview, ScreenHealth} {
		c, ts, now := fakeRig(t, s)
		at := *now
		for _, p := range []image.Point{{-1, 0}, {0, -1}, {800, 10}, {10, 480}, {-1 << 31, 1<<31 - 1}} {
			at = at.Add(time.Second)
			c.Handle(Tap{X: p.X, Y: p.Y}, at)
			c.Tick(at.Add(Settle))
			c.Handle(Drag{X: p.X, Y: p.Y, DY: p.Y}, at.Add(Settle))
			c.Draw(at)
		}
		if len(ts.cmds) != 0 || c.Screen() != s {
			t.Errorf("%s: touches outside acted: %v, screen %s", s, ts.cmds, c.Screen())
		}
	}
}

// TestFloodThroughRun pushes 10,000 events through the run loop as fast
// as they come: the loop keeps drawing and acts on none.
func TestFloodThroughRun(t *testing.T) {
	c, ts, _ := fakeRig(t, ScreenLive)
	p := centre(t, c, "reset-plus") // before Run owns the console
	events := make(chan Event, 256)
	views := make(chan api.View)
	var frames countingSink
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, views, events, &frames) }()
	for range 10000 {
		events <- Tap{X: p.X, Y: p.Y}
	}
	time.Sleep(2 * Settle)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(ts.cmds) > 1 {
		t.Fatalf("a flood through Run acted %d times: %v", len(ts.cmds), ts.cmds[:5])
	}
	if frames.n() == 0 {
		t.Error("no frame shown")
	}
}

type countingSink struct {
	mu     sync.Mutex
	frames int
}

func (s *countingSink) Show(*image.RGBA, []image.Rectangle) error {
	s.mu.Lock()
	s.frames++
	s.mu.Unlock()
	return nil
}

func (s *countingSink) n() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frames
}

func TestIdleLock(t *testing.T) {
	c, ts, now := fakeRig(t, ScreenLive)
	c.Tick(now.Add(5*time.Minute - time.Second))
	if c.Screen() != ScreenLive {
		t.Fatalf("locked early: %s", c.Screen())
	}
	c.Tick(now.Add(5 * time.Minute))
	if c.Screen() != ScreenLock || c.Official() != "" {
		t.Fatalf("after 5 idle minutes: %s screen, official %q", c.Screen(), c.Official())
	}
	if ts.cmds[len(ts.cmds)-1] != "lock" {
		t.Errorf("the trackside connection was not locked: %v", ts.cmds)
	}
}

func TestUnlockByKeypadAndWrongPIN(t *testing.T) {
	c, ts, now := fakeRig(t, ScreenLock)
	at := *now
	press := func(a string) {
		at = at.Add(300 * time.Millisecond)
		c.Handle(Key{Name: "KP", Action: a}, at)
		c.Tick(at.Add(Settle))
	}
	for _, d := range "1111" {
		press(actDigitPrefix + string(d))
	}
	press(ActConfirm)
	if c.Screen() != ScreenLock || !c.msgBad {
		t.Fatalf("wrong PIN: %s screen, message %q", c.Screen(), c.msg)
	}
	for _, d := range testPIN {
		press(actDigitPrefix + string(d))
	}
	press(ActConfirm)
	if c.Screen() != ScreenLive || c.Official() != testOfficial {
		t.Fatalf("right PIN: %s screen for %q (%v)", c.Screen(), c.Official(), ts.cmds)
	}
	// Hotkeys on the live screen: DNF asks first; Esc cancels it.
	press(ActDNF)
	if c.dialog == nil {
		t.Fatal("DNF hotkey did not ask to confirm")
	}
	press(ActCancel)
	press(ActCapture)
	if got := ts.cmds[len(ts.cmds)-1]; got != api.CmdCapture {
		t.Errorf("capture hotkey sent %q", got)
	}
}

func TestRefusedCommandIsShown(t *testing.T) {
	c, ts, now := fakeRig(t, ScreenLive)
	ts.refuse = "race c1-7 is paused"
	p := centre(t, c, "capture")
	c.Handle(Tap{X: p.X, Y: p.Y}, *now)
	c.Tick(now.Add(Settle))
	if msg, bad := c.statusLine(); !bad || msg != "Lap captured: race c1-7 is paused" {
		t.Errorf("status line %q (bad %v)", msg, bad)
	}
}

func TestSearchFoldsAccents(t *testing.T) {
	c, _, _ := fakeRig(t, ScreenQueue)
	c.search = "zoe"
	if got := c.filteredRacers(); len(got) != 1 || got[0].Name != "Zoë Müller" {
		t.Errorf("search zoe: %+v", got)
	}
	c.search = "STRÖM"
	if got := c.filteredRacers(); len(got) != 1 || got[0].ID != "r4" {
		t.Errorf("search STRÖM: %+v", got)
	}
}

// slowTrackside answers every command after a delay, like a trackside
// busy committing.
type slowTrackside struct {
	fakeTrackside
	mu    sync.Mutex
	delay time.Duration
}

func (s *slowTrackside) Do(ctx context.Context, cmd string, args any) (api.Message, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fakeTrackside.Do(ctx, cmd, args)
}

func (s *slowTrackside) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cmds)
}

// TestTapsQueuedDuringACommandStillAct: taps that wait in the queue while
// a slow command runs are judged by when they happened, so three taps
// 150 ms apart are three taps, not a flood.
func TestTapsQueuedDuringACommandStillAct(t *testing.T) {
	ts := &slowTrackside{fakeTrackside: fakeTrackside{connected: true}, delay: 400 * time.Millisecond}
	c, err := New(Config{Width: 800, Height: 480}, ts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c.now = now
	c.SetView(sampleView(), now)
	c.official = testOfficial
	c.go2(ScreenLive)
	c.Draw(now)
	p := centre(t, c, "capture")
	events := make(chan Event, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, nil, events, &countingSink{}) }()
	for range 3 {
		events <- Timed{Event: Tap{X: p.X, Y: p.Y}, At: time.Now()}
		time.Sleep(150 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ts.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if n := ts.count(); n != 3 {
		t.Errorf("%d commands from three taps 150 ms apart, want 3", n)
	}
}
