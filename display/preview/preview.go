// Package preview serves the board over HTTP for people setting up a
// kiosk from a laptop: GET / is a page showing the live board, GET
// /frame.png the current frame and GET /events a server-sent event stream
// announcing new frames, so the page reloads the image only when it
// changed.
package preview

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultInterval is the shortest time between two frame announcements:
// the board's clock ticks at 10 Hz, but encoding a 1080p PNG ten times a
// second would cost a Pi a core.
const DefaultInterval = 250 * time.Millisecond

// Server keeps a copy of the latest frame and serves it. It implements
// display.Sink and http.Handler.
type Server struct {
	interval time.Duration
	log      *slog.Logger
	mux      *http.ServeMux

	mu      sync.Mutex
	frame   *image.RGBA   // latest frame, updated by Show
	gen     uint64        // increases with each Show that changed something
	changed chan struct{} // closed and replaced when gen increases

	encMu   sync.Mutex // one encoder at a time; never held by Show
	snap    *image.RGBA
	png     []byte
	pngGen  uint64
	encoder png.Encoder
}

// New returns a Server announcing frames at most once per interval (0:
// DefaultInterval). log may be nil (slog.Default()).
func New(interval time.Duration, log *slog.Logger) *Server {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		interval: interval, log: log, changed: make(chan struct{}),
		encoder: png.Encoder{CompressionLevel: png.BestSpeed},
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /{$}", s.servePage)
	s.mux.HandleFunc("GET /frame.png", s.serveFrame)
	s.mux.HandleFunc("GET /events", s.serveEvents)
	return s
}

// Show copies the damaged parts of frame. It only copies memory, so the
// render loop is never held up by a slow browser.
func (s *Server) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	if len(damaged) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frame == nil || s.frame.Rect != frame.Rect {
		s.frame = image.NewRGBA(frame.Rect)
		damaged = []image.Rectangle{frame.Rect}
	}
	for _, r := range damaged {
		r = r.Intersect(frame.Rect)
		draw.Draw(s.frame, r, frame, r.Min, draw.Src)
	}
	s.gen++
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// ServeHTTP routes the preview's three paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// current returns the PNG of the latest frame and its generation,
// encoding it if it changed since the last request.
func (s *Server) current() ([]byte, uint64, error) {
	s.encMu.Lock()
	defer s.encMu.Unlock()
	s.mu.Lock()
	gen := s.gen
	if s.frame == nil {
		s.mu.Unlock()
		return nil, 0, nil
	}
	if gen == s.pngGen && s.png != nil {
		s.mu.Unlock()
		return s.png, gen, nil
	}
	if s.snap == nil || s.snap.Rect != s.frame.Rect {
		s.snap = image.NewRGBA(s.frame.Rect)
	}
	copy(s.snap.Pix, s.frame.Pix)
	s.mu.Unlock()

	var buf bytes.Buffer
	if err := s.encoder.Encode(&buf, s.snap); err != nil {
		return nil, 0, fmt.Errorf("encode preview frame: %w", err)
	}
	s.png, s.pngGen = buf.Bytes(), gen
	return s.png, gen, nil
}

func (s *Server) serveFrame(w http.ResponseWriter, r *http.Request) {
	data, gen, err := s.current()
	if err != nil {
		s.log.Error("preview frame", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	if data == nil {
		http.Error(w, "no frame rendered yet", http.StatusServiceUnavailable)
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
		s.mu.Lock()
		gen, changed := s.gen, s.changed
		s.mu.Unlock()
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
	w.Write([]byte(page))
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
</script>
</html>
`
