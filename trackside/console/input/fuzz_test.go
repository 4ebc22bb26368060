package input

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fuzzSpecs are the devices a fuzzed stream is replayed on, by index.
var fuzzSpecs = []deviceSpec{mtPanel, stPanel, keyboardSpec, portraitPanel, keypadSpec}

// FuzzDecode feeds arbitrary bytes through the whole decoder: records in
// either layout, SYN framing and SYN_DROPPED, touch slots, gestures, keys.
// Whatever comes in, it must not panic, every coordinate delivered must be
// on the screen, drags must be well-formed, and keys must have a name.
func FuzzDecode(f *testing.F) {
	for _, r := range recordings() {
		f.Add(r.script(), r.spec.layout.Word == 4, uint8(specIndex(r.spec)))
	}
	f.Fuzz(func(t *testing.T, data []byte, word32 bool, device uint8) {
		spec := fuzzSpecs[int(device)%len(fuzzSpecs)]
		spec.layout = Layout64
		if word32 {
			spec.layout = Layout32
		}
		cfg := screen800
		if spec.name == portraitPanel.name {
			cfg.Rotate, cfg.SwapXY = 90, true
		}
		got, _, err := replay(spec, cfg, data)
		if err != nil && !errors.Is(err, ErrTruncated) {
			t.Fatalf("replay: %v", err)
		}
		dragging := false
		onScreen := func(x, y int) bool { return x >= 0 && x < cfg.Width && y >= 0 && y < cfg.Height }
		for i, e := range got {
			switch e := e.(type) {
			case Tap:
				if !onScreen(e.X, e.Y) || dragging {
					t.Fatalf("event %d: %#v (dragging %v)", i, e, dragging)
				}
			case LongPress:
				if !onScreen(e.X, e.Y) || dragging {
					t.Fatalf("event %d: %#v (dragging %v)", i, e, dragging)
				}
			case Drag:
				if !onScreen(e.X, e.Y) || (e.Phase == DragBegin) == dragging {
					t.Fatalf("event %d: %#v (dragging %v)", i, e, dragging)
				}
				dragging = e.Phase == DragBegin || e.Phase == DragMove
			case Key:
				if e.Name == "" {
					t.Fatalf("event %d: key without a name", i)
				}
			default:
				t.Fatalf("event %d: unknown %#v", i, e)
			}
		}
		if dragging {
			t.Fatal("stream ended inside a drag that was never ended or cancelled")
		}
	})
}

func specIndex(s deviceSpec) int {
	for i, f := range fuzzSpecs {
		if f.name == s.name {
			return i
		}
	}
	return 0
}

// TestFuzzSeedCorpus writes testdata/fuzz/FuzzDecode from the recordings
// (with -update) and checks the committed corpus is there.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	seeds := map[string][]byte{}
	for _, r := range recordings() {
		seeds[r.file+"_"+strconv.Itoa(specIndex(r.spec))] = r.script()
	}
	g := garbage()
	seeds["garbage"] = g[:96*Layout64.Size()]
	seeds["truncated_record"] = rec64[:17]
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			dev := 0
			word32 := false
			for _, r := range recordings() {
				if r.file+"_"+strconv.Itoa(specIndex(r.spec)) == name {
					dev, word32 = specIndex(r.spec), r.spec.layout.Word == 4
				}
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nbool(%v)\nuint8(%d)\n", strconv.Quote(string(b)), word32, dev)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name := range seeds {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("seed corpus: %v (run with -update)", err)
		}
	}
}
