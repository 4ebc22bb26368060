package display

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// testFallbackFonts is the chain the script goldens are drawn with: the
// fonts scripts/setup.sh installs (fonts-wqy-microhei, fonts-dejavu-core,
// fonts-symbola), named explicitly so that other fonts installed on a
// machine cannot change the images.
var testFallbackFonts = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc#0",
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
}

// testChain returns the chain of testFallbackFonts. Without the fonts the
// test skips, loudly, unless PITWALL_REQUIRE_FONTS=1 (CI) makes it fail.
func testChain(t testing.TB) *FontChain {
	t.Helper()
	for _, p := range testFallbackFonts {
		path, _, _ := ParseFontPath(p)
		if _, err := os.Stat(path); err != nil {
			msg := fmt.Sprintf("fallback font missing: %v; run scripts/setup.sh (apt-get install fonts-wqy-microhei fonts-dejavu-core fonts-symbola)", err)
			if os.Getenv("PITWALL_REQUIRE_FONTS") == "1" {
				t.Fatal(msg)
			}
			t.Skip("SKIPPED: " + msg)
		}
	}
	c, err := NewFontChain(testFallbackFonts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// scriptNames are racers' names in every script the kiosk promises to draw.
var scriptNames = []struct{ script, name string }{
	{"Japanese", "山田 さくら"},
	{"Japanese katakana", "タナカ・ユウキ"},
	{"Japanese voiced kana", "がんばれ ゴジラ"},
	{"Chinese simplified", "李小龙"},
	{"Chinese traditional", "陳美麗"},
	{"Korean", "김민준"},
	{"Arabic", "محمد علي"},
	{"Arabic lam-alef", "علاء"},
	{"Persian", "پژمان"},
	{"Hebrew", "דוד לוי"},
	{"emoji", "🏎️🚀🔥👍🏽❤️🏁"},
	{"emoji with text", "🏎️ Turbo Team"},
}

// TestNoScriptDrawsPlaceholder: with the fallback fonts, no rune of any
// configured script is drawn as the placeholder box, at any weight or size.
func TestNoScriptDrawsPlaceholder(t *testing.T) {
	chain := testChain(t)
	fonts, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	var sh shaper
	for _, bold := range []bool{false, true} {
		src := fonts.regular
		if bold {
			src = fonts.bold
		}
		for _, px := range []int{14, 40} {
			f, err := newFace(src, px, chain)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range scriptNames {
				line, w := shape(&sh, f, tc.name)
				if w <= 0 {
					t.Errorf("%s %q (bold %v, %d px): nothing drawn", tc.script, tc.name, bold, px)
				}
				for i, p := range line {
					if p.g == f.missing {
						t.Errorf("%s %q (bold %v, %d px): glyph %d is the placeholder box", tc.script, tc.name, bold, px, i)
					}
				}
			}
		}
	}
}

// scriptBoard is sampleBoard with names in every script.
func scriptBoard() Board {
	b := sampleBoard()
	names := []string{
		"山田 さくら", "李小龙", "김민준", "محمد علي", "🏎️ Turbo Team",
		"タナカ・ユウキ", "陳美麗", "박서연 🚀", "علاء الدين", "Zoë 🔥👍",
		"がんばれ ゴジラ", "王芳 (Wang Fang)", "이지은", "فاطمة الزهراء", "🏁 Chequered",
		"佐藤 健", "张伟", "최유리", "يوسف 7", "Ada Lovelace",
	}
	for i := range b.Rows {
		b.Rows[i].Name = names[i]
	}
	b.Title = "DeepRacer 東京 · 서울 · 上海 · دبي 🏎️"
	b.Footer.Name = "ليلى"
	b.Live[0].Racer = "鈴木 一郎"
	b.Live[1].Racer = "عمر خالد"
	return b
}

// TestGoldenScripts: names in Japanese, Chinese, Korean, Arabic and emoji
// drawn with the fallback fonts (look at testdata/scripts_*.png).
func TestGoldenScripts(t *testing.T) {
	chain := testChain(t)
	for _, sz := range []image.Point{{800, 480}, {1920, 1080}} {
		name := fmt.Sprintf("scripts_%dx%d.png", sz.X, sz.Y)
		t.Run(name, func(t *testing.T) {
			checkGolden(t, sz, scriptBoard(), name, WithFonts(chain))
		})
	}
}

// glyphsOf returns the glyphs f draws for runes, for comparing lines.
func glyphsOf(f *face, runes ...rune) []*glyph {
	var gs []*glyph
	for _, r := range runes {
		gs = append(gs, f.glyph(r))
	}
	return gs
}

func lineGlyphs(line []placedGlyph) []*glyph {
	var gs []*glyph
	for _, p := range line {
		if p.cluster {
			gs = append(gs, p.g)
		}
	}
	return gs
}

// TestArabicContextualFormsRightToLeft: Arabic letters take their joined
// forms and runs of them are drawn right to left; Latin and numbers keep
// their order.
func TestArabicContextualFormsRightToLeft(t *testing.T) {
	chain := testChain(t)
	fonts, _ := loadFonts()
	f, err := newFace(fonts.regular, 30, chain)
	if err != nil {
		t.Fatal(err)
	}
	var sh shaper
	for _, tc := range []struct {
		name   string
		s      string
		visual []rune // left to right
	}{
		// meem initial, hah medial, meem medial, dal final; drawn reversed.
		{"joined word", "محمد", []rune{0xFEAA, 0xFEE4, 0xFEA4, 0xFEE3}},
		{"isolated letter", "ب", []rune{0xFE8F}},
		// ain initial, lam-alef final ligature, hamza isolated.
		{"lam-alef", "علاء", []rune{0xFE80, 0xFEFC, 0xFECB}},
		// dal does not join the letter after it: alef stays isolated.
		{"right-joining breaks", "دا", []rune{0xFE8D, 0xFEA9}},
		{"latin before", "Al علي", []rune{'A', 'l', ' ', 0xFEF2, 0xFEE0, 0xFECB}},
		{"number inside run", "علي 12 بن", []rune{0xFEE6, 0xFE91, ' ', '1', '2', ' ', 0xFEF2, 0xFEE0, 0xFECB}},
		{"bracket mirrored", "(علي)", []rune{'(', 0xFEF2, 0xFEE0, 0xFECB, ')'}},
		{"latin untouched", "Zoë 12", []rune{'Z', 'o', 'ë', ' ', '1', '2'}},
	} {
		line, _ := shape(&sh, f, tc.s)
		got, want := lineGlyphs(line), glyphsOf(f, tc.visual...)
		if len(got) != len(want) {
			t.Errorf("%s %q: %d glyphs, want %d", tc.name, tc.s, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s %q: glyph %d is not %U", tc.name, tc.s, i, tc.visual[i])
			}
		}
	}
}

// TestShapeFitRightToLeft: a long Arabic name is cut at its end in
// reading order (the visual left), never through a ligature.
func TestShapeFitRightToLeft(t *testing.T) {
	chain := testChain(t)
	fonts, _ := loadFonts()
	f, _ := newFace(fonts.regular, 30, chain)
	var sh shaper
	name := "عبد الرحمن بن عوف"
	_, full := shape(&sh, f, name)
	for maxW := 0; maxW < full.Ceil(); maxW += 9 {
		line, w := shapeFit(&sh, f, name, maxW)
		if w > maxW {
			t.Fatalf("maxW %d: width %d", maxW, w)
		}
		if len(line) > 1 {
			// The kept text starts the name: its first letter (ain,
			// initial form) is the rightmost glyph before the ellipsis.
			if line[len(line)-1].g != f.glyph('…') || line[len(line)-2].g != f.glyph(0xFECB) {
				t.Fatalf("maxW %d: cut does not keep the start of the name", maxW)
			}
		}
	}
}

// logCount counts log records at or above warn.
type logCount struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCount) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logCount) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.msgs = append(l.msgs, b.String())
	return nil
}
func (l *logCount) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCount) WithGroup(string) slog.Handler      { return l }

