package problem_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pitwall/display/fb"
	"pitwall/internal/problem"
	"pitwall/kiosk"
)

// testdata is absolute: the tests change directory.
var testdata, _ = filepath.Abs("testdata")

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata/")

// screen is the fake framebuffer: a plain file laid out like the official
// 7" panel's fbdev (800×480 XRGB8888), written through fb.OpenFile exactly
// as the kiosk's frames are.
var screen = fb.XRGB8888(800, 480)

type fileFB struct {
	*fb.Framebuffer
	f *os.File
}

func (o fileFB) Close() error { o.Framebuffer.Close(); return o.f.Close() }

func openFile(path string, _ *slog.Logger) (problem.Output, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	b, err := fb.OpenFile(screen, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return fileFB{b, f}, nil
}

// readScreen decodes the fake framebuffer file back into an image.
func readScreen(t *testing.T, path string) *image.RGBA {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, screen.Width, screen.Height))
	for y := range screen.Height {
		for x := range screen.Width {
			v := binary.LittleEndian.Uint32(raw[y*screen.LineLength+x*4:])
			img.SetRGBA(x, y, color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff})
		}
	}
	return img
}

// checkGolden compares the screen with testdata/name (rewritten with
// -update); a few differing pixels are allowed for font rounding.
func checkGolden(t *testing.T, got *image.RGBA, name string) {
	t.Helper()
	path := filepath.Join(testdata, name)
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, got); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run with -update and look at the PNG)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	diff := 0
	for y := range screen.Height {
		for x := range screen.Width {
			r1, g1, b1, _ := got.At(x, y).RGBA()
			r2, g2, b2, _ := want.At(x, y).RGBA()
			if absDiff(r1, r2) > 8<<8 || absDiff(g1, g2) > 8<<8 || absDiff(b1, b2) > 8<<8 {
				diff++
			}
		}
	}
	if diff > screen.Width*screen.Height/200 {
		out := filepath.Join(t.TempDir(), name)
		var buf bytes.Buffer
		png.Encode(&buf, got)
		os.WriteFile(out, buf.Bytes(), 0o644)
		t.Errorf("%s: %d pixels differ; got %s", name, diff, out)
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// waitFor polls cond until it holds (or fails the test after 10 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUntilShowsAndRetries runs the kiosk's config loading under Until:
// no file, then a broken file, then a good one. Each problem must reach
// the (fake) screen naming the file and key, and each edit must be picked
// up without a restart.
func TestUntilShowsAndRetries(t *testing.T) {
	// Relative names: the screen shows the path, and a temporary
	// directory's name would differ at every run.
	t.Chdir(t.TempDir())
	fbPath := "fb0"
	if err := os.WriteFile(fbPath, make([]byte, screen.MemLen), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := "kiosk.json"

	var mu sync.Mutex
	var statuses []string
	s := &problem.Screen{
		Role: "kiosk", FB: fbPath, Open: openFile, Poll: 5 * time.Millisecond,
		Footer: "pitwall-kiosk-a1b2c3 · pitwall test",
		Alive: func(st string) {
			mu.Lock()
			statuses = append(statuses, st)
			mu.Unlock()
		},
	}
	var tries int
	var mu2 sync.Mutex
	done := make(chan error, 1)
	var cfg kiosk.Config
	go func() {
		done <- s.Until(context.Background(), []string{cfgPath}, func() error {
			mu2.Lock()
			tries++
			mu2.Unlock()
			var err error
			cfg, err = kiosk.LoadConfig(cfgPath)
			return err
		})
	}()
	triesNow := func() int { mu2.Lock(); defer mu2.Unlock(); return tries }
	lastStatus := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(statuses) == 0 {
			return ""
		}
		return statuses[len(statuses)-1]
	}

	// No file: the missing-file screen.
	waitFor(t, "the missing-file status", func() bool { return strings.Contains(lastStatus(), "no such file") })
	checkGolden(t, readScreen(t, fbPath), "missing_800x480.png")
	if n := triesNow(); n != 1 {
		t.Errorf("%d tries with nothing changed, want 1 (no retry loop)", n)
	}

	// A broken file: the key at fault on the screen.
	if err := os.WriteFile(cfgPath, []byte(`{"kiosk": "hall a", "broker": {"url": "tcp://10.42.0.1:1883"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the broken-file status", func() bool { return strings.Contains(lastStatus(), "kiosk:") })
	checkGolden(t, readScreen(t, fbPath), "broken_800x480.png")
	select {
	case err := <-done:
		t.Fatalf("Until returned %v on a broken file", err)
	default:
	}

	// Fixed: Until returns and the config is the new one.
	if err := os.WriteFile(cfgPath, []byte(`{"kiosk": "hall-a", "broker": {"url": "tcp://10.42.0.1:1883"}, "outputs": {"fb": "/dev/fb0"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Until did not return after the file was fixed")
	}
	if cfg.Kiosk != "hall-a" {
		t.Errorf("kiosk %q after the fix", cfg.Kiosk)
	}
}

// TestUntilRoleProblem: bootconf's role problem file is shown even when
// the config itself is fine, and is not retried until it changes.
func TestUntilRoleProblem(t *testing.T) {
	dir := t.TempDir()
	fbPath := filepath.Join(dir, "fb0")
	os.WriteFile(fbPath, make([]byte, screen.MemLen), 0o644)
	roleProblem := filepath.Join(dir, "role-problem")
	os.WriteFile(roleProblem, []byte("no pitwall/trackside.json or pitwall/kiosk.json: copy pitwall/kiosk.json.example to pitwall/kiosk.json for a kiosk (or trackside.json.example to trackside.json for a trackside) and edit it\n"), 0o644)
	s := &problem.Screen{Role: "kiosk", FB: fbPath, Open: openFile, Poll: 5 * time.Millisecond, ProblemFiles: []string{roleProblem}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	tried := make(chan struct{}, 1)
	go func() {
		done <- s.Until(ctx, nil, func() error { tried <- struct{}{}; return nil })
	}()
	waitFor(t, "the role screen", func() bool {
		img := readScreen(t, fbPath)
		return img.RGBAAt(400, 240) != (color.RGBA{0, 0, 0, 0xff})
	})
	checkGolden(t, readScreen(t, fbPath), "role_800x480.png")
	select {
	case <-tried:
		t.Fatal("started despite the role problem")
	default:
	}
	os.WriteFile(roleProblem, nil, 0o644) // bootconf found a role
	<-tried
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cancel()
}

// TestUntilRetriesTransient: a problem that may go away by itself (no
// broker found yet) is retried without any file changing; a config error
// is not.
func TestUntilRetriesTransient(t *testing.T) {
	t.Chdir(t.TempDir())
	os.WriteFile("kiosk.json", []byte("{}"), 0o644)
	s := &problem.Screen{Role: "kiosk", Poll: 5 * time.Millisecond, RetryEvery: 20 * time.Millisecond}
	tries := 0
	err := s.Until(context.Background(), []string{"kiosk.json"}, func() error {
		tries++
		if tries < 3 {
			return problem.Transient(errors.New("discovery: no pitwall broker answered"))
		}
		return nil
	})
	if err != nil || tries != 3 {
		t.Fatalf("Until: %v after %d tries, want nil after 3", err, tries)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	tries = 0
	err = s.Until(ctx, []string{"kiosk.json"}, func() error { tries++; return errors.New("kiosk: bad") })
	if !errors.Is(err, context.DeadlineExceeded) || tries != 1 {
		t.Fatalf("a config error: %v after %d tries, want the deadline after 1 try", err, tries)
	}
}
