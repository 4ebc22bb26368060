package kiosk

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"pitwall/display"
)

// Output is one destination of frames.
type Output struct {
	Name string
	Sink display.Sink
	// Detached outputs (a PNG file: encoding a 1080p frame takes tens of
	// milliseconds, far more on a Pi) are fed from their own goroutine,
	// so they never delay the screen: the render loop only copies the
	// damaged rectangles into the output's back buffer. Frames drawn while
	// the output is busy are merged: it gets the latest one.
	Detached bool
	// MinInterval spaces a detached output's frames (0: as fast as it
	// goes). A PNG rewritten ten times a second while a race clock runs
	// would only wear the SD card.
	MinInterval time.Duration
}

// detached feeds one Output from its own goroutine.
type detached struct {
	out Output
	log *slog.Logger

	mu      sync.Mutex
	shared  *image.RGBA // latest frame, updated under mu by the render loop
	damage  image.Rectangle
	pending bool
	wake    chan struct{}

	private *image.RGBA // the goroutine's copy, handed to the sink
}

func newDetached(out Output, bounds image.Rectangle, log *slog.Logger) *detached {
	return &detached{
		out: out, log: log,
		shared:  image.NewRGBA(bounds),
		private: image.NewRGBA(bounds),
		wake:    make(chan struct{}, 1),
	}
}

// Show copies the damaged parts of frame and wakes the goroutine. It never
// waits for the sink.
func (d *detached) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	d.mu.Lock()
	for _, r := range damaged {
		r = r.Intersect(frame.Rect)
		copyRect(d.shared, frame, r)
		d.damage = d.damage.Union(r)
	}
	d.pending = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return nil
}

// run hands the latest frame to the sink until ctx is done, then flushes a
// frame still pending (the PNG on disk then shows the last board).
func (d *detached) run(ctx context.Context) {
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			d.flush()
			return
		case <-d.wake:
		}
		if wait := d.out.MinInterval - time.Since(last); wait > 0 {
			select {
			case <-ctx.Done():
				d.flush()
				return
			case <-time.After(wait):
			}
		}
		d.flush()
		last = time.Now()
	}
}

func (d *detached) flush() {
	d.mu.Lock()
	if !d.pending {
		d.mu.Unlock()
		return
	}
	r := d.damage
	copyRect(d.private, d.shared, r)
	d.damage, d.pending = image.Rectangle{}, false
	d.mu.Unlock()
	if err := d.out.Sink.Show(d.private, []image.Rectangle{r}); err != nil {
		d.log.Error("output failed", "output", d.out.Name, "err", err)
	}
}

// copyRect copies rectangle r of src into dst (same geometry).
func copyRect(dst, src *image.RGBA, r image.Rectangle) {
	r = r.Intersect(src.Rect).Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	n := r.Dx() * 4
	for y := r.Min.Y; y < r.Max.Y; y++ {
		so := src.PixOffset(r.Min.X, y)
		do := dst.PixOffset(r.Min.X, y)
		copy(dst.Pix[do:do+n], src.Pix[so:so+n])
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

func (f *frameSinks) show(frame *image.RGBA, damaged []image.Rectangle) {
	for i, s := range f.sinks {
		err := s.Show(frame, damaged)
		switch {
		case err != nil && !f.failing[f.names[i]]:
			f.failing[f.names[i]] = true
			f.log.Error("output failed", "output", f.names[i], "err", err)
		case err == nil && f.failing[f.names[i]]:
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
