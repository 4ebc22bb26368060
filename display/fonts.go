package display

import (
	"fmt"
	"sync"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// fontSet holds the parsed Go fonts. Parsing happens once per process; an
// sfnt.Font is read-only and shared by every face and Renderer.
type fontSet struct {
	regular, bold *sfnt.Font
}

var loadFonts = sync.OnceValues(func() (fontSet, error) {
	reg, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		return fontSet{}, fmt.Errorf("parse Go Regular: %w", err)
	}
	bold, err := sfnt.Parse(gobold.TTF)
	if err != nil {
		return fontSet{}, fmt.Errorf("parse Go Bold: %w", err)
	}
	return fontSet{regular: reg, bold: bold}, nil
})

// faceKey identifies a face in a Renderer's face cache.
type faceKey struct {
	bold bool
	px   int
}