// TestMissingFallbackFont: a configured font that is missing or not a font
// is logged once, and its runes draw as the placeholder box; nothing
// panics.
func TestMissingFallbackFont(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.ttf")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a font "), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs logCount
	chain, err := NewFontChain([]string{filepath.Join(dir, "gone.ttc#0"), junk}, slog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		r, err := NewRenderer(800, 480, WithFonts(chain))
		if err != nil {
			t.Fatal(err)
		}
		r.Render(scriptBoard())
		f := r.faceOf(false, 20)
		if g := f.glyph('李'); g != f.missing {
			t.Fatalf("a rune no loadable font has is not the placeholder box")
		}
	}
	if len(logs.msgs) != 2 {
		t.Fatalf("want one warning per broken font, got %d: %q", len(logs.msgs), logs.msgs)
	}
	if !strings.Contains(logs.msgs[0], "gone.ttc") || !strings.Contains(logs.msgs[1], "junk.ttf") {
		t.Errorf("warnings do not name the files: %q", logs.msgs)
	}
}

func TestParseFontPath(t *testing.T) {
	for _, tc := range []struct {
		in     string
		path   string
		member int
		ok     bool
	}{
		{"/a/b.ttf", "/a/b.ttf", -1, true},
		{"/a/b.ttc#2", "/a/b.ttc", 2, true},
		{"b.ttf", "", 0, false},
		{"/a/b.ttc#x", "", 0, false},
		{"/a/b.ttc#-1", "", 0, false},
		{"", "", 0, false},
	} {
		path, member, err := ParseFontPath(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (path != tc.path || member != tc.member)) {
			t.Errorf("ParseFontPath(%q) = %q %d %v", tc.in, path, member, err)
		}
	}
}

