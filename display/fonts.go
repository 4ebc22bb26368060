package display

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
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

// DefaultFallbackFonts are the system fonts tried, in order, for a rune the
// embedded Go fonts lack (CJK, Hangul, Arabic, emoji). Paths that do not
// exist are skipped, so the list names the Debian and the Buildroot place
// of each font. "path#N" takes only member N of a collection (.ttc); a bare
// collection path takes all its members in order.
var DefaultFallbackFonts = []string{
	// CJK and Hangul. Noto Sans CJK is the best looking but 90 MB installed;
	// WenQuanYi Micro Hei (5 MB, Debian fonts-wqy-microhei) covers Chinese,
	// Japanese kana and Korean Hangul; Zen Hei is Buildroot's CJK font.
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#0",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc#0",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc#0",
	"/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc#0",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	// Arabic (with its presentation forms), Hebrew and many symbols.
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/dejavu/DejaVuSans.ttf",
	// Monochrome emoji (Unicode 9): Debian fonts-symbola.
	"/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
	"/usr/share/fonts/truetype/ancient-scripts/Symbola.ttf",
}

// FontChain is the ordered list of fallback fonts a Renderer draws a rune
// from when the embedded font lacks it: per rune, the first font that has
// a glyph wins. Files are opened lazily, on the first rune that needs a
// fallback, and each file is mapped (or read) once per process however many
// chains name it. A file that is missing or unreadable is logged once and
// skipped; a rune no font has is drawn as the placeholder box.
//
// A FontChain is safe for concurrent use.
type FontChain struct {
	files []*chainFile
}

// chainFile is one configured path of a chain.
type chainFile struct {
	path   string
	member int  // collection member, or -1 for all
	quiet  bool // a default path: its absence is normal, logged at debug
	log    *slog.Logger
	once   sync.Once
	fonts  []*sfnt.Font
}

// NewFontChain returns a chain of the font files at paths, in order
// ("path#N" selects member N of a collection). Nothing is read until a
// Renderer needs a rune the embedded font lacks. A nil log logs to
// slog.Default().
func NewFontChain(paths []string, log *slog.Logger) (*FontChain, error) {
	return newFontChain(paths, log, false)
}

func newFontChain(paths []string, log *slog.Logger, quiet bool) (*FontChain, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &FontChain{}
	for _, p := range paths {
		path, member, err := ParseFontPath(p)
		if err != nil {
			return nil, err
		}
		c.files = append(c.files, &chainFile{path: path, member: member, quiet: quiet, log: log})
	}
	return c, nil
}

// DefaultFontChain is the chain of DefaultFallbackFonts, shared by every
// Renderer made without WithFonts.
var DefaultFontChain = sync.OnceValue(func() *FontChain {
	c, err := newFontChain(DefaultFallbackFonts, nil, true)
	if err != nil {
		panic(fmt.Sprintf("display: DefaultFallbackFonts: %v", err)) // a constant list
	}
	return c
})

// ParseFontPath splits "path#N" into the file and the collection member
// (-1 when no member is named). The path must be absolute: a kiosk's
// working directory is not something to depend on at a venue.
func ParseFontPath(s string) (path string, member int, err error) {
	path, member = s, -1
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 0 || n > 255 {
			return "", 0, fmt.Errorf("font %q: %q after # is not a collection member number", s, s[i+1:])
		}
		path, member = s[:i], n
	}
	if !strings.HasPrefix(path, "/") {
		return "", 0, fmt.Errorf("font %q: want an absolute path", s)
	}
	return path, member, nil
}

// Paths returns the chain's files as configured ("path#N").
func (c *FontChain) Paths() []string {
	var out []string
	for _, f := range c.files {
		p := f.path
		if f.member >= 0 {
			p += "#" + strconv.Itoa(f.member)
		}
		out = append(out, p)
	}
	return out
}

// load returns the fonts of the file, opening it on first use.
func (f *chainFile) load() []*sfnt.Font {
	f.once.Do(func() {
		fonts, err := openFontFile(f.path, f.member)
		if err != nil {
			level := slog.LevelWarn
			if f.quiet && errors.Is(err, os.ErrNotExist) {
				level = slog.LevelDebug
			}
			f.log.Log(nil, level, "fallback font unavailable; its scripts draw as boxes", "font", f.path, "err", err)
			return
		}
		f.fonts = fonts
	})
	return f.fonts
}

// mappedFiles are the font files opened in this process, by path: every
// chain naming a file shares its one mapping.
var (
	mappedMu    sync.Mutex
	mappedFiles = map[string][]byte{}
)

func openFontFile(path string, member int) ([]*sfnt.Font, error) {
	mappedMu.Lock()
	data, ok := mappedFiles[path]
	if !ok {
		var err error
		data, err = mapFile(path)
		if err != nil {
			mappedMu.Unlock()
			return nil, err
		}
		mappedFiles[path] = data
	}
	mappedMu.Unlock()
	return parseFonts(path, data, member)
}

