// Package web serves a kiosk's public pages: the merged leaderboard (every
// entry), the races on track and who is next, search by name, a page per
// racer, a stream overlay and a commentator view, and the same as JSON.
// Pages are plain HTML and CSS that work without JavaScript; a few lines
// of script keep them live through Server-Sent Events. They are built
// only from the kiosk's model (model.Snapshot, the value the screen is
// drawn from too), which holds public payload fields alone: no contact
// details can appear. Everything is
// read-only and cacheable (ETag, Last-Modified, a short max-age with
// stale-while-revalidate), so a CDN or proxy can serve it to many more
// people than a kiosk could.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	// DefaultMinInterval spaces updates: a burst of changes (every
	// track's standings after a submit) becomes one update, and clients
	// refetch at most a few times a second.
	DefaultMinInterval = 200 * time.Millisecond
	// DefaultMaxClients bounds the live (SSE) connections; past it a
	// client gets 503 and its page stays static.
	DefaultMaxClients = 5000
	// PageSize is how many entries one leaderboard page lists, keeping a
	// page under 50 KB (about 12 KB with long names, 3 KB gzipped).
	PageSize = 100
	// pingEvery keeps idle event streams open through proxies.
	pingEvery = 20 * time.Second
	// writeTimeout drops an event stream whose client stopped reading.
	writeTimeout = 10 * time.Second
	// maxCached bounds the rendered pages kept per generation.
	maxCached = 1024
	// cacheControl lets a CDN or browser reuse a page for 2 s and serve a
	// stale one for 30 s while it fetches the new one.
	cacheControl = "public, max-age=2, stale-while-revalidate=30"
)

// Options configure a Server.
type Options struct {
	Logger      *slog.Logger
	MinInterval time.Duration // 0: DefaultMinInterval
	MaxClients  int           // 0: DefaultMaxClients
	// PublicURL is where spectators reach the pages (shown on the
	// overlay); "" shows none.
	PublicURL string
}

// Server serves the public pages of one kiosk. Create it with New, keep
// it current with Run and serve it as an http.Handler.
type Server struct {
	src     Source
	opt     Options
	log     *slog.Logger
	mux     *http.ServeMux
	history *history

	mu      sync.Mutex
	cur     *view
	changed chan struct{} // closed when cur is replaced
	ping    chan struct{} // closed every pingEvery
	cache   map[string]*page

	clients atomic.Int64
}

// page is a rendered response, shared by every request for it until the
// model changes.
type page struct {
	gen         uint64
	body, gz    []byte
	etag        string
	contentType string
	status      int
}

// New returns a Server showing src's current model.
func New(src Source, opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MinInterval <= 0 {
		opt.MinInterval = DefaultMinInterval
	}
	if opt.MaxClients <= 0 {
		opt.MaxClients = DefaultMaxClients
	}
	s := &Server{src: src, opt: opt, log: opt.Logger, history: newHistory(),
		changed: make(chan struct{}), ping: make(chan struct{}), cache: map[string]*page{}}
	p, _ := src.Model()
	s.history.note(p)
	s.cur = newView(p)
	s.routes()
	return s
}

// Run follows the model until ctx is done: each change (at most one per
// MinInterval) becomes the pages' new content and an event to every
// live client.
func (s *Server) Run(ctx context.Context) {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		p, changed := s.src.Model()
		s.mu.Lock()
		shown := s.cur.pub
		s.mu.Unlock()
		if p != shown {
			s.history.note(p)
			v := newView(p)
			s.mu.Lock()
			s.cur = v
			s.cache = map[string]*page{}
			s.mu.Unlock()
			s.broadcast(&s.changed)
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.opt.MinInterval):
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			s.broadcast(&s.ping)
		case <-changed:
		}
	}
}

// broadcast wakes every waiter on *c and arms a new channel.
func (s *Server) broadcast(c *chan struct{}) {
	s.mu.Lock()
	close(*c)
	*c = make(chan struct{})
	s.mu.Unlock()
}

// current is the view shown and the channels of its successor and of the
// next ping.
func (s *Server) current() (*view, <-chan struct{}, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur, s.changed, s.ping
}