// unalignedCollection wraps font in a one-member collection whose tables
// start on odd offsets, as WenQuanYi's .ttc files do.
func unalignedCollection(font []byte) []byte {
	n := int(binary.BigEndian.Uint16(font[4:]))
	head := 12 + 16*n
	out := []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10")
	dir := len(out)
	out = append(out, font[:head]...)
	for i := range n {
		rec := dir + 12 + 16*i
		o, l := binary.BigEndian.Uint32(out[rec+8:]), binary.BigEndian.Uint32(out[rec+12:])
		out = append(out, 0) // misalign
		binary.BigEndian.PutUint32(out[rec+8:], uint32(len(out)))
		out = append(out, font[o:o+l]...)
	}
	return out
}

// TestUnalignedCollection: a collection whose tables sfnt refuses (not on
// 4-byte boundaries) is realigned and parsed.
func TestUnalignedCollection(t *testing.T) {
	data := unalignedCollection(goregular.TTF)
	fonts, err := parseFonts("test.ttc", data, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := newFace(fonts[0], 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := f.glyph('A'); g == f.missing || g.mask == nil {
		t.Fatal("no glyph for A in the realigned font")
	}
	// The view reads back as a font file sfnt parses on its own.
	view, err := alignTables(data, 16)
	if err != nil {
		t.Fatal(err)
	}
	whole := make([]byte, view.size)
	if n, err := view.ReadAt(whole, 0); n != len(whole) || err != nil {
		t.Fatalf("ReadAt of the whole view: %d of %d bytes, %v", n, len(whole), err)
	}
	if _, err := sfnt.Parse(whole); err != nil {
		t.Fatalf("the aligned view is not a font: %v", err)
	}
	if n, err := view.ReadAt(make([]byte, 8), view.size-4); n != 4 || err != io.EOF {
		t.Errorf("ReadAt past the end: %d, %v", n, err)
	}
	if _, err := parseFonts("test.ttc", data, 1); err == nil {
		t.Error("member #1 of a one-member collection parsed")
	}
	if _, err := parseFonts("short", data[:8], -1); err == nil {
		t.Error("an 8-byte file parsed")
	}
}

// TestFallbackKeepsLettersWhole: a letter the embedded font lacks but a
// fallback font has is drawn whole (が, not か with its voicing mark
// dropped; the decomposition table holds only Latin, Greek and Cyrillic),
// while Latin letters are still built from the embedded font's letters
// and accents rather than mixed in from a fallback font.
func TestFallbackKeepsLettersWhole(t *testing.T) {
	chain := testChain(t)
	fonts, _ := loadFonts()
	f, err := newFace(fonts.regular, 30, chain)
	if err != nil {
		t.Fatal(err)
	}
	var sh shaper
	for _, tc := range []struct {
		s    string
		want rune
	}{
		{"が", 'が'},
		{"ペ", 'ペ'},
		{"آ", 0xFE81}, // alef with madda, isolated form
		{"ẹ", 'e'},    // DejaVu has ẹ; the embedded e with a dot below is drawn
	} {
		line, _ := shape(&sh, f, tc.s)
		if len(line) == 0 || line[0].g != f.glyph(tc.want) {
			t.Errorf("%q: first glyph is not %q", tc.s, tc.want)
		}
	}
}

// FuzzParseFonts: any bytes in a configured font file are an error or a
// font whose glyphs can be looked up and drawn; never a panic.
func FuzzParseFonts(f *testing.F) {
	f.Add(goregular.TTF[:2048], -1)
	f.Add(unalignedCollection(goregular.TTF)[:4096], 0)
	f.Add([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x02\x00\x00\x00\x14\xff\xff\xff\xff"), -1)
	f.Fuzz(func(t *testing.T, data []byte, member int) {
		if member < -1 || member > 4 {
			return
		}
		fonts, err := parseFonts("fuzz", data, member)
		if err != nil {
			return
		}
		for _, font := range fonts {
			fc, err := newFace(font, 16, nil)
			if err != nil {
				continue
			}
			for _, r := range "A李" {
				fc.glyph(r)
			}
		}
	})
}
