package preview

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"pitwall/display"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	_ display.Sink = (*Server)(nil)
	_ http.Handler = (*Server)(nil)
)

// renderLoop plays a kiosk's render loop for a Server: it shows frames,
// and answers the frame copy's Stale with a pass that shows the latest
// frame again.
type renderLoop struct {
	show  func(*image.RGBA, []image.Rectangle) error
	mu    sync.Mutex
	frame *image.RGBA
}

func startLoop(t *testing.T, show func(*image.RGBA, []image.Rectangle) error, stale <-chan struct{}) *renderLoop {
	l := &renderLoop{show: show}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-stale:
				l.mu.Lock()
				if l.frame != nil {
					l.show(l.frame, nil)
				}
				l.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return l
}

// Show draws frame (the test's pixels) and shows its damaged parts.
func (l *renderLoop) Show(frame *image.RGBA, damaged []image.Rectangle) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.frame = frame
	l.show(frame, damaged)
}

func testFrame(c color.RGBA) *image.RGBA {
	f := image.NewRGBA(image.Rect(0, 0, 32, 20))
	for i := 0; i < len(f.Pix); i += 4 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2], f.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return f
}

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("decode frame.png: %v", err)
	}
	return img
}

func TestFrameBeforeFirstShow(t *testing.T) {
	s := New(0, nil)
	if rec := get(t, s, "/frame.png", nil); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("frame.png before any frame: %d, want 503", rec.Code)
	}
}

func TestFrameETag(t *testing.T) {
	s := New(0, nil)
	loop := startLoop(t, s.Show, s.Stale())
	f := testFrame(color.RGBA{10, 20, 30, 255})
	loop.Show(f, []image.Rectangle{f.Rect})
	rec := get(t, s, "/frame.png", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("frame.png: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if got := decode(t, rec).At(3, 3); got != (color.RGBA{10, 20, 30, 255}) {
		t.Errorf("pixel %v", got)
	}
	if rec := get(t, s, "/frame.png", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified {
		t.Errorf("revalidation of an unchanged frame: %d, want 304", rec.Code)
	}

	// Show without damage changes nothing.
	loop.Show(f, nil)
	if rec := get(t, s, "/frame.png", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified {
		t.Errorf("after a Show without damage: %d, want 304", rec.Code)
	}

	// Only the damaged rectangle is taken from the new frame.
	g := testFrame(color.RGBA{200, 0, 0, 255})
	loop.Show(g, []image.Rectangle{image.Rect(0, 0, 4, 4)})
	rec = get(t, s, "/frame.png", map[string]string{"If-None-Match": etag})
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag {
		t.Fatalf("after a change: %d, ETag %q (old %q)", rec.Code, rec.Header().Get("ETag"), etag)
	}
	img := decode(t, rec)
	if img.At(1, 1) != (color.RGBA{200, 0, 0, 255}) || img.At(10, 10) != (color.RGBA{10, 20, 30, 255}) {
		t.Errorf("pixels %v %v: damaged part not updated or undamaged part changed", img.At(1, 1), img.At(10, 10))
	}

	// A frame of another size replaces the copy entirely.
	big := image.NewRGBA(image.Rect(0, 0, 50, 40))
	loop.Show(big, []image.Rectangle{image.Rect(0, 0, 1, 1)})
	if b := decode(t, get(t, s, "/frame.png", nil)).Bounds(); b != big.Rect {
		t.Errorf("after a resize the frame is %v, want %v", b, big.Rect)
	}
}

func TestPage(t *testing.T) {
	s := New(0, nil)
	rec := get(t, s, "/", nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{`src="frame.png"`, `EventSource("events")`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if rec := get(t, s, "/nothing", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", rec.Code)
	}
}

func TestEvents(t *testing.T) {
	// Frames shown within one interval after an event are announced once,
	// as the latest: the interval is long enough for this test's Shows.
	s := New(500*time.Millisecond, nil)
	loop := startLoop(t, s.Show, s.Stale())
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f := testFrame(color.RGBA{1, 2, 3, 255})
	loop.Show(f, []image.Rectangle{f.Rect})

	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := bufio.NewReader(resp.Body)
	next := func() string {
		t.Helper()
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				t.Fatalf("event stream: %v", err)
			}
			if strings.HasPrefix(line, "data: ") {
				return strings.TrimSpace(strings.TrimPrefix(line, "data: "))
			}
		}
	}
	if got := next(); got != "1" {
		t.Fatalf("first event %q, want the current frame 1", got)
	}
	for range 5 {
		loop.Show(f, []image.Rectangle{f.Rect})
	}
	if got := next(); got != "6" {
		t.Fatalf("event %q, want only the latest frame 6", got)
	}
	loop.Show(f, nil) // no damage: no event
	loop.Show(f, []image.Rectangle{f.Rect})
	if got := next(); got != "7" {
		t.Fatalf("event %q, want 7", got)
	}
	cancel()
	io.Copy(io.Discard, resp.Body)
}

// TestSharedCopy: a Server made by NewShared serves the copy a render loop
// feeds, keeping no frame of its own, and gives up on a copy the render
// loop does not bring up to date.
func TestSharedCopy(t *testing.T) {
	frames := display.NewFrameCopy()
	s := NewShared(frames, 0, nil)
	loop := startLoop(t, frames.Show, frames.Stale())
	f := testFrame(color.RGBA{0, 90, 0, 255})
	loop.Show(f, []image.Rectangle{f.Rect})
	rec := get(t, s, "/frame.png", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("frame.png: %d", rec.Code)
	}
	if got := decode(t, rec).At(31, 19); got != (color.RGBA{0, 90, 0, 255}) {
		t.Errorf("pixel %v, want the shown frame's", got)
	}

	// Nobody answers Stale: the request ends when the browser gives up.
	lonely := display.NewFrameCopy()
	lonely.Show(f, []image.Rectangle{f.Rect})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/frame.png", nil)
	rec = httptest.NewRecorder()
	NewShared(lonely, 0, nil).ServeHTTP(rec, req)
	if rec.Body.Len() != 0 && rec.Code == http.StatusOK {
		t.Errorf("served a frame the render loop never copied: %d", rec.Code)
	}
}

func TestTaps(t *testing.T) {
	board := New(0, nil)
	post := func(s *Server, body string) int {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/tap", strings.NewReader(body)))
		return rec.Code
	}
	// The board preview takes no input.
	if code := post(board, `{"x":1,"y":2}`); code != http.StatusMethodNotAllowed && code != http.StatusNotFound {
		t.Errorf("board preview: POST /tap gave %d, want 404/405", code)
	}
	if strings.Contains(get(t, board, "/", nil).Body.String(), "const taps = true;") {
		t.Error("board page sends taps")
	}

	console := New(0, nil)
	var got []image.Point
	console.HandleTaps(func(x, y int) { got = append(got, image.Pt(x, y)) })
	if !strings.Contains(get(t, console, "/", nil).Body.String(), "const taps = true;") {
		t.Error("console page does not send taps")
	}
	if code := post(console, `{"x":12.7,"y":-3.2}`); code != http.StatusNoContent {
		t.Fatalf("tap: %d", code)
	}
	for _, bad := range []string{``, `{"x":"a"}`, `{"x":1e300,"y":1}`, strings.Repeat(" ", 300) + `{"x":1,"y":1}`} {
		if code := post(console, bad); code != http.StatusBadRequest {
			t.Errorf("bad tap %.20q: %d, want 400", bad, code)
		}
	}
	if len(got) != 1 || got[0] != image.Pt(12, -4) {
		t.Errorf("taps %v, want [(12,-4)]", got)
	}
}
