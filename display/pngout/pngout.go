// Package pngout writes board frames to PNG files: a snapshot for docs and
// bug reports, or a file kept current for anything that polls it. Files are
// replaced atomically, so a reader never sees half a PNG.
package pngout

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"

	"pitwall/display"
)

// encoder favours speed: a 1080p board compresses well anyway, and a file
// rewritten on every change must not hold up the render loop for long.
var encoder = png.Encoder{CompressionLevel: png.BestSpeed}

// WriteFile writes img to path as a PNG, atomically: it writes a temporary
// file in the same directory and renames it over path.
func WriteFile(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := encoder.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeAtomic(path, buf.Bytes())
}

func writeAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		done = true
		return fmt.Errorf("replace %s: %w", path, err)
	}
	done = true
	return nil
}

// File keeps a PNG file showing the latest frame: every Show with damage
// rewrites it. It implements display.Sink. Encoding a 1080p frame takes
// tens of milliseconds, so a kiosk writing on every 10 Hz clock tick should
// rather snapshot with WriteFile when it needs to.
type File struct {
	path string
	buf  bytes.Buffer
	log  *slog.Logger
	// enc keeps its buffers (zlib state, rows: about 1 MB at 1080p)
	// from one frame to the next instead of leaving them to the garbage
	// collector every second.
	enc png.Encoder
}

// New returns a File writing to path; its directory must exist. log may be
// nil (slog.Default()).
func New(path string, log *slog.Logger) (*File, error) {
	if log == nil {
		log = slog.Default()
	}
	if path == "" {
		return nil, fmt.Errorf("png output: no path")
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("png output %s: %w", path, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("png output %s: %s is not a directory", path, dir)
	}
	return &File{path: path, log: log, enc: png.Encoder{CompressionLevel: encoder.CompressionLevel, BufferPool: &display.PNGBuffer{}}}, nil
}

// Path is the file written.
func (f *File) Path() string { return f.path }

// Show rewrites the file when anything changed. It is not safe for
// concurrent use.
func (f *File) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	if len(damaged) == 0 {
		return nil
	}
	f.buf.Reset()
	if err := f.enc.Encode(&f.buf, frame); err != nil {
		return fmt.Errorf("encode %s: %w", f.path, err)
	}
	if err := writeAtomic(f.path, f.buf.Bytes()); err != nil {
		return err
	}
	f.log.Debug("frame written", "path", f.path, "bytes", f.buf.Len())
	return nil
}
