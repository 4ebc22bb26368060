package display

import (
	"image"
	"image/color"
	"math"
)

// Painting primitives write image.RGBA pixels directly: every colour is
// opaque or blended with an explicit alpha, so no interface conversion (and
// allocation) happens per call, and the inner loops are plain byte loops.

// fillRect paints r (clipped to dst) with the opaque colour c.
func fillRect(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	i0 := dst.PixOffset(r.Min.X, r.Min.Y)
	first := dst.Pix[i0 : i0+4*r.Dx()]
	first[0], first[1], first[2], first[3] = c.R, c.G, c.B, 0xff
	// Doubling copies: memmove fills a scanline far faster than a loop.
	for n := 4; n < len(first); n *= 2 {
		copy(first[n:], first[:n])
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		i := dst.PixOffset(r.Min.X, y)
		copy(dst.Pix[i:i+len(first)], first)
	}
}

// blendRect blends the colour c with opacity a (0..255) over r.
func blendRect(dst *image.RGBA, r image.Rectangle, c color.RGBA, a uint8) {
	r = r.Intersect(dst.Rect)
	if r.Empty() || a == 0 {
		return
	}
	if a == 0xff {
		fillRect(dst, r, c)
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i := dst.PixOffset(r.Min.X, y)
		blendSpan(dst.Pix[i:i+4*r.Dx()], c, uint32(a))
	}
}

// blendSpan blends c with opacity a (0..255) over a run of RGBA pixels.
func blendSpan(p []byte, c color.RGBA, a uint32) {
	ia := 255 - a
	cr, cg, cb := uint32(c.R)*a, uint32(c.G)*a, uint32(c.B)*a
	for i := 0; i+3 < len(p); i += 4 {
		q := p[i : i+4 : i+4]
		q[0] = uint8((uint32(q[0])*ia + cr + 127) / 255)
		q[1] = uint8((uint32(q[1])*ia + cg + 127) / 255)
		q[2] = uint8((uint32(q[2])*ia + cb + 127) / 255)
		q[3] = 0xff
	}
}

// blendHGradient blends c over r with opacity falling linearly from a0 at
// the left edge to a1 at the right edge, clipped to clip.
func blendHGradient(dst *image.RGBA, r, clip image.Rectangle, c color.RGBA, a0, a1 uint8) {
	cr := r.Intersect(clip).Intersect(dst.Rect)
	if cr.Empty() {
		return
	}
	w := max(1, r.Dx()-1)
	cR, cG, cB := uint32(c.R), uint32(c.G), uint32(c.B)
	for y := cr.Min.Y; y < cr.Max.Y; y++ {
		i := dst.PixOffset(cr.Min.X, y)
		row := dst.Pix[i : i+4*cr.Dx()]
		for x := cr.Min.X; x < cr.Max.X; x++ {
			d := x - r.Min.X
			a := uint32((int(a0)*(w-d) + int(a1)*d) / w)
			q := row[4*(x-cr.Min.X):][:4:4]
			ia := 255 - a
			q[0] = uint8((uint32(q[0])*ia + cR*a + 127) / 255)
			q[1] = uint8((uint32(q[1])*ia + cG*a + 127) / 255)
			q[2] = uint8((uint32(q[2])*ia + cB*a + 127) / 255)
		}
	}
}

// fillBackgroundCorners repaints the background under the four corner
// squares of a rounded shape about to be drawn over r: the shape covers
// the rest, so repainting all of r would be wasted.
func fillBackgroundCorners(dst *image.RGBA, r image.Rectangle, radius int, bg []color.RGBA) {
	for _, c := range [4]image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+radius, r.Min.Y+radius),
		image.Rect(r.Max.X-radius, r.Min.Y, r.Max.X, r.Min.Y+radius),
		image.Rect(r.Min.X, r.Max.Y-radius, r.Min.X+radius, r.Max.Y),
		image.Rect(r.Max.X-radius, r.Max.Y-radius, r.Max.X, r.Max.Y),
	} {
		fillBackground(dst, c, bg)
	}
}

