package fb

import (
	"bytes"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The framebuffer ioctls of <linux/fb.h>; golang.org/x/sys/unix does not
// define them. This file is the only code that talks to the kernel about
// the screen layout, and it is not covered by tests (it needs a device).
const (
	fbioGetVScreenInfo = 0x4600 // FBIOGET_VSCREENINFO
	fbioGetFScreenInfo = 0x4602 // FBIOGET_FSCREENINFO
)

// fbBitfield mirrors struct fb_bitfield.
type fbBitfield struct{ Offset, Length, MSBRight uint32 }

// fbVarScreeninfo mirrors struct fb_var_screeninfo (160 bytes, all __u32).
type fbVarScreeninfo struct {
	XRes, YRes, XResVirtual, YResVirtual uint32
	XOffset, YOffset                     uint32
	BitsPerPixel, Grayscale              uint32
	Red, Green, Blue, Transp             fbBitfield
	Nonstd, Activate                     uint32
	Height, Width                        uint32 // millimetres
	AccelFlags                           uint32
	Pixclock                             uint32
	LeftMargin, RightMargin              uint32
	UpperMargin, LowerMargin             uint32
	HsyncLen, VsyncLen                   uint32
	Sync, Vmode, Rotate, Colorspace      uint32
	Reserved                             [4]uint32
}

// fbFixScreeninfo mirrors struct fb_fix_screeninfo; its unsigned longs are
// uintptr so the layout matches on 32- and 64-bit kernels.
type fbFixScreeninfo struct {
	ID           [16]byte
	SmemStart    uintptr
	SmemLen      uint32
	Type         uint32
	TypeAux      uint32
	Visual       uint32
	XPanStep     uint16
	YPanStep     uint16
	YWrapStep    uint16
	LineLength   uint32
	MmioStart    uintptr
	MmioLen      uint32
	Accel        uint32
	Capabilities uint16
	Reserved     [2]uint16
}

const (
	fbTypePackedPixels = 0 // FB_TYPE_PACKED_PIXELS
	fbVisualTrueColor  = 2 // FB_VISUAL_TRUECOLOR
	fbVisualDirect     = 4 // FB_VISUAL_DIRECTCOLOR
)

func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// readScreenInfo asks the kernel for the screen layout of the framebuffer
// device open on fd.
func readScreenInfo(fd int) (ScreenInfo, error) {
	var v fbVarScreeninfo
	if err := ioctlPtr(fd, fbioGetVScreenInfo, unsafe.Pointer(&v)); err != nil {
		return ScreenInfo{}, fmt.Errorf("FBIOGET_VSCREENINFO: %w", err)
	}
	var f fbFixScreeninfo
	if err := ioctlPtr(fd, fbioGetFScreenInfo, unsafe.Pointer(&f)); err != nil {
		return ScreenInfo{}, fmt.Errorf("FBIOGET_FSCREENINFO: %w", err)
	}
	id := string(bytes.TrimRight(f.ID[:], "\x00"))
	if f.Type != fbTypePackedPixels || (f.Visual != fbVisualTrueColor && f.Visual != fbVisualDirect) || v.Grayscale != 0 {
		return ScreenInfo{}, fmt.Errorf("framebuffer %q: type %d, visual %d, grayscale %d: %w (want packed true colour)",
			id, f.Type, f.Visual, v.Grayscale, ErrFormat)
	}
	bf := func(b fbBitfield) Bitfield { return Bitfield{Offset: b.Offset, Length: b.Length} }
	return ScreenInfo{
		ID:    id,
		Width: int(v.XRes), Height: int(v.YRes),
		XOffset: int(v.XOffset), YOffset: int(v.YOffset),
		BitsPerPixel: int(v.BitsPerPixel),
		Red:          bf(v.Red), Green: bf(v.Green), Blue: bf(v.Blue), Alpha: bf(v.Transp),
		LineLength: int(f.LineLength),
		MemLen:     int(f.SmemLen),
	}, nil
}
