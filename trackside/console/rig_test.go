package console

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pitwall/trackside/console/api"
	"pitwall/trackside/pin"
	"pitwall/trackside/race"
	"pitwall/trackside/unit"
)

// The official the tests unlock as.
const (
	testOfficial = "Ana Ruiz"
	testPIN      = "2468"
)

// unitConfig is a trackside with a simulated car, the console socket in
// dir, and the official's start (so the test's Start tap starts the clock).
func unitConfig(dir, brokerURL string, speed float64) unit.Config {
	dur, minLap := unit.Duration(10*time.Minute), unit.Duration(0)
	return unit.Config{
		Track: "c1", DataDir: filepath.Join(dir, "data"),
		Broker:   unit.BrokerConfig{URL: brokerURL},
		Rules:    unit.RulesConfig{Duration: &dur, StartMode: "official", MinLap: &minLap},
		Sources:  []unit.SourceSpec{{Type: "sim", Name: "sim", Cars: 1, Speed: speed, Seed: 7}},
		LogLevel: "warn", Health: unit.Duration(30 * time.Second),
		Console: unit.ConsoleConfig{Socket: filepath.Join(dir, "console.sock")},
	}
}

// runUnit starts a trackside in this process; the returned stop ends it.
func runUnit(t testing.TB, cfg unit.Config, racers ...race.Racer) (*unit.Unit, func()) {
	t.Helper()
	u, err := unit.New(cfg, unit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hashed, err := pin.Hash(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	if err := unit.SetPINIn(u.Store(), testOfficial, hashed); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	for _, r := range racers {
		if err := u.Track().PutRacer(ctx, "test", r); err != nil {
			t.Fatal(err)
		}
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("unit: %v", err)
		}
	}
	t.Cleanup(stop)
	return u, stop
}

// rig drives a headless console with synthetic touches. Its clock is
// synthetic too: taps are 200 ms apart, never a flood.
type rig struct {
	t      testing.TB
	client *api.Client
	c      *Console
	now    time.Time
	views  int // views received
}

func newRig(t testing.TB, sock string, w, h int) *rig {
	t.Helper()
	client := api.NewClient(sock, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go client.Run(ctx, 50*time.Millisecond)
	c, err := New(Config{Width: w, Height: h}, client)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, client: client, c: c, now: time.Now()}
}

// pump takes the views that arrived.
func (r *rig) pump() {
	for {
		select {
		case v := <-r.client.Views():
			r.views++
			r.c.SetView(v, r.now)
		default:
			return
		}
	}
}

// waitView waits (up to 20 s) for the console's view to satisfy ok.
func (r *rig) waitView(what string, ok func(v *api.View) bool) {
	r.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.pump()
		if r.c.haveView && ok(&r.c.view) {
			return
		}
		select {
		case v := <-r.client.Views():
			r.views++
			r.c.SetView(v, r.now)
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			r.t.Fatalf("waiting for %s: last view %+v (race %+v)", what, r.c.view, r.c.view.Race)
		}
	}
}

// button finds a drawn button by id.
func (r *rig) button(id string) (button, bool) {
	r.c.Draw(r.now)
	for _, b := range r.c.buttons {
		if b.id == id {
			return b, true
		}
	}
	return button{}, false
}

// tap touches the centre of the button id, as a finger would: the event
// goes through Handle and acts when it settles.
func (r *rig) tap(id string) {
	r.t.Helper()
	r.pump()
	b, ok := r.button(id)
	if !ok {
		r.t.Fatalf("no button %q on the %s screen (message %q)", id, r.c.screen, r.c.msg)
	}
	if b.act == nil {
		r.t.Fatalf("button %q is disabled on the %s screen (race %+v)", id, r.c.screen, r.c.view.Race)
	}
	p := b.r.Min.Add(b.r.Max).Div(2)
	r.touch(p)
	if r.c.msgBad && r.now.Before(r.c.msgUntil) {
		r.t.Fatalf("tap %q: %s", id, r.c.msg)
	}
}

// touch taps at p and lets it settle.
func (r *rig) touch(p image.Point) {
	r.now = r.now.Add(200 * time.Millisecond)
	r.c.Handle(Tap{X: p.X, Y: p.Y}, r.now)
	r.now = r.now.Add(Settle)
	r.c.Tick(r.now)
	r.pump()
	r.c.Draw(r.now)
}

func (r *rig) unlock() {
	r.t.Helper()
	for _, d := range testPIN {
		r.tap("pin-" + string(d))
	}
	r.tap("pin-ok")
	if r.c.Official() != testOfficial {
		r.t.Fatalf("unlock: official %q, message %q", r.c.Official(), r.c.msg)
	}
}

func lapsOf(v *api.View) int {
	if v.Race == nil {
		return 0
	}
	return len(v.Race.Laps)
}

func stateOf(v *api.View) string {
	if v.Race == nil {
		return ""
	}
	return v.Race.State
}

// writeConfig writes cfg as a trackside.json for a trackside process.
func writeConfig(t *testing.T, dir string, cfg unit.Config) string {
	t.Helper()
	s := fmt.Sprintf(`{"track": %q, "data_dir": %q, "log_level": "warn",
		"rules": {"duration": "10m", "start_mode": "official", "min_lap": "0s"},
		"sources": [{"type": "sim", "name": "sim", "cars": 1, "speed": %g, "seed": 7}],
		"console": {"socket": %q}}`, cfg.Track, cfg.DataDir, cfg.Sources[0].Speed, cfg.Console.Socket)
	p := filepath.Join(dir, "trackside.json")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
