package fb

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"pitwall/display"
	"testing"
)

var _ display.Sink = (*Framebuffer)(nil)

// layouts are the pixel formats under test, each with a line wider than
// the visible width and, for some, a visible area offset into the virtual
// screen.
func layouts() map[string]ScreenInfo {
	wide := func(s ScreenInfo, extra, xoff, yoff int) ScreenInfo {
		s.XOffset, s.YOffset = xoff, yoff
		s.LineLength = (s.Width+xoff)*s.BitsPerPixel/8 + extra
		s.MemLen = s.LineLength * (s.Height + yoff)
		return s
	}
	argb := XRGB8888(37, 11)
	argb.Alpha = Bitfield{24, 8}
	bgrx := XRGB8888(37, 11)
	bgrx.Red, bgrx.Blue = Bitfield{0, 8}, Bitfield{16, 8}
	bgr565 := RGB565(37, 11)
	bgr565.Red, bgr565.Blue = Bitfield{0, 5}, Bitfield{11, 5}
	rgb888 := ScreenInfo{Width: 37, Height: 11, BitsPerPixel: 24, Red: Bitfield{16, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{0, 8}}
	return map[string]ScreenInfo{
		"rgb565 packed":        RGB565(37, 11),
		"rgb565 wide stride":   wide(RGB565(37, 11), 26, 0, 0),
		"rgb565 panned":        wide(RGB565(37, 11), 6, 3, 2),
		"xrgb8888 wide stride": wide(XRGB8888(37, 11), 64, 0, 0),
		"argb8888":             wide(argb, 12, 0, 0),
		"bgrx8888 panned":      wide(bgrx, 4, 5, 1),
		"bgr565":               wide(bgr565, 2, 0, 0),
		"rgb888 24 bpp":        wide(rgb888, 5, 0, 0),
	}
}

// testFrame has a distinct colour in every pixel, offset from the screen
// origin so that frame and screen bounds differ.
func testFrame(w, h int) *image.RGBA {
	f := image.NewRGBA(image.Rect(0, 0, w+3, h+2))
	for y := range f.Rect.Dy() {
		for x := range f.Rect.Dx() {
			f.SetRGBA(x, y, color.RGBA{uint8(x * 7), uint8(y * 23), uint8(x*y + 5), 0xff})
		}
	}
	return f
}

// pixelAt decodes screen pixel (x, y) of mem the slow, obvious way.
func pixelAt(s ScreenInfo, mem []byte, x, y int) (r, g, b, a uint32) {
	bpp := s.BitsPerPixel / 8
	off := (s.YOffset+y)*s.LineLength + (s.XOffset+x)*bpp
	var v uint32
	for i := bpp - 1; i >= 0; i-- { // little-endian
		v = v<<8 | uint32(mem[off+i])
	}
	field := func(f Bitfield) uint32 { return v >> f.Offset & (1<<f.Length - 1) }
	return field(s.Red), field(s.Green), field(s.Blue), field(s.Alpha)
}

func scaled(v uint8, bits uint32) uint32 {
	return uint32(math.Round(float64(v) * float64(uint32(1)<<bits-1) / 255))
}

const sentinel = 0xA5

// checkScreen verifies that mem holds frame inside the damaged rectangles
// and the sentinel everywhere else, padding included.
func checkScreen(t *testing.T, s ScreenInfo, mem []byte, frame *image.RGBA, damaged []image.Rectangle) {
	t.Helper()
	bpp := s.BitsPerPixel / 8
	written := make([]bool, len(mem))
	for y := range s.Height {
		for x := range s.Width {
			in := false
			for _, d := range damaged {
				in = in || image.Pt(x, y).In(d)
			}
			if !in {
				continue
			}
			off := (s.YOffset+y)*s.LineLength + (s.XOffset+x)*bpp
			for i := range bpp {
				written[off+i] = true
			}
			c := frame.RGBAAt(x, y)
			r, g, b, a := pixelAt(s, mem, x, y)
			if r != scaled(c.R, s.Red.Length) || g != scaled(c.G, s.Green.Length) || b != scaled(c.B, s.Blue.Length) {
				t.Fatalf("pixel %d,%d = %d,%d,%d, want %v scaled to %d/%d/%d bits", x, y, r, g, b, c, s.Red.Length, s.Green.Length, s.Blue.Length)
			}
			if s.Alpha.Length > 0 && a != 1<<s.Alpha.Length-1 {
				t.Fatalf("pixel %d,%d alpha %d, want opaque", x, y, a)
			}
		}
	}
	for i, w := range written {
		if !w && mem[i] != sentinel {
			t.Fatalf("byte %d (line %d, column byte %d) written outside the damage", i, i/s.LineLength, i%s.LineLength)
		}
	}
}

func TestShowMemory(t *testing.T) {
	for name, s := range layouts() {
		t.Run(name, func(t *testing.T) {
			mem := bytes.Repeat([]byte{sentinel}, s.MemLen)
			fb, err := OpenMemory(s, mem)
			if err != nil {
				t.Fatal(err)
			}
			frame := testFrame(s.Width, s.Height)
			damaged := []image.Rectangle{image.Rect(2, 1, 9, 4), image.Rect(30, 8, 60, 20), image.Rect(-5, -5, 1, 1)}
			if err := fb.Show(frame, damaged); err != nil {
				t.Fatal(err)
			}
			checkScreen(t, s, mem, frame, damaged)
			if err := fb.Show(frame, []image.Rectangle{frame.Rect}); err != nil {
				t.Fatal(err)
			}
			checkScreen(t, s, mem, frame, []image.Rectangle{s.Bounds()})
		})
	}
}

func TestShowFile(t *testing.T) {
	for name, s := range layouts() {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fb0")
			if err := os.WriteFile(path, bytes.Repeat([]byte{sentinel}, s.MemLen), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			info := s
			info.MemLen = 0 // taken from the file's size
			fb, err := OpenFile(info, f)
			if err != nil {
				t.Fatal(err)
			}
			frame := testFrame(s.Width, s.Height)
			damaged := []image.Rectangle{image.Rect(0, 0, 5, 5), image.Rect(20, 3, 37, 11)}
			if err := fb.Show(frame, damaged); err != nil {
				t.Fatal(err)
			}
			mem, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkScreen(t, s, mem, frame, damaged)
			if err := fb.Close(); err != nil {
				t.Fatal(err)
			}
			if err := fb.Show(frame, damaged); err == nil {
				t.Error("Show after Close succeeded")
			}
		})
	}
}

