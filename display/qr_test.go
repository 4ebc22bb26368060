package display

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
)

const sampleQR = "http://pitwall.local:8080/"

// qrBoard is the sample board with a QR code and next-up lines.
func qrBoard() Board {
	b := sampleBoard()
	b.QR = sampleQR
	b.Live[0].Next = "Chloé Marchand · Kai Nakamura · 李小龙"
	b.Live[1].Next = "Grace Hopper"
	return b
}

func TestGoldenQRAndNext(t *testing.T) {
	for _, sz := range []image.Point{{800, 480}, {1920, 1080}} {
		name := fmt.Sprintf("board_qr_next_%dx%d.png", sz.X, sz.Y)
		t.Run(name, func(t *testing.T) { checkGolden(t, sz, qrBoard(), name) })
	}
	t.Run("board_qr_nolive_1920x1080.png", func(t *testing.T) {
		b := sampleBoard()
		b.QR, b.Live = sampleQR, nil
		checkGolden(t, image.Pt(1920, 1080), b, "board_qr_nolive_1920x1080.png")
	})
}

// decodeQR reads a QR code from an image with a real decoder.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code decoded: %v", err)
	}
	return res.GetText()
}

// TestQRDecodesFromPNG decodes the URL back from the rendered frame,
// encoded to PNG and read again, at every screen size, and from the
// committed golden images.
func TestQRDecodesFromPNG(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(t *testing.T) {
			r, err := NewRenderer(sz.X, sz.Y)
			if err != nil {
				t.Fatal(err)
			}
			r.Render(qrBoard())
			path := filepath.Join(t.TempDir(), "board.png")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, r.Frame()); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if got := decodeQR(t, readPNG(t, path)); got != sampleQR {
				t.Errorf("decoded %q, want %q", got, sampleQR)
			}
		})
	}
	for _, name := range []string{"board_qr_next_800x480.png", "board_qr_next_1920x1080.png", "board_qr_nolive_1920x1080.png"} {
		if got := decodeQR(t, readPNG(t, filepath.Join("testdata", name))); got != sampleQR {
			t.Errorf("%s: decoded %q, want %q", name, got, sampleQR)
		}
	}
}

// TestQRNotDrawn: no URL draws no code, and a URL too long for a readable
// code draws none either (rather than an unreadable one).
func TestQRNotDrawn(t *testing.T) {
	for _, url := range []string{"", "https://example.org/" + string(make([]byte, MaxQRLength))} {
		r, err := NewRenderer(1920, 1080)
		if err != nil {
			t.Fatal(err)
		}
		b := sampleBoard()
		b.Live = nil
		b.QR = url
		r.Render(b)
		bmp, _ := gozxing.NewBinaryBitmapFromImage(r.Frame())
		if res, err := gzqr.NewQRCodeReader().Decode(bmp, nil); err == nil {
			t.Errorf("QR %q: decoded %q from a board that should have no code", url[:min(len(url), 30)], res.GetText())
		}
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}
