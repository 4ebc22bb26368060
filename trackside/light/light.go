// Package light drives the trackside's lamps through periph.io: a status
// LED showing the unit's state, and a start light. The pin is any
// gpio.PinOut, so tests use periph's gpiotest.Pin.
package light

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// clock is the time a pattern is played against; tests step it by hand.
type clock interface {
	now() time.Time
	after(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) now() time.Time                         { return time.Now() }
func (realClock) after(d time.Duration) <-chan time.Time { return time.After(d) }

// run is a pattern being played in the background.
type run struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done closes
}

// Light is one lamp on a GPIO output. Its methods are safe for concurrent
// use; the last call wins (a Set or Show stops a pattern in progress).
type Light struct {
	pin   gpio.PinOut
	log   *slog.Logger
	clock clock

	mu  sync.Mutex
	cur *run
}

// New returns a light on pin. It touches no hardware.
func New(pin gpio.PinOut) *Light {
	return &Light{pin: pin, log: slog.Default(), clock: realClock{}}
}

// Open initialises periph's host drivers and returns the light on the pin
// with that name ("GPIO17"), switched off.
func Open(name string) (*Light, error) {
	if name == "" {
		return nil, errors.New("open light: empty pin name")
	}
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("open light %s: init periph host: %w", name, err)
	}
	pin := gpioreg.ByName(name)
	if pin == nil {
		return nil, fmt.Errorf("open light %s: no such gpio pin on this host", name)
	}
	l := New(pin)
	if err := l.Set(false); err != nil {
		return nil, fmt.Errorf("open light: %w", err)
	}
	return l, nil
}

// Set switches the light on or off, stopping any pattern.
func (l *Light) Set(on bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopLocked()
	return l.out(on)
}

// Close stops any pattern and switches the light off.
func (l *Light) Close() error { return l.Set(false) }

// Show plays the pattern of a unit state (see PatternFor) until the next
// Set, Show, Blink or Close. An unknown state is an error and changes
// nothing. A pin failure while the pattern plays stops it and is logged.
func (l *Light) Show(state string) error {
	p, err := PatternFor(state)
	if err != nil {
		return err
	}
	_, err = l.begin(context.Background(), p)
	return err
}

// Blink flashes the light, on for half of period and off for the other half,
// until ctx is done, then switches it off and returns nil. It returns early
// if a Set, Show or another Blink takes the light over, or with an error if
// the pin fails.
func (l *Light) Blink(ctx context.Context, period time.Duration) error {
	if period < 2 {
		return fmt.Errorf("light: blink period %v too short", period)
	}
	r, err := l.begin(ctx, Pattern{On: period / 2, Off: period - period/2})
	if err != nil {
		return err
	}
	<-r.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != r {
		return r.err // taken over: the new owner decides the level
	}
	l.cur = nil
	if r.err != nil {
		return r.err
	}
	return l.out(false)
}

// begin stops what plays, sets the pattern's first level and, unless it is
// steady (then it returns no run), plays the rest in the background until
// ctx is done.
func (l *Light) begin(ctx context.Context, p Pattern) (*run, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopLocked()
	start := l.clock.now()
	if err := l.out(p.Level(0)); err != nil {
		return nil, err
	}
	if p.Steady() {
		return nil, nil // nothing more to play
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &run{cancel: cancel, done: make(chan struct{})}
	l.cur = r
	go func() {
		defer close(r.done)
		r.err = l.play(rctx, p, start)
		if r.err != nil {
			l.log.Warn("light: pattern stopped", "err", r.err)
		}
	}()
	return r, nil
}

// play sets the pattern's level at each change until ctx is done. Each
// level is computed from the time elapsed since start, so the pattern keeps
// its phase however late a tick is.
func (l *Light) play(ctx context.Context, p Pattern, start time.Time) error {
	var elapsed time.Duration
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.clock.after(p.untilChange(elapsed)):
		}
		elapsed = l.clock.now().Sub(start)
		if err := l.out(p.Level(elapsed)); err != nil {
			return err
		}
	}
}

// stopLocked ends the pattern in progress and waits until it no longer
// touches the pin. l.mu must be held; play never takes it.
func (l *Light) stopLocked() {
	if l.cur == nil {
		return
	}
	l.cur.cancel()
	<-l.cur.done
	l.cur = nil
}

func (l *Light) out(on bool) error {
	level := gpio.Low
	if on {
		level = gpio.High
	}
	if err := l.pin.Out(level); err != nil {
		return fmt.Errorf("light %s: set %s: %w", l.pin, level, err)
	}
	return nil
}