func TestOpenFileTooSmall(t *testing.T) {
	s := RGB565(40, 10)
	path := filepath.Join(t.TempDir(), "fb0")
	if err := os.WriteFile(path, make([]byte, s.MemLen-1), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := OpenFile(s, f); !errors.Is(err, ErrFormat) {
		t.Errorf("OpenFile of a short file: %v, want ErrFormat", err)
	}
}

func TestValidate(t *testing.T) {
	ok := RGB565(800, 480)
	for _, tc := range []struct {
		name  string
		edit  func(s *ScreenInfo)
		valid bool
	}{
		{"rgb565", func(*ScreenInfo) {}, true},
		{"xrgb8888", func(s *ScreenInfo) { *s = XRGB8888(800, 480) }, true},
		{"8 bpp palette", func(s *ScreenInfo) { s.BitsPerPixel = 8 }, false},
		{"zero width", func(s *ScreenInfo) { s.Width = 0 }, false},
		{"negative offset", func(s *ScreenInfo) { s.YOffset = -1 }, false},
		{"line shorter than the width", func(s *ScreenInfo) { s.LineLength = 1598 }, false},
		{"memory too small", func(s *ScreenInfo) { s.MemLen-- }, false},
		{"panned past memory", func(s *ScreenInfo) { s.YOffset = 1 }, false},
		{"red past the pixel", func(s *ScreenInfo) { s.Red = Bitfield{12, 5} }, false},
		{"green overlaps red", func(s *ScreenInfo) { s.Green = Bitfield{6, 6} }, false},
		{"missing blue", func(s *ScreenInfo) { s.Blue = Bitfield{} }, false},
		{"alpha overlaps", func(s *ScreenInfo) { s.Alpha = Bitfield{0, 1} }, false},
	} {
		s := ok
		tc.edit(&s)
		err := s.Validate()
		if (err == nil) != tc.valid {
			t.Errorf("%s: Validate() = %v, want valid %v", tc.name, err, tc.valid)
		}
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v does not wrap ErrFormat", tc.name, err)
		}
	}
}

func TestOpenMemoryRejectsShortSlice(t *testing.T) {
	s := XRGB8888(64, 32)
	if _, err := OpenMemory(s, make([]byte, s.MemLen-4)); err == nil {
		t.Error("OpenMemory accepted a slice shorter than MemLen")
	}
}

// FuzzScreenInfo: whatever layout a (buggy) driver reports, OpenMemory
// either refuses it or Show stays inside the memory.
func FuzzScreenInfo(f *testing.F) {
	f.Add(16, 64, 32, 0, 0, 128, 11, 5, 5, 6, 0, 5, 0, 0)
	f.Add(32, 64, 32, 2, 3, 300, 16, 8, 8, 8, 0, 8, 24, 8)
	f.Add(24, 10, 10, 0, 0, 30, 16, 8, 8, 8, 0, 8, 0, 0)
	f.Fuzz(func(t *testing.T, bpp, w, h, xoff, yoff, line, ro, rl, gro, gl, bo, bl, ao, al int) {
		s := ScreenInfo{
			Width: w, Height: h, XOffset: xoff, YOffset: yoff, BitsPerPixel: bpp, LineLength: line,
			Red: Bitfield{uint32(ro), uint32(rl)}, Green: Bitfield{uint32(gro), uint32(gl)},
			Blue: Bitfield{uint32(bo), uint32(bl)}, Alpha: Bitfield{uint32(ao), uint32(al)},
		}
		if line < 0 || h < 0 || line > 1<<12 || h > 1<<8 || yoff > 1<<8 || yoff < 0 {
			return // keep the memory small; Validate's bounds are tested above
		}
		s.MemLen = line * (h + yoff)
		mem := make([]byte, s.MemLen)
		fb, err := OpenMemory(s, mem)
		if err != nil {
			return
		}
		frame := testFrame(s.Width, s.Height)
		if err := fb.Show(frame, []image.Rectangle{frame.Rect}); err != nil {
			t.Fatal(err)
		}
	})
}

func benchCopy(b *testing.B, s ScreenInfo) {
	mem := make([]byte, s.MemLen)
	fb, err := OpenMemory(s, mem)
	if err != nil {
		b.Fatal(err)
	}
	frame := testFrame(s.Width, s.Height)
	damaged := []image.Rectangle{s.Bounds()}
	b.SetBytes(int64(4 * s.Width * s.Height))
	b.ReportAllocs()
	for b.Loop() {
		if err := fb.Show(frame, damaged); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRGB565Copy1080p converts and copies a full 1080p frame to a
// 16 bpp screen (a Pi 4's fbdev emulation).
func BenchmarkRGB565Copy1080p(b *testing.B) { benchCopy(b, RGB565(1920, 1080)) }

// BenchmarkXRGBCopy1080p does the same for a 32 bpp XRGB8888 screen.
func BenchmarkXRGBCopy1080p(b *testing.B) { benchCopy(b, XRGB8888(1920, 1080)) }
