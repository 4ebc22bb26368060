package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"pitwall/display"
	"pitwall/internal/monoclock"
)

var screenshots = flag.String("screenshots", "", "write the browser screenshots into this directory (docs/web)")

// browser starts a real headless Chromium at a phone viewport (390×844,
// two device pixels per CSS pixel). Without Chromium the test skips,
// loudly, unless PITWALL_REQUIRE_CHROMIUM=1 (CI), where it fails.
func browser(t *testing.T, w, h int64) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("PITWALL_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium not found and PITWALL_REQUIRE_CHROMIUM=1 (apt-get install chromium)")
		}
		t.Skip("SKIPPED: chromium not installed (apt-get install chromium); set PITWALL_REQUIRE_CHROMIUM=1 to make this a failure")
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(int(w), int(h)))
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	scale := 2.0
	if w > 1000 {
		scale = 1
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h, chromedp.EmulateScale(scale))); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// shoot saves a screenshot of the viewport into -screenshots.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	// Read in one evaluation: the page's script may swap <main> (a live
	// update) between a node lookup and a read of it.
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestBrowserSearchAndRacerPage: on a phone, typing a name without its
// accent into the search form finds the racer; their page shows their
// best result.
func TestBrowserSearchAndRacerPage(t *testing.T) {
	ctx := browser(t, 390, 844)
	r := startRig(t)
	r.putRacer("zoe", "Zoë Müller", true)
	r.putRacer("ann", "Ann Smith", false)
	r.putRacer("bjo", "Björn Þórsson", false)
	r.race("ann", 1, 120*time.Millisecond)
	r.race("zoe", 2, 90*time.Millisecond)
	r.race("bjo", 1, 200*time.Millisecond)
	r.waitBoard(3)
	_, js := r.get("/api/racer/zoe.json")
	m := regexp.MustCompile(`"result_ms":(\d+)`).FindStringSubmatch(js)
	if m == nil {
		t.Fatalf("no result in %s", js)
	}
	var resultMS int64
	fmt.Sscan(m[1], &resultMS)
	want := string(display.AppendLapTime(nil, time.Duration(resultMS)*time.Millisecond))

	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#board"))); err != nil {
		t.Fatal(err)
	}
	shoot(t, ctx, "phone-leaderboard.png")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=q]`), "zoe"),
		chromedp.Submit(chromedp.CSS(`input[name=q]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/racer/zoe"]`)),
	); err != nil {
		t.Fatal(err)
	}
	got := text(t, ctx, "main")
	if !strings.Contains(got, "Zoë Müller") || strings.Contains(got, "Ann Smith\t") {
		t.Errorf("search results: %q", got)
	}
	shoot(t, ctx, "phone-search.png")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/racer/zoe"]`)), chromedp.WaitVisible(chromedp.CSS("#best"))); err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/racer/zoe") {
		t.Errorf("racer page at %s, want the stable link /racer/zoe", loc)
	}
	if best := text(t, ctx, "#best"); best != want {
		t.Errorf("racer page best %q, want %q", best, want)
	}
	if rank := text(t, ctx, "#rank"); rank != "#1" {
		t.Errorf("racer page rank %q, want #1", rank)
	}
	shoot(t, ctx, "phone-racer.png")
}

