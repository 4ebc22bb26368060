package light

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// wait is one timer the pattern player asked for.
type wait struct {
	d    time.Duration
	fire chan time.Time
}

// fakeClock hands each timer to the test, which advances time and fires it.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits chan wait
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Unix(1000, 0), waits: make(chan wait, 16)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	w := wait{d: d, fire: make(chan time.Time, 1)}
	c.waits <- w
	return w.fire
}

// step takes the next timer the player set, checks its duration, advances
// time by by (late ticks: by > want) and fires it.
func (c *fakeClock) step(t *testing.T, want, by time.Duration) {
	t.Helper()
	select {
	case w := <-c.waits:
		if w.d != want {
			t.Fatalf("player waits %v, want %v", w.d, want)
		}
		c.mu.Lock()
		c.t = c.t.Add(by)
		now := c.t
		c.mu.Unlock()
		w.fire <- now
	case <-time.After(5 * time.Second):
		t.Fatal("player set no timer")
	}
}

// settle waits until the player has acted on the last tick: it sets its
// next timer only after writing the pin.
func (c *fakeClock) settle(t *testing.T) wait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(5 * time.Second):
		t.Fatal("player set no timer")
		return wait{}
	}
}

func newTestLight() (*Light, *gpiotest.Pin, *fakeClock) {
	pin := &gpiotest.Pin{N: "GPIO17", Num: 17}
	clk := newFakeClock()
	l := New(pin)
	l.clock = clk
	l.log = slog.New(slog.DiscardHandler)
	return l, pin, clk
}

func level(p *gpiotest.Pin) gpio.Level {
	p.Lock()
	defer p.Unlock()
	return p.L
}

func TestSet(t *testing.T) {
	l, pin, _ := newTestLight()
	for _, on := range []bool{true, false, true} {
		if err := l.Set(on); err != nil {
			t.Fatal(err)
		}
		if got := level(pin); got != gpio.Level(on) {
			t.Errorf("after Set(%v) pin is %v", on, got)
		}
	}
}

func TestShowSteadyStates(t *testing.T) {
	tests := []struct {
		state string
		want  gpio.Level
	}{
		{"ok", gpio.High},
		{"racing", gpio.High},
		{"off", gpio.Low},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			l, pin, clk := newTestLight()
			pin.L = !tt.want
			if err := l.Show(tt.state); err != nil {
				t.Fatal(err)
			}
			if got := level(pin); got != tt.want {
				t.Errorf("pin %v, want %v", got, tt.want)
			}
			select {
			case w := <-clk.waits:
				t.Errorf("steady state set a %v timer", w.d)
			default:
			}
		})
	}
}

func TestShowBlinkSequence(t *testing.T) {
	const ms = time.Millisecond
	type step struct {
		want, by time.Duration // timer the player asks for, time that passes
		level    gpio.Level    // level after it fires
	}
	tests := []struct {
		state string
		steps []step
	}{
		{"degraded", []step{
			{500 * ms, 500 * ms, gpio.Low}, {500 * ms, 500 * ms, gpio.High},
			{500 * ms, 500 * ms, gpio.Low}, {500 * ms, 500 * ms, gpio.High},
		}},
		{"down", []step{
			{100 * ms, 100 * ms, gpio.Low}, {100 * ms, 100 * ms, gpio.High}, {100 * ms, 100 * ms, gpio.Low},
		}},
		{"degraded with late ticks keeps its phase", []step{
			{500 * ms, 650 * ms, gpio.Low},   // at 650
			{350 * ms, 400 * ms, gpio.High},  // at 1050
			{450 * ms, 1000 * ms, gpio.High}, // at 2050: a whole period late, on again
			{450 * ms, 450 * ms, gpio.Low},   // at 2500
		}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			l, pin, clk := newTestLight()
			defer l.Close()
			state, _, _ := strings.Cut(tt.state, " ")
			if err := l.Show(state); err != nil {
				t.Fatal(err)
			}
			if got := level(pin); got != gpio.High {
				t.Fatalf("pin %v right after Show, want on", got)
			}
			for i, s := range tt.steps {
				clk.step(t, s.want, s.by)
				next := clk.settle(t) // the pin is written before the next timer
				if got := level(pin); got != s.level {
					t.Fatalf("step %d: pin %v, want %v", i, got, s.level)
				}
				clk.waits <- next // hand it back for the next step
			}
		})
	}
}

