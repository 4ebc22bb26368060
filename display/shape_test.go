package display

import (
	"image"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func testFace(t testing.TB, px int) *face {
	t.Helper()
	fonts, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	f, err := newFace(fonts.bold, px, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestResolveCluster(t *testing.T) {
	f := testFace(t, 40)
	for _, tc := range []struct {
		name      string
		base      rune
		marks     []rune
		wantBase  rune
		wantMarks []rune
	}{
		{"precomposed in font", 'é', nil, 'é', nil},
		{"composes with the font's letter", 'e', []rune{0x0301}, 'é', nil},
		{"capital composes", 'E', []rune{0x0301}, 'É', nil},
		// ẹ is not in the Go fonts: e + dot below, and the grave composes
		// past the dot below because they sit on different sides.
		{"Yoruba e dot below grave", 'ẹ', []rune{0x0300}, 'è', []rune{0x0323}},
		{"Vietnamese e circumflex dot below", 'ệ', nil, 'ê', []rune{0x0323}},
		{"Vietnamese e circumflex tilde", 'ễ', nil, 'ê', []rune{0x0303}},
		{"no precomposed form", 'q', []rune{0x0301}, 'q', []rune{0x0301}},
		// The first acute cannot compose with x, so the second above-mark
		// is blocked from composing out of order.
		{"blocked by an earlier mark above", 'x', []rune{0x0301, 0x0300}, 'x', []rune{0x0301, 0x0300}},
		{"i loses its dot under an accent", 'i', []rune{0x0304, 0x0301}, 'ī', []rune{0x0301}},
		{"unknown mark kept for dropping", 'a', []rune{0x0489}, 'a', []rune{0x0489}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, marks := resolveCluster(f, tc.base, slices.Clone(tc.marks))
			if base != tc.wantBase || !slices.Equal(marks, tc.wantMarks) {
				t.Errorf("resolveCluster(%q, %U) = %q %U, want %q %U", tc.base, tc.marks, base, marks, tc.wantBase, tc.wantMarks)
			}
		})
	}
}

func TestDecomposeCompose(t *testing.T) {
	for _, tc := range []struct{ composed, base, mark rune }{
		{'é', 'e', 0x0301},
		{'ẹ', 'e', 0x0323},
		{'ệ', 'ẹ', 0x0302},
		{'Ł', 0, 0}, // a letter of its own, not a decomposition
	} {
		b, m, ok := decompose(tc.composed)
		if ok != (tc.base != 0) || b != tc.base || m != tc.mark {
			t.Errorf("decompose(%q) = %q %U %v", tc.composed, b, m, ok)
		}
		if tc.base != 0 {
			if c, ok := compose(tc.base, tc.mark); !ok || c != tc.composed {
				t.Errorf("compose(%q, %U) = %q %v, want %q", tc.base, tc.mark, c, ok, tc.composed)
			}
		}
	}
}

func TestShapeClusters(t *testing.T) {
	f := testFace(t, 40)
	var sh shaper
	for _, tc := range []struct {
		name     string
		s        string
		clusters int
		missing  int
	}{
		{"latin", "Zoë", 3, 0},
		{"decomposed input", "Zoe\u0308", 3, 0},
		{"yoruba", "Olúwasẹ̀un", 9, 0},
		{"polish", "Łukasiewicz", 11, 0},
		{"cjk shows boxes", "李小龙", 3, 3},
		{"emoji presentation selector is invisible", "❤️", 1, 1},
		{"zwj sequence", "👩\u200d🚀", 2, 2},
		{"skin tone modifier is invisible", "👍🏽", 1, 1},
		{"controls are dropped", "a\tb\nc", 3, 0},
		{"leading mark is dropped", "\u0301a", 1, 0},
		{"invalid utf-8", "a\xffb", 3, 0},
		{"empty", "", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line, w := shape(&sh, f, tc.s)
			clusters, missing := 0, 0
			for _, p := range line {
				if p.cluster {
					clusters++
				}
				if p.g == f.missing {
					missing++
				}
			}
			if clusters != tc.clusters || missing != tc.missing {
				t.Errorf("shape(%q): %d clusters, %d boxes; want %d, %d", tc.s, clusters, missing, tc.clusters, tc.missing)
			}
			if (tc.clusters > 0) != (w > 0) {
				t.Errorf("shape(%q) width %v", tc.s, w)
			}
		})
	}
}

func TestMarksPlacedOutsideBaseInk(t *testing.T) {
	f := testFace(t, 60)
	var sh shaper
	for _, tc := range []struct {
		s     string
		above bool
	}{
		{"Q\u0308", true},       // no precomposed Q̈: diaeresis above the capital
		{"Q\u0308\u0301", true}, // and a second mark above the first
		{"ẹ", false},            // dot below
		{"b\u0331", false},      // macron below
	} {
		line, _ := shape(&sh, f, tc.s)
		if len(line) < 2 {
			t.Fatalf("%q: %d glyphs, want base and marks", tc.s, len(line))
		}
		base := line[0].g.rect.Add(image.Pt(line[0].x, line[0].y))
		prev := base
		for _, m := range line[1:] {
			r := m.g.rect.Add(image.Pt(m.x, m.y))
			if tc.above && r.Max.Y > prev.Min.Y {
				t.Errorf("%q: mark %v overlaps %v below it", tc.s, r, prev)
			}
			if !tc.above && r.Min.Y < prev.Max.Y {
				t.Errorf("%q: mark %v overlaps %v above it", tc.s, r, prev)
			}
			if c := (r.Min.X + r.Max.X) / 2; c < base.Min.X || c > base.Max.X {
				t.Errorf("%q: mark centre %d outside base %v", tc.s, c, base)
			}
			prev = r
		}
	}
}

func TestShapeFit(t *testing.T) {
	f := testFace(t, 30)
	var sh shaper
	name := "Maximilian von Hohenzollern-Sigmaringen"
	_, full := shape(&sh, f, name)
	line, w := shapeFit(&sh, f, name, full.Ceil())
	if w != full.Ceil() || line[len(line)-1].g == f.glyph('…') {
		t.Errorf("a name that fits was changed: width %d of %d", w, full.Ceil())
	}
	ell := f.glyph('…')
	for maxW := 0; maxW < full.Ceil(); maxW += 7 {
		line, w := shapeFit(&sh, f, name, maxW)
		if w > maxW {
			t.Fatalf("maxW %d: width %d", maxW, w)
		}
		if maxW >= ell.advance.Ceil() && (len(line) == 0 || line[len(line)-1].g != ell) {
			t.Fatalf("maxW %d: cut text does not end with an ellipsis", maxW)
		}
	}
	// Cuts fall between clusters: what precedes the ellipsis is a prefix
	// of the full line that ends right before a base glyph.
	deco := strings.Repeat("e\u0323\u0300", 20)
	fullLine, _ := shape(&sh, f, deco)
	fullLine = slices.Clone(fullLine)
	for maxW := ell.advance.Ceil(); maxW < 400; maxW += 5 {
		line, _ := shapeFit(&sh, f, deco, maxW)
		if line[len(line)-1].g != ell {
			if len(line) != len(fullLine) {
				t.Fatalf("maxW %d: %d of %d glyphs kept without an ellipsis", maxW, len(line), len(fullLine))
			}
			continue
		}
		kept := line[:len(line)-1]
		for i := range kept {
			if kept[i] != fullLine[i] {
				t.Fatalf("maxW %d: glyph %d differs from the full line", maxW, i)
			}
		}
		if !fullLine[len(kept)].cluster {
			t.Fatalf("maxW %d: cut after glyph %d splits a cluster", maxW, len(kept))
		}
	}
}

func TestShapeDoesNotAllocate(t *testing.T) {
	f := testFace(t, 30)
	var sh shaper
	buf := AppendLapTime(make([]byte, 0, 32), ms(62345))
	shapeFit(&sh, f, "Olúwasẹ̀un Adébáyọ̀ 李", 100) // warm the glyph cache
	shape(&sh, f, buf)
	allocs := testing.AllocsPerRun(100, func() {
		shape(&sh, f, buf)
		shapeFit(&sh, f, "Olúwasẹ̀un Adébáyọ̀ 李", 100)
	})
	if allocs != 0 {
		t.Errorf("shaping allocates %.1f times, want 0", allocs)
	}
}

// FuzzShapeFit: any string, valid UTF-8 or not, shapes and draws without
// panicking, and a fitted line never exceeds its width.
func FuzzShapeFit(f *testing.F) {
	for _, s := range []string{"Zoë", "Olúwasẹ̀un", "李小龙", "👩\u200d🚀❤️", "\u0301\u0301", "a\xff\xfe", strings.Repeat("W", 80),
		"محمد علي 12", "(علاء) لا", "دا ب", "שלום 7 עולם"} {
		f.Add(s, 120)
	}
	fc := testFace(f, 24)
	// With the fallback fonts, when installed, Arabic takes the contextual
	// forms path.
	if _, err := os.Stat("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"); err == nil {
		fc.chain, _ = NewFontChain(testFallbackFonts, slog.New(slog.DiscardHandler))
	}
	dst := image.NewRGBA(image.Rect(0, 0, 200, 40))
	ink := image.NewUniform(colText)
	f.Fuzz(func(t *testing.T, s string, maxW int) {
		if maxW < 0 || maxW > 10000 || len(s) > 4096 {
			return
		}
		var sh shaper
		line, w := shapeFit(&sh, fc, s, maxW)
		if w > maxW {
			t.Fatalf("shapeFit(%q, %d) is %d wide", s, maxW, w)
		}
		if utf8.ValidString(s) && len(line) > 0 && !line[0].cluster {
			t.Fatalf("line starts with a mark")
		}
		drawLine(dst, dst.Rect, line, 4, 30, ink)
	})
}
