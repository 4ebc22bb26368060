package display

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata/")

// goldenSizes are the screens kiosks drive: the official 7" panel, 720p,
// 1080p and 4K.
var goldenSizes = []image.Point{{800, 480}, {1280, 720}, {1920, 1080}, {3840, 2160}}

// Fonts rasterize deterministically, but allow a little drift (another Go
// version's rounding) before calling it a regression.
const (
	goldenLevel    = 8     // a channel differing by more than this is a differing pixel
	goldenFraction = 0.005 // at most this share of pixels may differ
)

// TestGolden draws with the embedded fonts alone (fallback off), so these
// images do not depend on the fonts installed: names in other scripts show
// the placeholder box. TestGoldenScripts covers the fallback fonts.
func TestGolden(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(t *testing.T) {
			checkGolden(t, sz, sampleBoard(), fmt.Sprintf("board_%dx%d.png", sz.X, sz.Y), WithFonts(nil))
		})
	}
	t.Run("empty_1920x1080", func(t *testing.T) {
		b := sampleBoard()
		b.Rows, b.Footer, b.Notices = nil, nil, nil
		b.Live = b.Live[:1]
		checkGolden(t, image.Pt(1920, 1080), b, "empty_1920x1080.png", WithFonts(nil))
	})
}

func checkGolden(t *testing.T, sz image.Point, b Board, name string, opts ...Option) {
	t.Helper()
	r, err := NewRenderer(sz.X, sz.Y, opts...)
	if err != nil {
		t.Fatal(err)
	}
	r.Render(b)
	path := filepath.Join("testdata", name)
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, r.Frame()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./display -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if want.Bounds() != r.Frame().Bounds() {
		t.Fatalf("%s is %v, rendered %v", path, want.Bounds(), r.Frame().Bounds())
	}
	n, total := differingPixels(r.Frame(), want, goldenLevel)
	if float64(n) > goldenFraction*float64(total) {
		out := filepath.Join(t.TempDir(), name)
		var buf bytes.Buffer
		_ = png.Encode(&buf, r.Frame())
		_ = os.WriteFile(out, buf.Bytes(), 0o644)
		t.Errorf("%d of %d pixels differ from %s by more than %d levels (limit %.1f%%); rendered frame: %s",
			n, total, path, goldenLevel, goldenFraction*100, out)
	}
}

// differingPixels counts pixels where any channel differs by more than level.
func differingPixels(got *image.RGBA, want image.Image, level int) (n, total int) {
	b := got.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := got.PixOffset(x, y)
			wr, wg, wb, _ := want.At(x, y).RGBA()
			if absDiff(int(got.Pix[i]), int(wr>>8)) > level ||
				absDiff(int(got.Pix[i+1]), int(wg>>8)) > level ||
				absDiff(int(got.Pix[i+2]), int(wb>>8)) > level {
				n++
			}
		}
	}
	return n, b.Dx() * b.Dy()
}

func absDiff(a, b int) int {
	if a < b {
		return b - a
	}
	return a - b
}
