package display

import (
	"image"

	qrcode "github.com/skip2/go-qrcode"
)

// qrQuiet is the light margin around the code, in modules. The standard
// asks for 4; 2 leaves bigger modules in the same square and phones read
// it, the dark board around it being far from the code.
const qrQuiet = 2

// MaxQRLength bounds Board.QR: longer URLs need so many modules that a
// code in a screen corner is no longer readable from a distance.
const MaxQRLength = 120

// encodeQR returns the modules of url's QR code (true: dark) or nil when
// it cannot be encoded.
func encodeQR(url string) [][]bool {
	if url == "" || len(url) > MaxQRLength {
		return nil
	}
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil
	}
	q.DisableBorder = true
	return q.Bitmap()
}

// drawQR paints the QR code of url, dark modules on white, centred in the
// layout's QR square with whole-pixel modules.
func (r *Renderer) drawQR(url string) {
	box := r.lay.qr
	if box.Empty() {
		return
	}
	if url != r.qrURL || r.qrBits == nil {
		r.qrURL, r.qrBits = url, encodeQR(url)
	}
	bits := r.qrBits
	if bits == nil {
		return
	}
	n := len(bits) + 2*qrQuiet
	m := box.Dx() / n
	if m < 1 {
		return
	}
	side := m * n
	x0 := box.Min.X + (box.Dx()-side)/2
	y0 := box.Min.Y + (box.Dy()-side)/2
	fillRect(r.frame, image.Rect(x0, y0, x0+side, y0+side), colQRLight)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				px, py := x0+(x+qrQuiet)*m, y0+(y+qrQuiet)*m
				fillRect(r.frame, image.Rect(px, py, px+m, py+m), colQRDark)
			}
		}
	}
}
