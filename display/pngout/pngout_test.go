package pngout

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"pitwall/display"
	"testing"
)

var _ display.Sink = (*File)(nil)

func frame(c color.RGBA) *image.RGBA {
	f := image.NewRGBA(image.Rect(0, 0, 64, 40))
	for i := 0; i < len(f.Pix); i += 4 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2], f.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	f.SetRGBA(5, 7, color.RGBA{1, 2, 3, 255})
	return f
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

func samePixels(t *testing.T, got image.Image, want *image.RGBA) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	for y := range want.Rect.Dy() {
		for x := range want.Rect.Dx() {
			r, g, b, _ := got.At(x, y).RGBA()
			w := want.RGBAAt(x, y)
			if uint8(r>>8) != w.R || uint8(g>>8) != w.G || uint8(b>>8) != w.B {
				t.Fatalf("pixel %d,%d differs", x, y)
			}
		}
	}
}

func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only %s (no temporary files left)", names, name)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "board.png")
	f := frame(color.RGBA{10, 20, 30, 255})
	if err := WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	samePixels(t, readPNG(t, path), f)
	g := frame(color.RGBA{200, 100, 50, 255})
	if err := WriteFile(path, g); err != nil { // replaces
		t.Fatal(err)
	}
	samePixels(t, readPNG(t, path), g)
	onlyFile(t, dir, "board.png")
}

func TestWriteFileMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nope", "board.png")
	if err := WriteFile(path, frame(color.RGBA{A: 255})); err == nil {
		t.Fatal("WriteFile into a missing directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("failed write left %d entries", len(entries))
	}
}

func TestWriteFileOverDirectoryLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "board.png")
	if err := os.Mkdir(path, 0o755); err != nil { // rename onto a directory fails
		t.Fatal(err)
	}
	if err := WriteFile(path, frame(color.RGBA{A: 255})); err == nil {
		t.Fatal("WriteFile over a directory succeeded")
	}
	onlyFile(t, dir, "board.png")
}

func TestFileShow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "live.png")
	out, err := New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := frame(color.RGBA{1, 1, 1, 255})
	if err := out.Show(f, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("Show without damage wrote the file (stat: %v)", err)
	}
	if err := out.Show(f, []image.Rectangle{f.Rect}); err != nil {
		t.Fatal(err)
	}
	samePixels(t, readPNG(t, path), f)
	f.SetRGBA(0, 0, color.RGBA{255, 0, 0, 255})
	if err := out.Show(f, []image.Rectangle{image.Rect(0, 0, 1, 1)}); err != nil {
		t.Fatal(err)
	}
	samePixels(t, readPNG(t, path), f)
	onlyFile(t, dir, "live.png")
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", filepath.Join(dir, "missing", "x.png"), filepath.Join(file, "x.png")} {
		if _, err := New(p, nil); err == nil {
			t.Errorf("New(%q) succeeded", p)
		}
	}
}
