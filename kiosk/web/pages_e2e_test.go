package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPagesEndToEnd: laps recorded on a real trackside reach the pages
// through the broker and the kiosk's merged model: the leaderboard lists
// every entry, search folds accents and case, the racer page has the best
// result and the laps of that run, the live race shows who is next.
func TestPagesEndToEnd(t *testing.T) {
	r := startRig(t)
	r.putRacer("zoe", "Zoë Müller", true)
	r.putRacer("ann", "Ann Smith", true)
	r.putRacer("luk", "Łukasz Nowak", false)
	r.race("ann", 1, 150*time.Millisecond)
	r.race("zoe", 2, 80*time.Millisecond)
	r.race("luk", 1, 300*time.Millisecond)
	r.waitBoard(3)

	_, home := r.get("/")
	for _, want := range []string{"Zoë Müller", "Ann Smith", "Łukasz Nowak", "3 racers"} {
		if !strings.Contains(home, want) {
			t.Errorf("leaderboard lacks %q", want)
		}
	}
	for q, want := range map[string]string{"zoe": "Zoë Müller", "ZOE MULLER": "Zoë Müller", "lukasz": "Łukasz Nowak", "müller zoë": "Zoë Müller"} {
		_, body := r.get("/?q=" + strings.ReplaceAll(q, " ", "+"))
		if !strings.Contains(body, `href="/racer/`) || !strings.Contains(body, want) {
			t.Errorf("search %q: %q not found", q, want)
		}
		if strings.Contains(body, "Ann Smith</a>") {
			t.Errorf("search %q lists Ann Smith", q)
		}
	}
	if _, body := r.get("/?q=nobody"); !strings.Contains(body, "No racer matches") {
		t.Error("search for nobody: no 'no match' message")
	}

	// Zoë's best lap is her faster one of two laps of about 80 ms.
	_, js := r.get("/api/racer/zoe.json")
	best := regexp.MustCompile(`"result_ms":(\d+)`).FindStringSubmatch(js)
	if best == nil {
		t.Fatalf("racer JSON has no result: %s", js)
	}
	resp, page := r.get("/racer/zoe")
	if resp.StatusCode != 200 || !strings.Contains(page, `id="rank">#1<`) {
		t.Errorf("racer page: status %d, want rank 1: %s", resp.StatusCode, page)
	}
	if !strings.Contains(page, "Laps of the best run") || strings.Count(page, `<td class="n">`) < 2 {
		t.Errorf("racer page lists no laps of the best run")
	}
	if resp, _ := r.get("/racer/nobody"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown racer: status %d, want 404", resp.StatusCode)
	}

	// A race on track with a queue: live strip, next up, commentary.
	r.queue("luk", "ann")
	r.start("zoe")
	time.Sleep(100 * time.Millisecond)
	r.lap()
	waitFor(t, 5*time.Second, "the lap and next up on the page", func() bool {
		_, body := r.get("/")
		return strings.Contains(body, "Next: Łukasz Nowak · Ann Smith") && strings.Contains(body, "Laps 1 ·")
	})
	_, com := r.get("/commentary")
	for _, want := range []string{"Zoë Müller", "Gap to leader", "Previous runs", "Next: Łukasz Nowak · Ann Smith", "Laps 1"} {
		if !strings.Contains(com, want) {
			t.Errorf("commentary lacks %q", want)
		}
	}
	_, ov := r.get("/overlay")
	for _, want := range []string{"background:transparent", "Top 5", "Zoë Müller", "Live results: http://cup.example/"} {
		if !strings.Contains(ov, want) {
			t.Errorf("overlay lacks %q", want)
		}
	}
	// The board on the screen names the queue and carries the QR code.
	b := r.kiosk.Board()
	if b.QR != "http://cup.example/" || len(b.Live) != 1 || b.Live[0].Next != "Łukasz Nowak · Ann Smith" {
		t.Errorf("board QR %q, live %+v", b.QR, b.Live)
	}
}

// TestCachingHeaders: every page carries validators and a short max-age
// with stale-while-revalidate; a matching If-None-Match gets 304; gzip is
// served to clients that take it; nothing but GET and HEAD is allowed.
func TestCachingHeaders(t *testing.T) {
	r := startRig(t)
	r.putRacer("zoe", "Zoë Müller", false)
	r.race("zoe", 1, 50*time.Millisecond)
	r.waitBoard(1)
	for _, path := range []string{"/", "/?q=zoe", "/racer/zoe", "/overlay", "/commentary", "/api/board.json", "/api/live.json", "/api/racer/zoe.json"} {
		resp, body := r.get(path)
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != 200 || etag == "" || resp.Header.Get("Last-Modified") == "" ||
			!strings.Contains(resp.Header.Get("Cache-Control"), "stale-while-revalidate") {
			t.Errorf("%s: status %d, headers %v", path, resp.StatusCode, resp.Header)
			continue
		}
		if len(body) > 50<<10 {
			t.Errorf("%s: %d bytes, over 50 KB", path, len(body))
		}
		if resp, _ := r.get(path, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match %s: status %d, want 304", path, etag, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", r.srv.URL+"/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip asked: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		req, _ := http.NewRequest(m, r.srv.URL+"/", strings.NewReader("x"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /: status %d, want 405", m, resp.StatusCode)
		}
	}
}

// TestNoPersonalData: contact details set on the trackside appear on no
// page, no JSON and not in the event stream, while the racer's public
// name does.
func TestNoPersonalData(t *testing.T) {
	r := startRig(t)
	r.putRacer("zoe", "Zoë Müller", true)
	r.putRacer("ann", "Ann Smith", true)
	r.race("zoe", 2, 60*time.Millisecond)
	r.queue("ann")
	r.start("zoe")
	r.lap()
	r.waitBoard(1)
	waitFor(t, 5*time.Second, "the race on the page", func() bool {
		_, body := r.get("/commentary")
		return strings.Contains(body, "Next: Ann Smith")
	})
	secrets := []string{zoeEmail, zoePhone, zoeFullName, "example.com", "7700", "Private"}
	scanned := 0
	for _, path := range []string{"/", "/?q=zoe", "/?q=example", "/racer/zoe", "/racer/ann", "/overlay", "/commentary",
		"/api/board.json", "/api/live.json", "/api/racer/zoe.json", "/api/racer/ann.json", "/?page=2"} {
		_, body := r.get(path)
		scanned++
		if path == "/" && !strings.Contains(body, "Zoë Müller") {
			t.Errorf("/ lacks the public name: the scan would prove nothing")
		}
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s contains %q", path, s)
			}
		}
	}
	// The event stream's first event.
	resp, err := http.Get(r.srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	resp.Body.Close()
	for _, s := range secrets {
		if strings.Contains(string(buf[:n]), s) {
			t.Errorf("/events contains %q", s)
		}
	}
	t.Logf("%d pages and the event stream scanned", scanned)
}