// fillRoundRect paints r with the opaque colour c and anti-aliased corners
// of the given radius, blending the corners over what is already there.
func fillRoundRect(dst *image.RGBA, r image.Rectangle, radius int, c color.RGBA) {
	radius = min(radius, r.Dx()/2, r.Dy()/2)
	if radius <= 0 {
		fillRect(dst, r, c)
		return
	}
	// Middle band and the two side bands between the corners.
	fillRect(dst, image.Rect(r.Min.X+radius, r.Min.Y, r.Max.X-radius, r.Max.Y), c)
	fillRect(dst, image.Rect(r.Min.X, r.Min.Y+radius, r.Min.X+radius, r.Max.Y-radius), c)
	fillRect(dst, image.Rect(r.Max.X-radius, r.Min.Y+radius, r.Max.X, r.Max.Y-radius), c)
	rf := float64(radius)
	for dy := range radius {
		for dx := range radius {
			// Distance from the pixel centre to the corner circle's centre.
			fx, fy := rf-(float64(dx)+0.5), rf-(float64(dy)+0.5)
			cov := rf + 0.5 - math.Sqrt(fx*fx+fy*fy)
			if cov <= 0 {
				continue
			}
			a := uint32(255)
			if cov < 1 {
				a = uint32(cov * 255)
			}
			for _, p := range [4]image.Point{
				{r.Min.X + dx, r.Min.Y + dy},
				{r.Max.X - 1 - dx, r.Min.Y + dy},
				{r.Min.X + dx, r.Max.Y - 1 - dy},
				{r.Max.X - 1 - dx, r.Max.Y - 1 - dy},
			} {
				if p.In(dst.Rect) {
					i := dst.PixOffset(p.X, p.Y)
					blendSpan(dst.Pix[i:i+4], c, a)
				}
			}
		}
	}
}

// strokeRoundRect outlines r with a line of width w inside its edge.
func strokeRoundRect(dst *image.RGBA, r image.Rectangle, radius, w int, c, inside color.RGBA) {
	fillRoundRect(dst, r, radius, c)
	fillRoundRect(dst, r.Inset(w), max(0, radius-w), inside)
}

// fillCircle paints an anti-aliased disc of radius rad centred at (cx, cy).
func fillCircle(dst *image.RGBA, cx, cy, rad float64, c color.RGBA) {
	x0, y0 := int(math.Floor(cx-rad)), int(math.Floor(cy-rad))
	x1, y1 := int(math.Ceil(cx+rad)), int(math.Ceil(cy+rad))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			fx, fy := float64(x)+0.5-cx, float64(y)+0.5-cy
			cov := rad + 0.5 - math.Sqrt(fx*fx+fy*fy)
			if cov <= 0 || !image.Pt(x, y).In(dst.Rect) {
				continue
			}
			a := uint32(255)
			if cov < 1 {
				a = uint32(cov * 255)
			}
			i := dst.PixOffset(x, y)
			blendSpan(dst.Pix[i:i+4], c, a)
		}
	}
}

// fillTriangle paints an anti-aliased triangle pointing up (up true) or
// down inside box, using 4×4 supersampling per pixel: arrows are small, so
// this costs little and needs no rasterizer state.
func fillTriangle(dst *image.RGBA, box image.Rectangle, up bool, c color.RGBA) {
	w, h := float64(box.Dx()), float64(box.Dy())
	if w <= 0 || h <= 0 {
		return
	}
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			n := 0
			for sy := range 4 {
				for sx := range 4 {
					px := float64(x-box.Min.X) + (float64(sx)+0.5)/4
					py := float64(y-box.Min.Y) + (float64(sy)+0.5)/4
					t := py / h // 0 at the top
					if !up {
						t = 1 - t
					}
					half := t * w / 2
					if math.Abs(px-w/2) <= half {
						n++
					}
				}
			}
			if n == 0 || !image.Pt(x, y).In(dst.Rect) {
				continue
			}
			i := dst.PixOffset(x, y)
			blendSpan(dst.Pix[i:i+4], c, uint32(n*255/16))
		}
	}
}

// mix returns a blended with b by t (0: a, 1: b).
func mix(a, b color.RGBA, t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	l := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 0xff}
}
