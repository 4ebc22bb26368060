// Package preview serves the board over HTTP for people setting up a
// kiosk from a laptop: GET / is a page showing the live board, GET
// /frame.png the current frame and GET /events a server-sent event stream
// announcing new frames, so the page reloads the image only when it
// changed.
package preview

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"pitwall/display"
)

// DefaultInterval is the shortest time between two frame announcements:
// the board's clock ticks at 10 Hz, but encoding a 1080p PNG ten times a
// second would cost a Pi a core.
const DefaultInterval = 250 * time.Millisecond

// frameWait bounds how long a request for frame.png waits for the render
// loop to bring the frame copy up to date (a pass at the latest).
const frameWait = 5 * time.Second

// Server serves the frames of a display.FrameCopy, encoding a PNG only
// when a browser asks for a frame it has not encoded yet. It keeps no
// frame of its own: the copy is shared with the kiosk's other outputs
// (NewShared), or fed through Show (New). It implements http.Handler, and
// display.Sink by showing its copy.
type Server struct {
	interval time.Duration
	log      *slog.Logger
	mux      *http.ServeMux
	frames   *display.FrameCopy

	tapsOn bool // set by HandleTaps before serving

	encMu   sync.Mutex // one encoder at a time; never held by Show
	png     []byte     // the last frame encoded, never modified once served
	pngGen  uint64     // its generation in frames
	encoder png.Encoder
}

// New returns a Server with its own frame copy, fed by Show: pass it to a
// kiosk as an output. It announces frames at most once per interval (0:
// DefaultInterval). log may be nil (slog.Default()).
func New(interval time.Duration, log *slog.Logger) *Server {
	return NewShared(display.NewFrameCopy(), interval, log)
}

// NewShared returns a Server serving frames, a copy that a kiosk's render
// loop feeds (kiosk.Kiosk.FrameCopy) and its other outputs may read: the
// preview then costs no frame at all. Such a Server must not also be an
// output of that kiosk, which would show the copy twice.
func NewShared(frames *display.FrameCopy, interval time.Duration, log *slog.Logger) *Server {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		interval: interval, log: log, frames: frames,
		// The encoder's buffers (zlib state, rows: about 1 MB at 1080p)
		// are kept between frames rather than left to the garbage
		// collector four times a second.
		encoder: png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &display.PNGBuffer{}},
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /{$}", s.servePage)
	s.mux.HandleFunc("GET /frame.png", s.serveFrame)
	s.mux.HandleFunc("GET /events", s.serveEvents)
	return s
}

// maxTapBody bounds a POST /tap body: {"x":1234,"y":567}.
const maxTapBody = 256

// HandleTaps makes clicks on the page taps: the page posts the frame
// coordinates of each click to POST /tap, and fn receives them (frame
// pixels; they may lie outside the frame, which fn must ignore). Call it
// before serving. The board preview does not call it and takes no input.
func (s *Server) HandleTaps(fn func(x, y int)) {
	s.tapsOn = true
	s.mux.HandleFunc("POST /tap", func(w http.ResponseWriter, r *http.Request) {
		var p struct{ X, Y float64 }
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTapBody))
		if err := dec.Decode(&p); err != nil || math.IsNaN(p.X) || math.IsNaN(p.Y) || math.Abs(p.X) > 1e6 || math.Abs(p.Y) > 1e6 {
			http.Error(w, "want {\"x\": number, \"y\": number}", http.StatusBadRequest)
			return
		}
		fn(int(math.Floor(p.X)), int(math.Floor(p.Y)))
		w.WriteHeader(http.StatusNoContent)
	})
}

// Show passes frame to the server's copy, which takes its damaged parts.
// It only copies memory (nothing while a browser's PNG is being encoded),
// so the render loop is never held up by a slow browser.
func (s *Server) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	return s.frames.Show(frame, damaged)
}

// Stale receives when the frame copy needs a Show to catch up
// (display.FrameCopy.Stale).
func (s *Server) Stale() <-chan struct{} { return s.frames.Stale() }

// ServeHTTP routes the preview's three paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// current returns the PNG of the latest frame and its generation,
// encoding it if it changed since the last request.
func (s *Server) current(ctx context.Context) ([]byte, uint64, error) {
	s.encMu.Lock()
	defer s.encMu.Unlock()
	err := s.frames.Read(ctx, func(frame *image.RGBA, gen uint64) error {
		if gen == s.pngGen && s.png != nil {
			return nil
		}
		// A new buffer each time: the previous one may still be on its
		// way to a browser.
		buf := bytes.NewBuffer(make([]byte, 0, len(s.png)+len(s.png)/4))
		if err := s.encoder.Encode(buf, frame); err != nil {
			return fmt.Errorf("encode preview frame: %w", err)
		}
		s.png, s.pngGen = buf.Bytes(), gen
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return s.png, s.pngGen, nil
}

func (s *Server) serveFrame(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), frameWait)
	defer cancel()
	data, gen, err := s.current(ctx)
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	switch {
	case errors.Is(err, display.ErrNoFrame):
		http.Error(w, "no frame rendered yet", http.StatusServiceUnavailable)
		return
	case r.Context().Err() != nil:
		return // the browser left
	case errors.Is(err, context.DeadlineExceeded):
		http.Error(w, "the frame is not up to date yet", http.StatusServiceUnavailable)
		return
	case err != nil:
		s.log.Error("preview frame", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	etag := `"` + strconv.FormatUint(gen, 10) + `"`
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// serveEvents streams "data: <generation>" whenever a new frame exists, at
// most once per interval, starting with the current one.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	var sent uint64
	for {
		gen, changed := s.frames.Watch()
		if gen != sent {
			if _, err := fmt.Fprintf(w, "data: %d\n\n", gen); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			sent = gen
			select { // rate limit: a browser needs no more
			case <-r.Context().Done():
				return
			case <-time.After(s.interval):
			}
			continue
		}
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		}
	}
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	p := page
	if s.tapsOn {
		p = strings.Replace(p, "const taps = false;", "const taps = true;", 1)
	}
	w.Write([]byte(p))
}

// page shows the frame scaled to the window. A new frame is loaded off
// screen and swapped in when complete, so the image never flickers; if the
// event stream breaks, EventSource reconnects on its own.
const page = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pitwall board preview</title>
<style>
html, body { margin: 0; height: 100%; background: #000; }
img { display: block; width: 100%; height: 100%; object-fit: contain; }
</style>
<img id="frame" src="frame.png" alt="leaderboard">
<script>
const img = document.getElementById("frame");
let loading = false, again = false;
function reload(ev) {
  if (loading) { again = true; return; }
  loading = true;
  const next = new Image();
  next.onload = next.onerror = () => {
    if (next.naturalWidth) img.src = next.src;
    loading = false;
    if (again) { again = false; reload(); }
  };
  next.src = "frame.png?g=" + (ev && ev.data ? ev.data : Date.now());
}
new EventSource("events").onmessage = reload;
// Clicks become taps (console previews): frame pixels under the pointer,
// allowing for the letterboxing of object-fit: contain.
const taps = false;
if (taps) {
  img.style.cursor = "pointer";
  img.addEventListener("click", (e) => {
    const r = img.getBoundingClientRect(), nw = img.naturalWidth, nh = img.naturalHeight;
    if (!nw || !nh) return;
    const k = Math.min(r.width / nw, r.height / nh);
    const x = (e.clientX - r.left - (r.width - nw * k) / 2) / k;
    const y = (e.clientY - r.top - (r.height - nh * k) / 2) / k;
    fetch("tap", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({x: x, y: y})});
  });
}
</script>
</html>
`
