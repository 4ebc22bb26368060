package input

import "fmt"

// transform maps a controller's raw coordinates to screen pixels.
type transform struct {
	minX, maxX, minY, maxY int32
	w, h                   int
	rotate                 int
	swap, invX, invY       bool
}

func newTransform(cfg Config, x, y AbsInfo) (transform, error) {
	if x.Maximum <= x.Minimum {
		return transform{}, fmt.Errorf("x axis range [%d, %d] is empty", x.Minimum, x.Maximum)
	}
	if y.Maximum <= y.Minimum {
		return transform{}, fmt.Errorf("y axis range [%d, %d] is empty", y.Minimum, y.Maximum)
	}
	return transform{
		minX: x.Minimum, maxX: x.Maximum, minY: y.Minimum, maxY: y.Maximum,
		w: cfg.Width, h: cfg.Height, rotate: cfg.Rotate,
		swap: cfg.SwapXY, invX: cfg.InvertX, invY: cfg.InvertY,
	}, nil
}

// screen returns the pixel of raw point (rx, ry), or ok == false when the
// point is outside the controller's reported range: such a point is off the
// visible panel (or garbage) and is never acted on.
func (t transform) screen(rx, ry int32) (x, y int, ok bool) {
	if rx < t.minX || rx > t.maxX || ry < t.minY || ry > t.maxY {
		return 0, 0, false
	}
	u := float64(int64(rx)-int64(t.minX)) / float64(int64(t.maxX)-int64(t.minX))
	v := float64(int64(ry)-int64(t.minY)) / float64(int64(t.maxY)-int64(t.minY))
	if t.swap {
		u, v = v, u
	}
	if t.invX {
		u = 1 - u
	}
	if t.invY {
		v = 1 - v
	}
	switch t.rotate {
	case 90: // top-left corner of the controller goes to the top-right of the screen
		u, v = 1-v, u
	case 180:
		u, v = 1-u, 1-v
	case 270:
		u, v = v, 1-u
	}
	return int(u*float64(t.w-1) + 0.5), int(v*float64(t.h-1) + 0.5), true
}
