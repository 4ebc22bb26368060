package fb

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
)

// Framebuffer is a screen to copy frames to: a mapped device (Open), a
// byte slice laid out like one (OpenMemory) or a file written row by row
// (OpenFile). It implements display.Sink. Not safe for concurrent use.
type Framebuffer struct {
	info    ScreenInfo
	conv    *converter
	mem     []byte      // framebuffer memory, or nil when writing to file
	file    io.WriterAt // used when mem is nil
	row     []byte      // one converted row for file writes
	closers []func() error
}

// OpenMemory returns a Framebuffer drawing into mem, laid out as info
// says. info.MemLen 0 means len(mem).
func OpenMemory(info ScreenInfo, mem []byte) (*Framebuffer, error) {
	if info.MemLen == 0 {
		info.MemLen = len(mem)
	}
	if len(mem) < info.MemLen {
		return nil, fmt.Errorf("framebuffer memory of %d bytes, screen info says %d: %w", len(mem), info.MemLen, ErrFormat)
	}
	if err := info.Validate(); err != nil {
		return nil, err
	}
	return &Framebuffer{info: info, conv: newConverter(info), mem: mem}, nil
}

// OpenFile returns a Framebuffer writing rows into f at the offsets info
// gives, e.g. a plain file laid out like a framebuffer, or a device that
// cannot be mapped. info.MemLen 0 means the file's size. The caller keeps
// ownership of f: Close does not close it.
func OpenFile(info ScreenInfo, f *os.File) (*Framebuffer, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("framebuffer file: %w", err)
	}
	if st.Mode().IsRegular() {
		if info.MemLen == 0 {
			info.MemLen = int(st.Size())
		}
		if st.Size() < int64(info.MemLen) {
			return nil, fmt.Errorf("framebuffer file %s has %d bytes, screen info says %d: %w", f.Name(), st.Size(), info.MemLen, ErrFormat)
		}
	}
	if err := info.Validate(); err != nil {
		return nil, err
	}
	return &Framebuffer{
		info: info, conv: newConverter(info), file: f,
		row: make([]byte, info.Width*info.bytesPerPixel()),
	}, nil
}

// Info is the screen layout in use.
func (fb *Framebuffer) Info() ScreenInfo { return fb.info }

// Bounds is the visible area; a Renderer for this screen has this size.
func (fb *Framebuffer) Bounds() image.Rectangle { return fb.info.Bounds() }

// Show copies the damaged rectangles of frame to the screen, converting
// pixels to the screen's format. Frame pixel (x, y) lands on screen pixel
// (x, y); parts outside either are skipped.
func (fb *Framebuffer) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	if fb.conv == nil {
		return errors.New("show on a closed framebuffer")
	}
	origin := fb.info.origin()
	for _, r := range damaged {
		r = r.Intersect(frame.Rect).Intersect(fb.info.Bounds())
		if r.Empty() {
			continue
		}
		if fb.mem != nil {
			fb.conv.copyRect(fb.mem, origin, frame, r)
			continue
		}
		bpp := fb.info.bytesPerPixel()
		row := fb.row[:r.Dx()*bpp]
		for y := r.Min.Y; y < r.Max.Y; y++ {
			si := frame.PixOffset(r.Min.X, y)
			fb.conv.convertRow(row, frame.Pix[si:si+4*r.Dx()])
			off := int64(origin + y*fb.info.LineLength + r.Min.X*bpp)
			if _, err := fb.file.WriteAt(row, off); err != nil {
				return fmt.Errorf("write framebuffer row %d: %w", y, err)
			}
		}
	}
	return nil
}

// Close releases the device (unmaps it, closes it and gives the console
// back its text mode when Open switched it). Further Shows fail.
func (fb *Framebuffer) Close() error {
	var errs []error
	for i := len(fb.closers) - 1; i >= 0; i-- {
		if err := fb.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	fb.closers = nil
	fb.conv, fb.mem, fb.file = nil, nil, nil
	return errors.Join(errs...)
}
