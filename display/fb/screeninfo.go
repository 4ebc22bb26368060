// Package fb shows frames on a Linux framebuffer device (/dev/fb0): on a
// Raspberry Pi 4 or 5 that is the DRM driver's fbdev emulation, 16 bpp
// RGB565 or 32 bpp XRGB8888. The pixel conversion is pure Go and works on
// any byte slice or file laid out like a framebuffer; only the device's
// ioctls, mmap and console mode switch are Linux-specific.
package fb

import (
	"errors"
	"fmt"
	"image"
)

// Bitfield says where one colour channel sits in a pixel, as in the
// kernel's struct fb_bitfield: Length bits starting Offset bits from the
// least significant bit of the pixel value.
type Bitfield struct {
	Offset, Length uint32
}

// ScreenInfo is what the kernel reports about a framebuffer (from
// FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO), reduced to what drawing
// needs. Pixel values are stored in the CPU's byte order.
type ScreenInfo struct {
	ID                      string // driver id, e.g. "vc4drmfb"
	Width, Height           int    // visible resolution (xres, yres)
	XOffset, YOffset        int    // visible area's offset in the virtual screen
	BitsPerPixel            int
	Red, Green, Blue, Alpha Bitfield // Alpha is the kernel's "transp"
	LineLength              int      // bytes per line; may exceed Width × bytes per pixel
	MemLen                  int      // size of the framebuffer memory in bytes
}

// ErrFormat is wrapped by errors about screen layouts this package cannot
// draw on (palette modes, planar modes, odd bit depths).
var ErrFormat = errors.New("unsupported framebuffer format")

// Bounds is the visible area, with its origin at (0, 0).
func (s ScreenInfo) Bounds() image.Rectangle { return image.Rect(0, 0, s.Width, s.Height) }

// bytesPerPixel is BitsPerPixel/8 for the depths Validate accepts.
func (s ScreenInfo) bytesPerPixel() int { return s.BitsPerPixel / 8 }

// origin is the byte offset of the visible area's top-left pixel.
func (s ScreenInfo) origin() int {
	return s.YOffset*s.LineLength + s.XOffset*s.bytesPerPixel()
}

// Validate checks that s describes a true-colour layout this package can
// fill and that the visible area fits in MemLen bytes.
func (s ScreenInfo) Validate() error {
	switch s.BitsPerPixel {
	case 16, 24, 32:
	default:
		return fmt.Errorf("%d bits per pixel: %w (want 16, 24 or 32)", s.BitsPerPixel, ErrFormat)
	}
	if s.Width <= 0 || s.Height <= 0 || s.Width > 1<<14 || s.Height > 1<<14 {
		return fmt.Errorf("resolution %dx%d: %w", s.Width, s.Height, ErrFormat)
	}
	if s.XOffset < 0 || s.YOffset < 0 || s.XOffset > 1<<15 || s.YOffset > 1<<15 {
		return fmt.Errorf("offset %d,%d: %w", s.XOffset, s.YOffset, ErrFormat)
	}
	if min := (s.XOffset + s.Width) * s.bytesPerPixel(); s.LineLength < min || s.LineLength > 1<<20 {
		return fmt.Errorf("line length %d bytes for %d pixels of %d bits at x offset %d: %w",
			s.LineLength, s.Width, s.BitsPerPixel, s.XOffset, ErrFormat)
	}
	var used uint64
	for _, c := range []struct {
		name string
		f    Bitfield
		need bool
	}{{"red", s.Red, true}, {"green", s.Green, true}, {"blue", s.Blue, true}, {"alpha", s.Alpha, false}} {
		if c.f.Length == 0 && !c.need {
			continue
		}
		if c.f.Length == 0 || c.f.Length > 16 || c.f.Offset+c.f.Length > uint32(s.BitsPerPixel) {
			return fmt.Errorf("%s bitfield offset %d length %d in %d bits: %w", c.name, c.f.Offset, c.f.Length, s.BitsPerPixel, ErrFormat)
		}
		mask := (uint64(1)<<c.f.Length - 1) << c.f.Offset
		if used&mask != 0 {
			return fmt.Errorf("%s bitfield overlaps another channel: %w", c.name, ErrFormat)
		}
		used |= mask
	}
	end := uint64(s.YOffset+s.Height-1)*uint64(s.LineLength) + uint64((s.XOffset+s.Width)*s.bytesPerPixel())
	if end > uint64(s.MemLen) {
		return fmt.Errorf("visible area ends at byte %d, beyond the %d bytes of framebuffer memory: %w", end, s.MemLen, ErrFormat)
	}
	return nil
}

// RGB565 is the 16 bpp layout of a Pi's DRM fbdev emulation, for tests and
// callers that build a ScreenInfo by hand.
func RGB565(w, h int) ScreenInfo {
	return ScreenInfo{
		Width: w, Height: h, BitsPerPixel: 16, LineLength: 2 * w, MemLen: 2 * w * h,
		Red: Bitfield{11, 5}, Green: Bitfield{5, 6}, Blue: Bitfield{0, 5},
	}
}

// XRGB8888 is the 32 bpp layout with the top byte unused.
func XRGB8888(w, h int) ScreenInfo {
	return ScreenInfo{
		Width: w, Height: h, BitsPerPixel: 32, LineLength: 4 * w, MemLen: 4 * w * h,
		Red: Bitfield{16, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{0, 8},
	}
}