// Clients is the number of open event streams.
func (s *Server) Clients() int { return int(s.clients.Load()) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: GET and HEAD only", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	html := "text/html; charset=utf-8"
	js := "application/json"
	s.mux.HandleFunc("GET /{$}", s.cached(html, s.boardPage))
	s.mux.HandleFunc("GET /racer/{id}", s.cached(html, s.racerPage))
	s.mux.HandleFunc("GET /overlay", s.cached(html, s.overlayPage))
	s.mux.HandleFunc("GET /commentary", s.cached(html, s.commentaryPage))
	s.mux.HandleFunc("GET /api/board.json", s.cached(js, s.boardJSON))
	s.mux.HandleFunc("GET /api/live.json", s.cached(js, s.liveJSON))
	s.mux.HandleFunc("GET /api/racer/{id}", s.cached(js, s.racerJSON))
	s.mux.HandleFunc("GET /events", s.events)
	s.mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", cacheControl)
		http.Error(w, "not found", http.StatusNotFound)
	})
}

// render writes a response body for view v; it returns the status.
type render func(v *view, r *http.Request, buf *bytes.Buffer) int

// cached serves what fn renders, rendering once per URL and model
// generation, with validators so that browsers and CDNs revalidate
// cheaply (304) and compressed when the client takes gzip.
func (s *Server) cached(contentType string, fn render) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, _, _ := s.current()
		key := r.URL.Path + "?" + r.URL.RawQuery
		s.mu.Lock()
		pg := s.cache[key]
		s.mu.Unlock()
		if pg == nil || pg.gen != v.pub.Gen {
			pg = s.renderPage(v, r, contentType, fn)
			s.mu.Lock()
			if s.cur == v {
				if len(s.cache) >= maxCached {
					s.cache = map[string]*page{}
				}
				s.cache[key] = pg
			}
			s.mu.Unlock()
		}
		h := w.Header()
		h.Set("Content-Type", pg.contentType)
		h.Set("Cache-Control", cacheControl)
		h.Set("ETag", pg.etag)
		h.Set("Vary", "Accept-Encoding")
		if !v.pub.Changed.IsZero() {
			h.Set("Last-Modified", v.pub.Changed.UTC().Format(http.TimeFormat))
		}
		if pg.status == http.StatusOK && etagMatch(r.Header.Get("If-None-Match"), pg.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := pg.body
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.Set("Content-Encoding", "gzip")
			body = pg.gz
		}
		h.Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(pg.status)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	}
}

func (s *Server) renderPage(v *view, r *http.Request, contentType string, fn render) *page {
	var buf bytes.Buffer
	status := fn(v, r, &buf)
	h := fnv.New64a()
	h.Write(buf.Bytes())
	var gz bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&gz)
	zw.Write(buf.Bytes())
	zw.Close()
	gzipWriters.Put(zw)
	return &page{gen: v.pub.Gen, body: buf.Bytes(), gz: gz.Bytes(), status: status, contentType: contentType,
		etag: fmt.Sprintf(`"%x"`, h.Sum64())}
}

// gzipWriters are reused: a new gzip.Writer allocates about 800 KB.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

// etagMatch reports whether an If-None-Match header names etag.
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// events is the live stream: an event whenever the model changed, with
// the server's clock (pages run race clocks on from it). The script of
// each page then fetches the page again (mostly a 304 or a cached copy).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.clients.Add(1) > int64(s.opt.MaxClients) {
		s.clients.Add(-1)
		w.Header().Set("Retry-After", "30")
		http.Error(w, "too many live clients", http.StatusServiceUnavailable)
		return
	}
	defer s.clients.Add(-1)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	v, changed, ping := s.current()
	send := func(format string, args ...any) bool {
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\nid: %d\nevent: hello\ndata: %d\n\n", v.pub.Gen, time.Now().UnixMilli()) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping:
			_, _, ping = s.current()
			if !send("event: ping\ndata: %d\n\n", time.Now().UnixMilli()) {
				return
			}
		case <-changed:
			v, changed, ping = s.current()
			if !send("id: %d\ndata: %d\n\n", v.pub.Gen, time.Now().UnixMilli()) {
				return
			}
		}
	}
}
