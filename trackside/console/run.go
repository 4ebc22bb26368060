package console

import (
	"context"
	"image"
	"time"

	"pitwall/display"
	"pitwall/trackside/console/api"
)

// FramePeriod is how often the screen is redrawn while nothing happens: the
// race clock shows tenths.
const FramePeriod = 100 * time.Millisecond

// Run is the console's loop: it takes views and input events, acts, and
// shows a new frame on every output after each change and every
// FramePeriod. It returns when ctx is done or an output fails.
func (c *Console) Run(ctx context.Context, views <-chan api.View, events <-chan Event, outputs ...display.Sink) error {
	tick := time.NewTicker(FramePeriod)
	defer tick.Stop()
	settle := time.NewTimer(time.Hour)
	defer settle.Stop()
	full := []image.Rectangle{c.canvas.Bounds()}
	show := func() error {
		frame := c.Draw(time.Now())
		for _, o := range outputs {
			if err := o.Show(frame, full); err != nil {
				return err
			}
		}
		return nil
	}
	if err := show(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case v := <-views:
			c.SetView(v, time.Now())
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			at := time.Now()
			if te, ok := ev.(Timed); ok {
				ev, at = te.Event, te.At
			}
			c.Handle(ev, at)
			if next := c.Next(); !next.IsZero() {
				settle.Reset(time.Until(next))
			}
			if _, drag := ev.(Drag); !drag {
				continue // a tap acts (and shows) when it settles
			}
		case <-settle.C:
			c.Tick(time.Now())
		case <-tick.C:
			c.Tick(time.Now())
		}
		if err := show(); err != nil {
			return err
		}
	}
}
