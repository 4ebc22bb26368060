package kiosk_test

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/display"
	"pitwall/internal/monoclock"
	"pitwall/internal/mosquittotest"
	"pitwall/kiosk"
	"pitwall/mqtt"
	"pitwall/mqtt/broker"
	"pitwall/mqtt/client"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/unit"
)

// pushSource is a timing input driven by the test: each crossing goes to
// the trackside's sink as a real sensor's would, stamped on the host clock.
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

// trackside is an in-process trackside unit with a push source.
type trackside struct {
	t    testing.TB
	unit *unit.Unit
	src  *pushSource
	seq  uint64
}

func startTrackside(t testing.TB, track, brokerURL string) *trackside {
	t.Helper()
	cfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
		"track": %q, "data_dir": %q, "broker": {"url": %q}, "health_interval": "1s",
		"rules": {"duration": "10m", "min_lap": "0s"},
		"sources": [{"type": "tcp", "name": "unused", "protocol": "zround", "addr": "127.0.0.1:1"}]
	}`, track, t.TempDir(), brokerURL)))
	if err != nil {
		t.Fatal(err)
	}
	src := &pushSource{in: make(chan crossing.Crossing)}
	u, err := unit.New(cfg, unit.Options{Sources: []crossing.Source{src}, Logger: quietLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("trackside %s stopped with: %v", track, err)
		}
	})
	return &trackside{t: t, unit: u, src: src}
}

// race runs one submitted race of racer with the given lap times, one
// crossing per lap boundary.
func (ts *trackside) race(id, name string, laps ...time.Duration) {
	ts.t.Helper()
	ctx := context.Background()
	tr := ts.unit.Track()
	if err := tr.PutRacer(ctx, "test", race.Racer{ID: id, Name: name}); err != nil {
		ts.t.Fatal(err)
	}
	if _, err := tr.LoadRacer(ctx, "test", id); err != nil {
		ts.t.Fatal(err)
	}
	// Stamps are chosen, so lap times are exact; each crossing is pushed
	// once its moment has passed (the engine refuses crossings dated
	// before the race was loaded, and time runs forward).
	at := monoclock.Now()
	ts.cross(at)
	for _, l := range laps {
		at += int64(l)
		time.Sleep(time.Duration(at - monoclock.Now()))
		ts.cross(at)
	}
	waitFor(ts.t, 10*time.Second, "laps recorded", func() bool {
		r := tr.Current()
		return r != nil && len(r.Laps) == len(laps)
	})
	if _, err := tr.End(ctx, "test"); err != nil {
		ts.t.Fatal(err)
	}
	if _, err := tr.Submit(ctx, "test"); err != nil {
		ts.t.Fatal(err)
	}
}

func (ts *trackside) cross(at int64) {
	ts.seq++
	ts.src.in <- crossing.Crossing{Source: "push", MonoNS: at, Seq: ts.seq, Host: time.Now()}
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

// pngFile is a PNG output for the tests: the frame, encoded to a file.
type pngFile struct {
	path string
	mu   sync.Mutex
	n    int
}

func (p *pngFile) Show(frame *image.RGBA, damaged []image.Rectangle) error {
	if len(damaged) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.Create(p.path + ".tmp")
	if err != nil {
		return err
	}
	if err := png.Encode(f, frame); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	p.n++
	return os.Rename(p.path+".tmp", p.path)
}

func (p *pngFile) writes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// testSecret is the event secret of the embedded brokers these tests
// start (startEmbedded): the kiosk logs in as kiosk-k1 with the password
// derived from it.
var testSecret = []byte("kiosk-test-secret-0123456789abcdef")

func startEmbedded(t testing.TB) *broker.Broker {
	t.Helper()
	br, err := broker.Start(broker.Config{Secret: testSecret, Logger: quietLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	return br
}

func kioskConfig(t testing.TB, brokerURL, cache, pngPath string, extra string) kiosk.Config {
	t.Helper()
	secretFile := filepath.Join(t.TempDir(), "event.secret")
	if err := os.WriteFile(secretFile, testSecret, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := kiosk.ParseConfig([]byte(fmt.Sprintf(`{
		"kiosk": "k1", "broker": {"url": %q, "secret_file": %q}, "title": "Test Cup",
		"width": 1280, "height": 720, "outputs": {"png": %q}, "cache": %q %s
	}`, brokerURL, secretFile, pngPath, cache, extra)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runKiosk runs k until the returned stop function is called (or the test
// ends).
func runKiosk(t testing.TB, k *kiosk.Kiosk) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("kiosk stopped with: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func quietLog(t testing.TB) *slogLogger { return newTestLogger(t) }

// rowsOf renders board rows as "rank name result track [tie]".
func rowsOf(rows []display.Row) []string {
	var out []string
	for _, r := range rows {
		s := fmt.Sprintf("%d %s %s %s", r.Rank, r.Name, display.AppendLapTime(nil, r.Result), r.Track)
		if r.Tie {
			s += " tie"
		}
		out = append(out, s)
	}
	return out
}

// expectedRows merges published standings the simple way: each racer's
// best result across tracks (the first track on equal results), sorted,
// competition ranks.
func expectedRows(tracks ...mqtt.Standings) []string {
	type best struct {
		e     mqtt.StandingsEntry
		track int
	}
	by := map[string]best{}
	for i, s := range tracks {
		for _, e := range s.Entries {
			e.Track = s.Track
			if b, ok := by[e.RacerID]; !ok || e.ResultMS < b.e.ResultMS {
				by[e.RacerID] = best{e, i}
			}
		}
	}
	var all []best
	for _, b := range by {
		all = append(all, b)
	}
	slices.SortFunc(all, func(a, b best) int {
		if a.e.ResultMS != b.e.ResultMS {
			return int(a.e.ResultMS - b.e.ResultMS)
		}
		return a.track - b.track
	})
	var out []string
	rank := 0
	for i, b := range all {
		tie := i > 0 && b.e.ResultMS == all[i-1].e.ResultMS
		if !tie {
			rank = i + 1
		}
		s := fmt.Sprintf("%d %s %s %s", rank, b.e.Name, display.AppendLapTime(nil, time.Duration(b.e.ResultMS)*time.Millisecond), b.e.Track)
		if tie {
			s += " tie"
		}
		out = append(out, s)
	}
	return out
}

// retained reads one retained message with a plain paho client.
func retained(t testing.TB, url, topic string) []byte {
	t.Helper()
	got := make(chan []byte, 1)
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(client.UniqueID("kiosk-test-reader")))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(50)
	c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m.Payload():
		default:
		}
	})
	select {
	case p := <-got:
		return p
	case <-time.After(5 * time.Second):
		t.Fatalf("no retained message on %s", topic)
		return nil
	}
}

// TestTracksideToKioskToPNG: two in-process tracksides publish through a
// real Mosquitto; the kiosk merges them and writes the board as a PNG.
func TestTracksideToKioskToPNG(t *testing.T) {
	b := mosquittotest.Start(t)
	t1 := startTrackside(t, "1", b.URL())
	t2 := startTrackside(t, "2", b.URL())
	// Laps last about a second of real time.
	ms := time.Millisecond

	t1.race("ada", "Ada Lovelace", 987*ms, 1050*ms)
	t1.race("bo", "Bø Ström", 1120*ms)
	t2.race("ada", "Ada Lovelace", 950*ms)
	t2.race("cy", "Cy Young", 1000*ms, 1120*ms)
	t2.race("dee", "Dee", 1120*ms)

	dir := t.TempDir()
	out := &pngFile{path: filepath.Join(dir, "board.png")}
	cfg := kioskConfig(t, b.URL(), filepath.Join(dir, "cache.json"), out.path, "")
	k, err := kiosk.New(cfg, kiosk.Options{
		Logger:  quietLog(t),
		Outputs: []kiosk.Output{{Name: "png", Sink: out, Detached: true}},
		Synced:  func() bool { return true },
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runKiosk(t, k)

	want := expectedRows(t1.unit.Track().Standings(), t2.unit.Track().Standings())
	wantLit := []string{
		"1 Ada Lovelace 0.950 2",
		"2 Cy Young 1.000 2",
		"3 Bø Ström 1.120 1",
		"3 Dee 1.120 2 tie",
	}
	if strings.Join(want, "|") != strings.Join(wantLit, "|") {
		t.Fatalf("published standings merge to\n%s\nwant\n%s", strings.Join(want, "\n"), strings.Join(wantLit, "\n"))
	}
	waitFor(t, 10*time.Second, "the kiosk's board to show both tracks", func() bool {
		return strings.Join(rowsOf(k.Board().Rows), "|") == strings.Join(want, "|")
	})
	board := k.Board()
	if board.Title != "Test Cup" || board.Ranking != "BEST LAP" || board.Clock == "" || len(board.Notices) != 0 {
		t.Fatalf("board header %+v", board)
	}
	if board.Rows[1].Gap != 50*ms || board.Rows[1].Laps != 2 {
		t.Fatalf("row 2 %+v, want gap 0.05 s over 2 laps", board.Rows[1])
	}

	// A race in progress shows in the live strip, its clock running.
	ctx := context.Background()
	if err := t1.unit.Track().PutRacer(ctx, "test", race.Racer{ID: "eve", Name: "Eve"}); err != nil {
		t.Fatal(err)
	}
	if _, err := t1.unit.Track().LoadRacer(ctx, "test", "eve"); err != nil {
		t.Fatal(err)
	}
	t1.cross(monoclock.Now())
	waitFor(t, 10*time.Second, "Eve racing on track 1", func() bool {
		l := k.Board().Live
		return len(l) >= 1 && l[0].Racer == "Eve" && l[0].State == "RACING" && l[0].Track == "TRACK 1"
	})
	lap1 := k.Board().Live[0].Lap
	waitFor(t, 5*time.Second, "the lap clock to run", func() bool { return k.Board().Live[0].Lap > lap1+200*ms })

	// A new best on track 1 is highlighted with the places it gained.
	if _, err := t1.unit.Track().End(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := t1.unit.Track().Discard(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	t1.race("bo", "Bø Ström", 970*ms)
	waitFor(t, 10*time.Second, "Bø's improvement", func() bool {
		r := k.Board().Rows
		return len(r) > 1 && r[1].Name == "Bø Ström" && r[1].Highlight > 0 && r[1].RankChange == 1
	})

	// The PNG has been written and decodes at the configured size.
	waitFor(t, 10*time.Second, "the PNG", func() bool { return out.writes() > 0 })
	f, err := os.Open(out.path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(1280, 720) {
		t.Fatalf("PNG is %v, want 1280x720", got)
	}

	// The kiosk's retained status says what it shows.
	waitFor(t, 10*time.Second, "the kiosk status", func() bool {
		var st mqtt.Status
		if err := mqtt.Decode(retained(t, b.URL(), mqtt.KioskStatus("k1")), &st); err != nil {
			t.Fatal(err)
		}
		return st.Online && st.Shows == "combined (tracks 1, 2): 4 racers"
	})
	if s := k.Stats(); s.Bad != 0 || s.Received == 0 || s.Frames == 0 {
		t.Fatalf("stats %+v", s)
	}

	stop()
	var st mqtt.Status
	if err := mqtt.Decode(retained(t, b.URL(), mqtt.KioskStatus("k1")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Online {
		t.Fatalf("status after a clean stop: %+v", st)
	}
	if _, err := kiosk.ReadCache(cfg.Cache); err != nil {
		t.Fatalf("no cache after a clean stop: %v", err)
	}
}
