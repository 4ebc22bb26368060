//go:build systest

package systest

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strconv"
)

// readPPM decodes the binary PPM (P6, maxval 255) QEMU's screendump writes.
func readPPM(path string) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var fields []int
	word := func() (string, error) {
		var b []byte
		for {
			c, err := r.ReadByte()
			if err != nil {
				return "", err
			}
			switch {
			case c == '#':
				if _, err := r.ReadString('\n'); err != nil {
					return "", err
				}
			case c == ' ' || c == '\n' || c == '\r' || c == '\t':
				if len(b) > 0 {
					return string(b), nil
				}
			default:
				b = append(b, c)
			}
		}
	}
	magic, err := word()
	if err != nil || magic != "P6" {
		return nil, fmt.Errorf("%s: not a binary PPM (%q, %v)", path, magic, err)
	}
	for len(fields) < 3 {
		w, err := word()
		if err != nil {
			return nil, fmt.Errorf("%s: PPM header: %w", path, err)
		}
		n, err := strconv.Atoi(w)
		if err != nil {
			return nil, fmt.Errorf("%s: PPM header %q: %w", path, w, err)
		}
		fields = append(fields, n)
	}
	w, h := fields[0], fields[1]
	if fields[2] != 255 || w <= 0 || h <= 0 || w*h > 1<<26 {
		return nil, fmt.Errorf("%s: unsupported PPM %dx%d maxval %d", path, w, h, fields[2])
	}
	px := make([]byte, 3*w*h)
	if _, err := io.ReadFull(r, px); err != nil {
		return nil, fmt.Errorf("%s: PPM pixels: %w", path, err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = px[3*i], px[3*i+1], px[3*i+2], 0xff
	}
	return img, nil
}

func readPNG(path string) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	img := image.NewRGBA(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			img.Set(x, y, m.At(x, y))
		}
	}
	return img, nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// countColour counts the pixels of exactly colour c.
func countColour(img *image.RGBA, c color.RGBA) int {
	n := 0
	for i := 0; i+3 < len(img.Pix); i += 4 {
		if img.Pix[i] == c.R && img.Pix[i+1] == c.G && img.Pix[i+2] == c.B {
			n++
		}
	}
	return n
}

// accent is the board's accent colour (display/theme.go colAccent): every
// board draws its title mark (two squares, about 290 pixels at 1280×800)
// and the start of the header rule in it; the text console's palette has
// no such colour. Its presence tells a kiosk frame from the console.
var accent = color.RGBA{0xff, 0x99, 0x00, 0xff}

// isBoard tells whether a screen shows a kiosk board.
func isBoard(img *image.RGBA) bool { return countColour(img, accent) > 150 }

// diff compares two frames of the same size pixel by pixel within rect:
// the share of pixels whose colour differs by more than tol in any channel,
// and an image with those pixels in red over a dimmed copy of a.
func diff(a, b *image.RGBA, rect image.Rectangle, tol int) (float64, *image.RGBA, error) {
	if a.Bounds() != b.Bounds() {
		return 1, nil, fmt.Errorf("sizes differ: %v and %v", a.Bounds(), b.Bounds())
	}
	rect = rect.Intersect(a.Bounds())
	out := image.NewRGBA(a.Bounds())
	bad, total := 0, 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			i := a.PixOffset(x, y)
			d := 0
			for c := 0; c < 3; c++ {
				v := int(a.Pix[i+c]) - int(b.Pix[i+c])
				if v < 0 {
					v = -v
				}
				d = max(d, v)
			}
			in := image.Pt(x, y).In(rect)
			if in {
				total++
			}
			if in && d > tol {
				bad++
				out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = 0xff, 0, 0, 0xff
				continue
			}
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = a.Pix[i]/3, a.Pix[i+1]/3, a.Pix[i+2]/3, 0xff
		}
	}
	if total == 0 {
		return 1, out, fmt.Errorf("empty comparison rectangle")
	}
	return float64(bad) / float64(total), out, nil
}