func TestShowUnknownStateChangesNothing(t *testing.T) {
	l, pin, _ := newTestLight()
	if err := l.Show("ok"); err != nil {
		t.Fatal(err)
	}
	if err := l.Show("purple"); err == nil || !strings.Contains(err.Error(), "purple") {
		t.Fatalf("Show(purple) = %v", err)
	}
	if got := level(pin); got != gpio.High {
		t.Errorf("pin %v after a rejected Show, want it still on", got)
	}
}

func TestSetStopsPattern(t *testing.T) {
	l, pin, clk := newTestLight()
	if err := l.Show("down"); err != nil {
		t.Fatal(err)
	}
	w := clk.settle(t)
	if err := l.Set(false); err != nil {
		t.Fatal(err)
	}
	w.fire <- clk.now() // a tick after Set must not reach the pin
	select {
	case w := <-clk.waits:
		t.Fatalf("pattern still running after Set: it set a %v timer", w.d)
	case <-time.After(20 * time.Millisecond):
	}
	if got := level(pin); got != gpio.Low {
		t.Errorf("pin %v, want off", got)
	}
}

func TestBlink(t *testing.T) {
	l, pin, clk := newTestLight()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Blink(ctx, 200*time.Millisecond) }()
	clk.step(t, 100*time.Millisecond, 100*time.Millisecond)
	w := clk.settle(t)
	if got := level(pin); got != gpio.Low {
		t.Errorf("pin %v half a period in, want off", got)
	}
	clk.waits <- w
	clk.step(t, 100*time.Millisecond, 100*time.Millisecond)
	clk.settle(t)
	if got := level(pin); got != gpio.High {
		t.Errorf("pin %v a period in, want on", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Blink = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Blink did not return after cancel")
	}
	if got := level(pin); got != gpio.Low {
		t.Errorf("pin %v after Blink, want off", got)
	}
}

func TestBlinkTakenOverByShow(t *testing.T) {
	l, pin, clk := newTestLight()
	done := make(chan error, 1)
	go func() { done <- l.Blink(context.Background(), time.Second) }()
	clk.settle(t) // Blink is playing
	if err := l.Show("ok"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Blink = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Blink still running after Show took over")
	}
	if got := level(pin); got != gpio.High {
		t.Errorf("pin %v, want Show's steady on (Blink must not switch it off)", got)
	}
}

func TestBlinkRejectsBadPeriod(t *testing.T) {
	l, pin, _ := newTestLight()
	pin.L = gpio.High
	for _, p := range []time.Duration{0, -time.Second, 1} {
		if err := l.Blink(context.Background(), p); err == nil {
			t.Errorf("Blink(%v) succeeded", p)
		}
	}
	if got := level(pin); got != gpio.High {
		t.Error("rejected Blink changed the pin")
	}
}

// failingPin is a pin whose writes fail, as a pin claimed by another driver.
type failingPin struct{ gpiotest.Pin }

func (p *failingPin) Out(gpio.Level) error { return errors.New("device or resource busy") }

func TestPinFailureIsReported(t *testing.T) {
	l := New(&failingPin{gpiotest.Pin{N: "GPIO27"}})
	l.log = slog.New(slog.DiscardHandler)
	if err := l.Set(true); err == nil || !strings.Contains(err.Error(), "GPIO27") {
		t.Errorf("Set = %v, want an error naming the pin", err)
	}
	if err := l.Show("down"); err == nil {
		t.Error("Show on a failing pin succeeded")
	}
	if err := l.Blink(context.Background(), time.Second); err == nil {
		t.Error("Blink on a failing pin succeeded")
	}
}

func TestOpenUnknownPin(t *testing.T) {
	if _, err := Open("NO_SUCH_PIN"); err == nil || !strings.Contains(err.Error(), "NO_SUCH_PIN") {
		t.Errorf("Open(NO_SUCH_PIN) = %v, want an error naming it", err)
	}
	if _, err := Open(""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}
