package kiosk

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"time"

	"pitwall/display"
)

// Output is one destination of frames.
type Output struct {
	Name string
	Sink display.Sink
	// Detached outputs (a PNG file: encoding a 1080p frame takes tens of
	// milliseconds, far more on a Pi) are fed from their own goroutine,
	// so they never delay the screen. They read the kiosk's FrameCopy,
	// shared with each other and the HTTP preview: the render loop only
	// copies the damaged rectangles into it. Frames drawn while the
	// output is busy are merged: it gets the latest one, whole.
	Detached bool
	// MinInterval spaces a detached output's frames (0: as fast as it
	// goes). A PNG rewritten ten times a second while a race clock runs
	// would only wear the SD card.
	MinInterval time.Duration
}

// detached feeds one Output from its own goroutine, from the kiosk's
// FrameCopy: the render loop never waits for it, and every detached
// output shares the one copy.
type detached struct {
	out    Output
	frames *display.FrameCopy
	log    *slog.Logger
	shown  uint64 // generation of the copy the sink got last
}

// run hands the copy to the sink whenever it changed, at most once per
// MinInterval, until ctx is done. Frames drawn while the sink is busy are
// merged: it gets the latest one.
func (d *detached) run(ctx context.Context) {
	var last time.Time
	for {
		gen, changed := d.frames.Watch()
		if gen == d.shown {
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
			continue
		}
		if wait := d.out.MinInterval - time.Since(last); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		d.show(ctx)
		last = time.Now()
	}
}

// show hands the copy to the sink if it changed since the sink last got it.
func (d *detached) show(ctx context.Context) {
	err := d.frames.Read(ctx, func(frame *image.RGBA, gen uint64) error {
		if gen == d.shown {
			return nil
		}
		d.shown = gen
		return d.out.Sink.Show(frame, []image.Rectangle{frame.Rect})
	})
	if err != nil && ctx.Err() == nil {
		d.log.Error("output failed", "output", d.out.Name, "err", err)
	}
}

// frameSinks fans a frame out to the outputs.
type frameSinks struct {
	names []string
	sinks []display.Sink
	log   *slog.Logger
	// failing remembers outputs in error, so a broken one is logged when
	// it fails and when it recovers, not ten times a second.
	failing map[string]bool
}

func (f *frameSinks) add(name string, s display.Sink) {
	f.names = append(f.names, name)
	f.sinks = append(f.sinks, s)
}

// show shows frame to every output. With no damage nothing changed: a
// success then says nothing about an output's health.
func (f *frameSinks) show(frame *image.RGBA, damaged []image.Rectangle) {
	for i, s := range f.sinks {
		err := s.Show(frame, damaged)
		switch {
		case err != nil && !f.failing[f.names[i]]:
			f.failing[f.names[i]] = true
			f.log.Error("output failed", "output", f.names[i], "err", err)
		case err == nil && len(damaged) > 0 && f.failing[f.names[i]]:
			delete(f.failing, f.names[i])
			f.log.Info("output works again", "output", f.names[i])
		}
	}
}

func (o Output) validate() error {
	if o.Sink == nil {
		return fmt.Errorf("output %q: no sink", o.Name)
	}
	if o.MinInterval < 0 {
		return fmt.Errorf("output %q: negative interval", o.Name)
	}
	return nil
}