// parseFonts parses a font file or collection (all members, or member).
func parseFonts(path string, data []byte, member int) ([]*sfnt.Font, error) {
	if len(data) < 12 {
		return nil, fmt.Errorf("parse font %s: %d bytes is too short", path, len(data))
	}
	if string(data[:4]) != "ttcf" {
		if member > 0 {
			return nil, fmt.Errorf("parse font %s: member #%d asked of a file that is not a collection", path, member)
		}
		f, err := parseFont(data, 0)
		if err != nil {
			return nil, fmt.Errorf("parse font %s: %w", path, err)
		}
		return []*sfnt.Font{f}, nil
	}
	n := int(binary.BigEndian.Uint32(data[8:12]))
	if n < 1 || 12+4*n > len(data) {
		return nil, fmt.Errorf("parse font collection %s: %d members does not fit its %d bytes", path, n, len(data))
	}
	first, last := 0, n-1
	if member >= 0 {
		if member >= n {
			return nil, fmt.Errorf("parse font collection %s: no member #%d (it has %d)", path, member, n)
		}
		first, last = member, member
	}
	var fonts []*sfnt.Font
	for i := first; i <= last; i++ {
		off := int(binary.BigEndian.Uint32(data[12+4*i:]))
		f, err := parseFont(data, off)
		if err != nil {
			return nil, fmt.Errorf("parse font collection %s member #%d: %w", path, i, err)
		}
		fonts = append(fonts, f)
	}
	return fonts, nil
}

// parseFont parses the font whose table directory starts at dir. sfnt
// insists that every table start on a 4-byte boundary, which some Debian
// collections (WenQuanYi's) do not honour; such a font is read through a
// view that moves each table to an aligned offset without copying it.
func parseFont(data []byte, dir int) (*sfnt.Font, error) {
	if dir == 0 {
		if f, err := sfnt.Parse(data); err == nil {
			return f, nil
		}
	} else if c, err := sfnt.ParseCollection(data); err == nil {
		for i := range c.NumFonts() {
			if binary.BigEndian.Uint32(data[12+4*i:]) == uint32(dir) {
				if f, err := c.Font(i); err == nil {
					return f, nil
				}
				break
			}
		}
	}
	view, err := alignTables(data, dir)
	if err != nil {
		return nil, err
	}
	return sfnt.ParseReaderAt(view)
}

// alignedFont is a standalone font file made of pieces: a rewritten table
// directory, then each table (a slice of the mapped file) at a 4-byte
// aligned offset, zeros between.
type alignedFont struct {
	pieces []piece // by offset
	size   int64
}

type piece struct {
	off  int64
	data []byte
}

// ReadAt implements io.ReaderAt.
func (a *alignedFont) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= a.size {
		return 0, io.EOF
	}
	i := sort.Search(len(a.pieces), func(i int) bool {
		return a.pieces[i].off+int64(len(a.pieces[i].data)) > off
	})
	n := 0
	for n < len(p) && off+int64(n) < a.size {
		at := off + int64(n)
		if i >= len(a.pieces) || at < a.pieces[i].off { // padding
			end := a.size
			if i < len(a.pieces) {
				end = a.pieces[i].off
			}
			k := int(min(end-at, int64(len(p)-n)))
			clear(p[n : n+k])
			n += k
			continue
		}
		n += copy(p[n:], a.pieces[i].data[at-a.pieces[i].off:])
		i++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// alignTables returns the font whose table directory is at data[dir:] as
// a standalone font file with every table on a 4-byte boundary.
func alignTables(data []byte, dir int) (*alignedFont, error) {
	if dir < 0 || dir+12 > len(data) {
		return nil, fmt.Errorf("table directory at %d is outside the file", dir)
	}
	n := int(binary.BigEndian.Uint16(data[dir+4:]))
	head := 12 + 16*n
	if dir+head > len(data) {
		return nil, fmt.Errorf("%d tables at %d overrun the file", n, dir)
	}
	hdr := make([]byte, head)
	copy(hdr, data[dir:dir+head])
	a := &alignedFont{pieces: []piece{{0, hdr}}}
	pos := int64((head + 3) &^ 3)
	for i := range n {
		rec := hdr[12+16*i:]
		o, l := int64(binary.BigEndian.Uint32(rec[8:])), int64(binary.BigEndian.Uint32(rec[12:]))
		if o+l > int64(len(data)) {
			return nil, fmt.Errorf("table %q at %d+%d is outside the file", rec[:4], o, l)
		}
		binary.BigEndian.PutUint32(rec[8:], uint32(pos))
		if l > 0 {
			a.pieces = append(a.pieces, piece{pos, data[o : o+l]})
		}
		pos = (pos + l + 3) &^ 3
	}
	a.size = pos
	return a, nil
}

// Option configures a Renderer.
type Option func(*Renderer)

// WithFonts makes the Renderer fall back to chain for runes the embedded
// font lacks; nil draws them all as placeholder boxes. Without this option
// a Renderer uses DefaultFontChain().
func WithFonts(chain *FontChain) Option {
	return func(r *Renderer) { r.chain = chain }
}