// TestBrowserLiveLap: a lap recorded on the trackside appears on a page
// already open on a phone, through the event stream, within a second.
func TestBrowserLiveLap(t *testing.T) {
	ctx := browser(t, 390, 844)
	r := startRig(t)
	r.putRacer("zoe", "Zoë Müller", false)
	r.putRacer("ann", "Ann Smith", false)
	r.race("ann", 1, 100*time.Millisecond)
	r.queue("ann")
	r.start("zoe")
	waitFor(t, 5*time.Second, "the race on the page", func() bool {
		_, body := r.get("/")
		return strings.Contains(body, "Laps 0 ·") && strings.Contains(body, "Next: Ann Smith")
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the page's event stream", func() bool { return r.web.Clients() == 1 })
	if got := text(t, ctx, "#live"); !strings.Contains(got, "Laps 0") {
		t.Fatalf("live section before the lap: %q", got)
	}
	time.Sleep(200 * time.Millisecond) // a lap the rules count (min_lap 0: any, but not a 0 ms one)
	pushed := time.Now()
	r.cross(monoclock.Now())
	var seen time.Duration
	for {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#live").innerText`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(s, "Laps 1") {
			seen = time.Since(pushed)
			break
		}
		if time.Since(pushed) > time.Second {
			t.Fatalf("lap not on the open page within a second: %q", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("lap on the open page %v after the crossing", seen.Round(time.Millisecond))
	shoot(t, ctx, "phone-live.png")
	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/commentary"), chromedp.WaitVisible(chromedp.CSS("#commentary"))); err != nil {
		t.Fatal(err)
	}
	shoot(t, ctx, "phone-commentary.png")
}

// TestBrowserOverlay: the overlay, rendered by Chromium at 1920×1080 as
// OBS's browser source does, is transparent where it shows nothing. The
// screenshot is composed over a checkerboard to show it.
func TestBrowserOverlay(t *testing.T) {
	ctx := browser(t, 1920, 1080)
	r := startRig(t)
	for i, n := range []string{"Zoë Müller", "Ann Smith", "Björn Þórsson", "Chloé Marchand", "Kai Nakamura", "Grace Hopper"} {
		id := fmt.Sprintf("r%d", i)
		r.putRacer(id, n, false)
		r.race(id, 1, time.Duration(60+20*i)*time.Millisecond)
	}
	r.queue("r1", "r2")
	r.start("r0")
	time.Sleep(150 * time.Millisecond)
	r.lap()
	r.waitBoard(6)
	waitFor(t, 5*time.Second, "the race on the overlay", func() bool {
		_, body := r.get("/overlay")
		return strings.Contains(body, "Laps 1 ·")
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/overlay"), chromedp.WaitVisible(chromedp.CSS(".strips"))); err != nil {
		t.Fatal(err)
	}
	// OBS composes the page over the stream: no default white behind it.
	// cdp.RGBA omits a zero alpha, which the protocol then takes as 1
	// (opaque black): the params are written out.
	setBackground := cdp.Command[json.RawMessage, cdp.Empty]{Method: emulation.CommandSetDefaultBackgroundColorOverride}
	if _, err := chromedp.Call(ctx, setBackground, json.RawMessage(`{"color":{"r":0,"g":0,"b":0,"a":0}}`)); err != nil {
		t.Fatal(err)
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1920 || b.Dy() != 1080 {
		t.Fatalf("overlay screenshot %v, want 1920×1080", b)
	}
	alpha := func(x, y int) uint32 { _, _, _, a := img.At(x, y).RGBA(); return a >> 8 }
	if a := alpha(960, 400); a != 0 {
		t.Errorf("overlay centre alpha %d, want 0 (transparent)", a)
	}
	if a := alpha(60, 1000); a == 0 {
		t.Errorf("live strip at (60,1000) is transparent: nothing drawn")
	}
	if a := alpha(1800, 80); a == 0 {
		t.Errorf("top 5 panel at (1800,80) is transparent: nothing drawn")
	}
	if *screenshots != "" {
		// Over a checkerboard, as image editors show transparency.
		out := image.NewRGBA(img.Bounds())
		for y := 0; y < 1080; y++ {
			for x := 0; x < 1920; x++ {
				c := color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
				if (x/40+y/40)%2 == 0 {
					c = color.RGBA{0xff, 0xff, 0xff, 0xff}
				}
				out.SetRGBA(x, y, c)
			}
		}
		draw.Draw(out, out.Bounds(), img, image.Point{}, draw.Over)
		f, err := os.Create(filepath.Join(*screenshots, "overlay-checkerboard.png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, out); err != nil {
			t.Fatal(err)
		}
	}
}
