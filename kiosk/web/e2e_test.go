package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pitwall/internal/monoclock"
	"pitwall/kiosk"
	"pitwall/kiosk/web"
	"pitwall/mqtt/broker"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/unit"
)

// The contact details set on the trackside for the privacy scan. None may
// ever reach a kiosk, so none may appear on any page.
const (
	zoeEmail    = "zoe.private@example.com"
	zoePhone    = "+44 7700 900123"
	zoeFullName = "Zoë Private-Fullname"
)

var testSecret = []byte("web-test-secret-0123456789abcdef")

// pushSource is a timing input driven by the test.
type pushSource struct{ in chan crossing.Crossing }

func (p *pushSource) Name() string { return "push" }
func (p *pushSource) Health() crossing.Health {
	return crossing.Health{Name: "push", State: crossing.StateOK}
}
func (p *pushSource) Run(ctx context.Context, sink crossing.Sink) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-p.in:
			if err := sink(ctx, c); err != nil {
				return err
			}
		}
	}
}

// rig is a real event in one process: the embedded broker with logins, a
// trackside unit with a push input, a kiosk merging it and its web pages
// on a loopback HTTP server.
type rig struct {
	t     testing.TB
	ts    *unit.Unit
	src   *pushSource
	seq   uint64
	kiosk *kiosk.Kiosk
	web   *web.Server
	srv   *httptest.Server
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startRig(t testing.TB) *rig {
	t.Helper()
	br, err := broker.Start(broker.Config{Secret: testSecret, Addr: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	dir := t.TempDir()
	secret := filepath.Join(dir, "event.secret")
	if err := os.WriteFile(secret, testSecret, 0o600); err != nil {
		t.Fatal(err)
	}
	tcfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
		"track": "1", "data_dir": %q, "broker": {"url": %q, "secret_file": %q}, "health_interval": "1s",
		"rules": {"duration": "10m", "min_lap": "0s"},
		"sources": [{"type": "tcp", "name": "unused", "protocol": "zround", "addr": "127.0.0.1:1"}]
	}`, filepath.Join(dir, "ts"), br.URL(), secret)))
	if err != nil {
		t.Fatal(err)
	}
	src := &pushSource{in: make(chan crossing.Crossing)}
	u, err := unit.New(tcfg, unit.Options{Sources: []crossing.Source{src}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	kcfg, err := kiosk.ParseConfig([]byte(fmt.Sprintf(`{
		"kiosk": "k1", "broker": {"url": %q, "secret_file": %q}, "title": "Test Cup",
		"width": 800, "height": 480, "web": {"listen": "127.0.0.1:0", "public_url": "http://cup.example/"},
		"cache": %q
	}`, br.URL(), secret, filepath.Join(dir, "cache.json"))))
	if err != nil {
		t.Fatal(err)
	}
	k, err := kiosk.New(kcfg, kiosk.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	w := web.New(k, web.Options{Logger: quiet(), PublicURL: kcfg.Web.PublicURL})
	srv := httptest.NewServer(w)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(3)
	go func() { defer wg.Done(); errs <- u.Run(ctx) }()
	go func() { defer wg.Done(); errs <- k.Run(ctx) }()
	go func() { defer wg.Done(); w.Run(ctx) }()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("stopped with: %v", err)
			}
		}
	})
	return &rig{t: t, ts: u, src: src, kiosk: k, web: w, srv: srv}
}

func (r *rig) cross(at int64) {
	r.seq++
	r.src.in <- crossing.Crossing{Source: "push", MonoNS: at, Seq: r.seq, Host: time.Now()}
}

// putRacer registers a racer with contact details, as the registration
// desk does.
func (r *rig) putRacer(id, name string, contact bool) {
	r.t.Helper()
	rc := race.Racer{ID: id, Name: name}
	if contact {
		rc.Email, rc.Phone, rc.FullName = zoeEmail, zoePhone, zoeFullName
	}
	if err := r.ts.Track().PutRacer(context.Background(), "test", rc); err != nil {
		r.t.Fatal(err)
	}
}

// start loads a racer and starts their race with a first crossing.
func (r *rig) start(id string) {
	r.t.Helper()
	if _, err := r.ts.Track().LoadRacer(context.Background(), "test", id); err != nil {
		r.t.Fatal(err)
	}
	r.cross(monoclock.Now())
}

// lap ends a lap now and waits until the track recorded it.
func (r *rig) lap() {
	r.t.Helper()
	cur := r.ts.Track().Current()
	n := len(cur.Laps)
	r.cross(monoclock.Now())
	waitFor(r.t, 5*time.Second, "lap recorded", func() bool {
		c := r.ts.Track().Current()
		return c != nil && len(c.Laps) == n+1
	})
}

// finish ends and submits the race.
func (r *rig) finish() {
	r.t.Helper()
	ctx := context.Background()
	if _, err := r.ts.Track().End(ctx, "test"); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.ts.Track().Submit(ctx, "test"); err != nil {
		r.t.Fatal(err)
	}
}

// race runs a submitted race with laps of about the given length.
func (r *rig) race(id string, laps int, each time.Duration) {
	r.t.Helper()
	r.start(id)
	for range laps {
		time.Sleep(each)
		r.lap()
	}
	r.finish()
}

// queue queues racers behind the current one.
func (r *rig) queue(ids ...string) {
	r.t.Helper()
	for _, id := range ids {
		if err := r.ts.Track().Queue(context.Background(), "test", id); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *rig) get(path string, hdr ...string) (*http.Response, string) {
	r.t.Helper()
	req, _ := http.NewRequest("GET", r.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp, string(b)
}

// waitBoard waits until the web's board has n entries.
func (r *rig) waitBoard(n int) {
	r.t.Helper()
	waitFor(r.t, 10*time.Second, fmt.Sprintf("%d entries on the web board", n), func() bool {
		_, body := r.get("/api/board.json")
		var b struct{ Entries []json.RawMessage }
		return json.Unmarshal([]byte(body), &b) == nil && len(b.Entries) == n
	})
}

func waitFor(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
