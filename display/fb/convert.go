package fb

import (
	"encoding/binary"
	"image"
)

// littleEndian is the CPU's byte order, which framebuffer pixel values use.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// converter turns RGBA pixels into framebuffer pixel values. Each channel
// has a 256-entry table holding the 8-bit value already scaled (rounded) to
// the channel's length and shifted to its offset, so one layout-independent
// loop serves RGB565, XRGB8888, ARGB8888, BGR variants and 24 bpp alike:
// three lookups and an OR per pixel.
type converter struct {
	bpp        int // bytes per pixel
	r, g, b    [256]uint32
	alpha      uint32 // all alpha bits set: the frame is opaque
	lineLength int
}

func newConverter(s ScreenInfo) *converter {
	c := &converter{bpp: s.bytesPerPixel(), lineLength: s.LineLength}
	fill := func(t *[256]uint32, f Bitfield) {
		maxv := uint32(1)<<f.Length - 1
		for v := range uint32(256) {
			t[v] = (v*maxv + 127) / 255 << f.Offset
		}
	}
	fill(&c.r, s.Red)
	fill(&c.g, s.Green)
	fill(&c.b, s.Blue)
	if s.Alpha.Length > 0 {
		c.alpha = (uint32(1)<<s.Alpha.Length - 1) << s.Alpha.Offset
	}
	return c
}

// pixel converts one RGBA pixel held little-endian in the low 32 bits of p.
func (c *converter) pixel(p uint64) uint32 {
	return c.r[uint8(p)] | c.g[uint8(p>>8)] | c.b[uint8(p>>16)] | c.alpha
}

// convertRow converts the RGBA pixels src (4 bytes each) into dst. The
// 16 and 32 bpp loops read two pixels per 64-bit load and write 64 bits at
// a time: converting a 1080p frame is on the kiosk's critical path.
func (c *converter) convertRow(dst, src []byte) {
	n := len(src) / 4
	src = src[:4*n]
	x := 0
	switch {
	case c.bpp == 2 && littleEndian:
		dst = dst[:2*n]
		for ; x+4 <= n; x += 4 {
			s := src[4*x : 4*x+16 : 4*x+16]
			p, q := binary.LittleEndian.Uint64(s), binary.LittleEndian.Uint64(s[8:])
			v := uint64(c.pixel(p)) | uint64(c.pixel(p>>32))<<16 | uint64(c.pixel(q))<<32 | uint64(c.pixel(q>>32))<<48
			binary.LittleEndian.PutUint64(dst[2*x:2*x+8], v)
		}
	case c.bpp == 4 && littleEndian:
		dst = dst[:4*n]
		for ; x+2 <= n; x += 2 {
			p := binary.LittleEndian.Uint64(src[4*x : 4*x+8])
			binary.LittleEndian.PutUint64(dst[4*x:4*x+8], uint64(c.pixel(p))|uint64(c.pixel(p>>32))<<32)
		}
	}
	// The rest, and every pixel of 24 bpp or big-endian layouts.
	for ; x < n; x++ {
		v := c.pixel(uint64(binary.LittleEndian.Uint32(src[4*x : 4*x+4])))
		switch c.bpp {
		case 2:
			binary.NativeEndian.PutUint16(dst[2*x:2*x+2], uint16(v))
		case 3:
			d := dst[3*x : 3*x+3 : 3*x+3]
			if littleEndian {
				d[0], d[1], d[2] = byte(v), byte(v>>8), byte(v>>16)
			} else {
				d[0], d[1], d[2] = byte(v>>16), byte(v>>8), byte(v)
			}
		case 4:
			binary.NativeEndian.PutUint32(dst[4*x:4*x+4], v)
		}
	}
}

// copyRect converts rectangle r of frame into mem, a framebuffer whose
// visible (0, 0) is at byte origin; frame pixel (x, y) goes to screen pixel
// (x, y). r must lie inside both the frame and the visible area.
func (c *converter) copyRect(mem []byte, origin int, frame *image.RGBA, r image.Rectangle) {
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		si := frame.PixOffset(r.Min.X, y)
		di := origin + y*c.lineLength + r.Min.X*c.bpp
		c.convertRow(mem[di:di+w*c.bpp], frame.Pix[si:si+4*w])
	}
}
