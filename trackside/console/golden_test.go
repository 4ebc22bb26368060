package console

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/console/api"
)

var update = flag.Bool("update", false, "rewrite the golden screenshots in testdata (and docs/console)")

// fakeTrackside records commands; the screens tests need no trackside.
type fakeTrackside struct {
	cmds      []string
	connected bool
	refuse    string
}

func (f *fakeTrackside) Do(_ context.Context, cmd string, _ any) (api.Message, error) {
	f.cmds = append(f.cmds, cmd)
	if f.refuse != "" {
		return api.Message{}, &api.Error{Cmd: cmd, Message: f.refuse}
	}
	return api.Message{OK: true}, nil
}

func (f *fakeTrackside) Unlock(_ context.Context, pin string) (string, error) {
	f.cmds = append(f.cmds, "unlock")
	if pin != "2468" {
		return "", &api.Error{Cmd: "unlock", Message: "wrong PIN"}
	}
	return "Ana Ruiz", nil
}

func (f *fakeTrackside) Lock(context.Context) error { f.cmds = append(f.cmds, "lock"); return nil }
func (f *fakeTrackside) Connected() bool            { return f.connected }

// sampleView is a race in progress with every lap flag, a queue and health.
func sampleView() api.View {
	laps := []mqtt.LapInfo{
		{No: 1, TimeMS: 11234, Valid: true, HostTimed: true, Review: true},
		{No: 2, TimeMS: 10987, Valid: true, Resets: 1},
		{No: 3, TimeMS: 2100, Valid: false, Short: true},
		{No: 4, TimeMS: 14002, Valid: false, Resets: 4},
		{No: 5, TimeMS: 10555, Valid: true, Manual: true},
		{No: 6, TimeMS: 12001, Valid: false, Deleted: true},
	}
	r := &api.Race{LiveRace: mqtt.LiveRace{ID: "1-0007", RacerID: "r7", Name: "Olúwasẹ̀un Adé", Run: 2, State: "running",
		DurationMS: 180000, ElapsedMS: 83400, LapElapsedMS: 7300, Running: true, Resets: 1, BestMS: 10555, Laps: laps},
		ResultMS: 10555, MinLapMS: 3000, Transponder: "4410321", Binding: "learned"}
	return api.View{
		Track: "1", Ranking: "best-lap", MaxRuns: 3, Race: r,
		Queue: []string{"Zoë Müller", "Björn Ström", "Chloé Lefèvre"},
		Racers: []api.Racer{
			{ID: "r1", Name: "Zoë Müller", Runs: 1}, {ID: "r2", Name: "Mateo García", Runs: 3},
			{ID: "r3", Name: "Aiko Tanaka"}, {ID: "r4", Name: "Björn Ström", Runs: 2},
			{ID: "r5", Name: "Chloé Lefèvre", Runs: 1}, {ID: "r6", Name: "Priya Raman", Disqualified: true},
			{ID: "r7", Name: "Olúwasẹ̀un Adé", Runs: 2}, {ID: "r8", Name: "Lukas Novák"},
		},
		Health: api.Health{
			Version: "v1.4.0", Broker: "connected", OutboxDepth: 3, FreeBytes: 12 << 30, StoreOK: true, ClockSynced: true,
			Recorded: 1234, Foreign: 17, Storage: "ok", Addrs: []string{"192.168.1.20/24", "fe80::1/64"},
			Sensors: []mqtt.SensorStatus{{Name: "gate", State: "ok", Crossings: 1200, Rejects: 2, Chatter: 5, Foreign: 17},
				{Name: "p3", State: "ok", Crossings: 34, Lost: 1, Reconnect: 1}},
		},
	}
}

