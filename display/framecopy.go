package display

import (
	"context"
	"errors"
	"image"
	"sync"
)

// ErrNoFrame is returned by FrameCopy.Read when no frame has been shown.
var ErrNoFrame = errors.New("no frame drawn yet")

// maxBehind bounds the rectangles a FrameCopy remembers while a reader
// holds it; past that they are merged into their union.
const maxBehind = 32

// FrameCopy is a copy of a Renderer's frame for goroutines other than the
// render loop: the PNG file output and the HTTP preview encode from it
// (tens of milliseconds a frame, far more on a Pi) while the render loop
// draws on. All readers share the one copy (8.3 MB at 1080p), and the
// render loop never waits for them: while a reader holds the copy, Show
// only notes which rectangles changed, and the copy catches up on the
// first Show after the last reader is done. Readers never see a frame half
// drawn or half copied.
//
// A FrameCopy is a Sink that the render loop Shows every frame, and again
// (with no damage) whenever Stale fires. It holds no memory and ignores
// Shows until its first reader (Watch or Read): a kiosk whose HTTP preview
// nobody opens pays nothing for it.
type FrameCopy struct {
	mu        sync.Mutex
	following bool              // a reader came: Shows keep the copy current
	shown     bool              // a frame was shown (the renderer has drawn)
	frame     *image.RGBA       // the copy; nil until the first Show after following
	behind    []image.Rectangle // changed in the renderer's frame, not yet in the copy
	readers   int
	gen       uint64        // counts updates of the copy; 0: never filled
	changed   chan struct{} // closed and replaced when gen increases
	stale     chan struct{} // capacity 1: the copy is behind and free to update
}

// NewFrameCopy returns an empty FrameCopy.
func NewFrameCopy() *FrameCopy {
	return &FrameCopy{changed: make(chan struct{}), stale: make(chan struct{}, 1)}
}

// Show brings the copy up to date with frame, of which damaged changed
// since the previous Show: it copies those rectangles and any left over
// from earlier Shows, unless a reader holds the copy, in which case it
// only notes them. It is called by the render loop only.
func (c *FrameCopy) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shown = true
	if !c.following {
		return nil
	}
	if c.frame == nil || c.frame.Rect != frame.Rect {
		// First fill, or a new size. Readers of an old copy keep it until
		// they are done; they never see this one change.
		c.frame = image.NewRGBA(frame.Rect)
		copyRect(c.frame, frame, frame.Rect)
		c.behind = c.behind[:0]
		c.publish()
		return nil
	}
	for _, r := range damaged {
		c.note(r.Intersect(frame.Rect))
	}
	if c.readers > 0 || len(c.behind) == 0 {
		return nil
	}
	for _, r := range c.behind {
		copyRect(c.frame, frame, r)
	}
	c.behind = c.behind[:0]
	c.publish()
	return nil
}

// note adds r to the rectangles the copy lacks.
func (c *FrameCopy) note(r image.Rectangle) {
	if r.Empty() {
		return
	}
	for _, b := range c.behind {
		if r.In(b) { // a clock redrawn ten times a second while a reader holds the copy
			return
		}
	}
	if len(c.behind) < maxBehind {
		c.behind = append(c.behind, r)
		return
	}
	u := r
	for _, b := range c.behind {
		u = u.Union(b)
	}
	c.behind = append(c.behind[:0], u)
}

// publish announces a new content of the copy. c.mu is held.
func (c *FrameCopy) publish() {
	c.gen++
	close(c.changed)
	c.changed = make(chan struct{})
}

// Watch returns the generation of the copy's content (0 before it first
// holds a frame) and a channel closed when a newer one is in. The copy
// follows the frames shown from the first Watch or Read on.
func (c *FrameCopy) Watch() (gen uint64, changed <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.following = true
	if c.frame == nil && c.shown {
		c.kickStale() // fill it now rather than at the next change
	}
	return c.gen, c.changed
}

// Stale receives when the copy lacks changes of the renderer's frame and
// no reader holds it, or has not been filled yet and a reader came: the
// render loop should then Show it the frame, with no damage.
func (c *FrameCopy) Stale() <-chan struct{} { return c.stale }

// Read calls f with the copy, as up to date as the last Show, and its
// generation. The copy does not change until f returns, and f must not
// keep frame. When the copy lacks changes (a reader held it through them),
// Read waits for the render loop to bring it up to date, or for ctx. It
// returns ErrNoFrame when no frame was ever shown.
func (c *FrameCopy) Read(ctx context.Context, f func(frame *image.RGBA, gen uint64) error) error {
	c.mu.Lock()
	c.following = true
	for c.frame == nil || len(c.behind) > 0 {
		if !c.shown {
			c.mu.Unlock()
			return ErrNoFrame
		}
		if c.readers == 0 {
			c.kickStale() // with readers, the last one out does
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
		c.mu.Lock()
	}
	frame, gen := c.frame, c.gen
	c.readers++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.readers--
		if c.readers == 0 && len(c.behind) > 0 {
			c.kickStale()
		}
		c.mu.Unlock()
	}()
	return f(frame, gen)
}

func (c *FrameCopy) kickStale() {
	select {
	case c.stale <- struct{}{}:
	default:
	}
}

// copyRect copies rectangle r of src into dst, which has the same bounds.
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