// goldenConsole is a console unlocked on screen s with the sample view.
func goldenConsole(t *testing.T, w, h int, s Screen) (*Console, time.Time) {
	t.Helper()
	c, err := New(Config{Width: w, Height: h}, &fakeTrackside{connected: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c.now = now
	c.SetView(sampleView(), now)
	if s != ScreenLock {
		c.official = "Ana Ruiz"
		c.go2(s)
	}
	return c, now
}

func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name  string
		setup func(c *Console, now time.Time)
	}{
		{"lock", func(c *Console, now time.Time) { c.screen = ScreenLock; c.pin = "24" }},
		{"queue", func(c *Console, now time.Time) { c.go2(ScreenQueue) }},
		{"keyboard", func(c *Console, now time.Time) {
			c.go2(ScreenQueue)
			c.openKeyboard(kbNewRacer, "Maëlle R")
		}},
		{"keyboard_accents", func(c *Console, now time.Time) {
			c.go2(ScreenQueue)
			c.openKeyboard(kbNewRacer, "Zo")
			c.keyboard.accents = true
		}},
		{"live", func(c *Console, now time.Time) {
			c.go2(ScreenLive)
			c.say("+Reset: done", false)
			c.undo = &undoable{"−Reset", api.CmdReset, api.ResetArgs{Delta: -1}}
		}},
		{"live_ready", func(c *Console, now time.Time) {
			v := sampleView()
			v.Race.State, v.Race.Running, v.Race.ElapsedMS, v.Race.LapElapsedMS = "ready", false, 0, 0
			v.Race.Laps, v.Race.Resets, v.Race.BestMS, v.Race.Transponder, v.Race.Binding = nil, 0, 0, "4410321", "preset"
			c.SetView(v, now)
			c.go2(ScreenLive)
		}},
		{"live_confirm", func(c *Console, now time.Time) { c.go2(ScreenLive); c.dnf() }},
		{"review", func(c *Console, now time.Time) {
			v := sampleView()
			v.Race.State, v.Race.Running = "over", false
			c.SetView(v, now)
			c.go2(ScreenReview)
		}},
		{"review_edit", func(c *Console, now time.Time) {
			c.go2(ScreenReview)
			c.openEditor(edEdit, "1-0007", 4, 14002)
			c.editor.digits = "13870"
		}},
		{"review_split", func(c *Console, now time.Time) {
			c.go2(ScreenReview)
			c.openEditor(edSplit, "1-0007", 2, 10987)
			c.editor.digits = "5410"
		}},
		{"health", func(c *Console, now time.Time) { c.go2(ScreenHealth) }},
	}
	for _, size := range [][2]int{{800, 480}, {1920, 1080}} {
		for _, tc := range cases {
			name := fmt.Sprintf("%s_%dx%d", tc.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				c, now := goldenConsole(t, size[0], size[1], ScreenQueue)
				tc.setup(c, now)
				frame := c.Draw(now)
				checkTargets(t, c)
				compareGolden(t, name, frame)
			})
		}
	}
}

// checkTargets: every touch target is at least 48 px at 800×480 (scaled
// with the screen on larger ones).
func checkTargets(t *testing.T, c *Console) {
	t.Helper()
	minPx := c.l.s(minTouch)
	for _, b := range c.buttons {
		if b.id == "modal" {
			continue
		}
		if b.r.Dx() < minPx || b.r.Dy() < minPx {
			t.Errorf("button %q is %dx%d px, under %d", b.id, b.r.Dx(), b.r.Dy(), minPx)
		}
		if !b.r.In(c.canvas.Bounds()) {
			t.Errorf("button %q at %v is off the screen", b.id, b.r)
		}
	}
}

func compareGolden(t *testing.T, name string, frame *image.RGBA) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, frame); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".png")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		docs := filepath.Join("..", "..", "docs", "console", name+".png")
		if err := os.MkdirAll(filepath.Dir(docs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docs, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update to create it)", path, err)
	}
	wi, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	if !wi.Bounds().Eq(frame.Bounds()) {
		t.Fatalf("golden %s is %v, frame %v", path, wi.Bounds(), frame.Bounds())
	}
	diff := 0
	for y := frame.Rect.Min.Y; y < frame.Rect.Max.Y; y++ {
		for x := frame.Rect.Min.X; x < frame.Rect.Max.X; x++ {
			r1, g1, b1, _ := wi.At(x, y).RGBA()
			r2, g2, b2, _ := frame.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				diff++
			}
		}
	}
	if diff > 0 {
		got := filepath.Join(t.TempDir(), name+".png")
		os.WriteFile(got, buf.Bytes(), 0o644)
		t.Errorf("%s: %d pixels differ from the golden; frame written to %s (rerun with -update if intended)", name, diff, got)
	}
}
