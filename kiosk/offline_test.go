package kiosk_test

import (
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
	"pitwall/internal/mosquittotest"
	"pitwall/kiosk"
	"pitwall/kiosk/model"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// publisher publishes retained payloads like a trackside would.
type publisher struct {
	t testing.TB
	c paho.Client
}

func newPublisher(t testing.TB, url string) *publisher {
	t.Helper()
	// trackside-1 of the embedded brokers (testSecret); the test Mosquitto
	// is anonymous and ignores credentials.
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(client.UniqueID("kiosk-test-pub")).
		SetUsername("trackside-1").SetPassword(mqtt.DerivePassword(testSecret, "trackside-1")))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return &publisher{t: t, c: c}
}

func (p *publisher) publish(topic string, payload []byte) {
	p.t.Helper()
	if tok := p.c.Publish(topic, 1, true, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		p.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func (p *publisher) standings(s *mqtt.Standings) {
	p.t.Helper()
	b, err := mqtt.Encode(s)
	if err != nil {
		p.t.Fatal(err)
	}
	p.publish(mqtt.TrackStandings(s.Track), b)
}

func (p *publisher) status(s *mqtt.Status) {
	p.t.Helper()
	b, err := mqtt.Encode(s)
	if err != nil {
		p.t.Fatal(err)
	}
	p.publish(mqtt.TrackStatus(s.Track), b)
}

func entries(names ...string) []mqtt.StandingsEntry {
	var out []mqtt.StandingsEntry
	for i, n := range names {
		out = append(out, mqtt.StandingsEntry{Rank: i + 1, RacerID: strings.ToLower(n), Name: n, ResultMS: int64(9000 + 250*i), Laps: 3, BestMS: int64(9000 + 250*i)})
	}
	return out
}

// frames records the boards the kiosk drew.
type frames struct {
	mu     sync.Mutex
	boards []display.Board
}

func (f *frames) onFrame(b display.Board, _ *image.RGBA) {
	f.mu.Lock()
	f.boards = append(f.boards, b)
	f.mu.Unlock()
}

func (f *frames) first() (display.Board, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.boards) == 0 {
		return display.Board{}, false
	}
	return f.boards[0], true
}

// TestBootWithBrokerDownShowsCachedBoard: a kiosk that saw a board, then
// reboots while the broker is down, shows that board from its cache in
// its very first frame, marks it offline after the grace period (and
// track 2, whose trackside was offline, too), and goes back online when
// the broker returns, without changing the rows.
func TestBootWithBrokerDownShowsCachedBoard(t *testing.T) {
	for _, synced := range []bool{true, false} {
		name := map[bool]string{true: "clock synced", false: "clock not synced"}[synced]
		t.Run(name, func(t *testing.T) {
			b := mosquittotest.Start(t)
			dir := t.TempDir()
			cache := filepath.Join(dir, "kiosk-cache.json")
			pngPath := filepath.Join(dir, "board.png")

			// First run: the broker holds two tracks' boards.
			pub := newPublisher(t, b.URL())
			pub.standings(&mqtt.Standings{Header: mqtt.Header{Track: "1", Seq: 10}, Ranking: "best-lap", Entries: entries("Ada", "Bo")})
			pub.standings(&mqtt.Standings{Header: mqtt.Header{Track: "2", Seq: 4}, Ranking: "best-lap", Entries: entries("Cy")})
			pub.status(&mqtt.Status{Header: mqtt.Header{Track: "2", Boot: "x-1"}, Online: false})
			cfg := kioskConfig(t, b.URL(), cache, pngPath, `, "tracks": ["1", "2"]`)
			k1, err := kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Outputs: []kiosk.Output{{Name: "png", Sink: &pngFile{path: pngPath}}},
				Synced: func() bool { return synced }})
			if err != nil {
				t.Fatal(err)
			}
			stop1 := runKiosk(t, k1)
			want := []string{"1 Ada 9.000 1", "1 Cy 9.000 2 tie", "3 Bo 9.250 1"}
			// Both the rows and track 2's status must be in before the
			// stop: retained messages of different topics arrive in no
			// set order, and the cache holds what the kiosk had.
			waitFor(t, 10*time.Second, "the first run's board and track 2 offline", func() bool {
				b := k1.Board()
				return slices.Equal(rowsOf(b.Rows), want) && slices.Contains(b.Notices, "track 2 offline")
			})
			stop1()
			b.Stop()
			cached, err := kiosk.ReadCache(cache)
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(pngPath)

			// Second run: the broker is down.
			var seen frames
			out := &pngFile{path: pngPath}
			k2, err := kiosk.New(cfg, kiosk.Options{
				Logger: quietLog(t), Outputs: []kiosk.Output{{Name: "png", Sink: out}},
				Synced: func() bool { return synced }, OfflineGrace: 300 * time.Millisecond, OnFrame: seen.onFrame,
			})
			if err != nil {
				t.Fatal(err)
			}
			runKiosk(t, k2)
			waitFor(t, 5*time.Second, "the first frame", func() bool { _, ok := seen.first(); return ok })
			first, _ := seen.first()
			if got := rowsOf(first.Rows); !slices.Equal(got, want) {
				t.Fatalf("first frame rows %q, want the cached %q", got, want)
			}
			if !slices.Contains(first.Notices, "track 2 offline") {
				t.Fatalf("first frame notices %q, want track 2 offline", first.Notices)
			}
			wantNotice := "offline for "
			if synced {
				wantNotice = "offline since " + cached.LastContact().Format("15:04")
				if cached.LastContactMS == 0 {
					t.Fatal("the cache holds no last contact although the clock was synced")
				}
			} else if cached.LastContactMS != 0 {
				t.Fatalf("the cache holds a last contact %d taken with an unsynced clock", cached.LastContactMS)
			}
			waitFor(t, 5*time.Second, "the offline notice", func() bool {
				n := k2.Board().Notices
				return len(n) == 2 && strings.HasPrefix(n[0], wantNotice) && n[1] == "track 2 offline"
			})
			if got := rowsOf(k2.Board().Rows); !slices.Equal(got, want) {
				t.Fatalf("offline rows %q, want the cached %q", got, want)
			}
			// The PNG shows it too.
			waitFor(t, 5*time.Second, "the PNG", func() bool { return out.writes() > 0 })
			f, err := os.Open(pngPath)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil || img.Bounds().Size() != image.Pt(1280, 720) {
				t.Fatalf("PNG: %v, size %v", err, img.Bounds())
			}

			// The broker returns with the same retained state: the notice
			// goes, the rows stay, the repeated snapshots are dropped.
			b.Restart()
			waitFor(t, 15*time.Second, "back online", func() bool {
				n := k2.Board().Notices
				return len(n) == 1 && n[0] == "track 2 offline"
			})
			waitFor(t, 5*time.Second, "the repeated snapshots", func() bool { return k2.Stats().Stale >= 2 })
			if got := rowsOf(k2.Board().Rows); !slices.Equal(got, want) {
				t.Fatalf("rows after reconnect %q, want %q", got, want)
			}
			for _, r := range k2.Board().Rows {
				if r.Highlight > 0 {
					t.Fatalf("row %+v highlighted although nothing changed", r)
				}
			}
		})
	}
}

// TestBadPayloadFromBroker: a refused payload is counted, and the board
// keeps what it showed; a good one afterwards is taken.
func TestBadPayloadFromBroker(t *testing.T) {
	b := mosquittotest.Start(t)
	pub := newPublisher(t, b.URL())
	pub.standings(&mqtt.Standings{Header: mqtt.Header{Track: "1", Seq: 3}, Ranking: "best-lap", Entries: entries("Ada", "Bo")})
	dir := t.TempDir()
	cfg := kioskConfig(t, b.URL(), filepath.Join(dir, "c.json"), filepath.Join(dir, "b.png"), "")
	k, err := kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Outputs: []kiosk.Output{{Name: "png", Sink: &pngFile{path: filepath.Join(dir, "b.png")}}}})
	if err != nil {
		t.Fatal(err)
	}
	runKiosk(t, k)
	want := []string{"1 Ada 9.000 ", "2 Bo 9.250 "}
	waitFor(t, 10*time.Second, "the board", func() bool { return slices.Equal(rowsOf(k.Board().Rows), want) })
	for i, p := range []string{
		`{"v":2,"seq":9,"entries":[]}`,
		`not json`,
		`{"v":1,"seq":9,"entries":[{"rank":1,"racer_id":"","result_ms":1}]}`,
	} {
		pub.publish(mqtt.TrackStandings("1"), []byte(p))
		waitFor(t, 5*time.Second, "the refusal", func() bool { return k.Stats().Bad == uint64(i+1) })
	}
	if got := rowsOf(k.Board().Rows); !slices.Equal(got, want) {
		t.Fatalf("rows after bad payloads %q, want %q", got, want)
	}
	pub.standings(&mqtt.Standings{Header: mqtt.Header{Track: "1", Seq: 4}, Ranking: "best-lap", Entries: entries("Cy")})
	waitFor(t, 5*time.Second, "the next good board", func() bool {
		return slices.Equal(rowsOf(k.Board().Rows), []string{"1 Cy 9.000 "})
	})
}

// TestSnapshot is `kiosk -once`: one frame from the broker's retained
// state, or from the cache marked offline when the broker is down.
func TestSnapshot(t *testing.T) {
	b := mosquittotest.Start(t)
	pub := newPublisher(t, b.URL())
	pub.standings(&mqtt.Standings{Header: mqtt.Header{Track: "1", Seq: 3}, Ranking: "best-lap", Entries: entries("Ada", "Bo")})
	dir := t.TempDir()
	cache := filepath.Join(dir, "c.json")
	cfg := kioskConfig(t, b.URL(), cache, filepath.Join(dir, "b.png"), "")
	k, err := kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Synced: func() bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	board, frame, err := k.DrawOnce(t.Context(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(board.Rows); !slices.Equal(got, []string{"1 Ada 9.000 ", "2 Bo 9.250 "}) || len(board.Notices) != 0 {
		t.Fatalf("snapshot rows %q notices %q", got, board.Notices)
	}
	if frame.Rect.Size() != image.Pt(1280, 720) {
		t.Fatalf("frame %v", frame.Rect)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("snapshot took %v: it should stop once the retained state is in", el)
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Fatalf("a snapshot wrote the cache: %v", err)
	}

	// Broker down, a cache from an earlier run: its board, marked offline.
	src := k2Tracks(t, b.URL())
	if err := kiosk.WriteCache(cache, kiosk.CacheFile{Tracks: src}); err != nil {
		t.Fatal(err)
	}
	b.Stop()
	k, err = kiosk.New(cfg, kiosk.Options{Logger: quietLog(t), Synced: func() bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	board, _, err = k.DrawOnce(t.Context(), 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(board.Rows); !slices.Equal(got, []string{"1 Ada 9.000 ", "2 Bo 9.250 "}) || len(board.Notices) != 1 || !strings.HasPrefix(board.Notices[0], "offline for ") {
		t.Fatalf("offline snapshot rows %q notices %q", got, board.Notices)
	}
}

// k2Tracks collects what the broker holds into fresh inputs, through a
// scene (the same path a kiosk uses), in the cache's form.
func k2Tracks(t *testing.T, url string) []kiosk.CachedTrack {
	t.Helper()
	s := model.NewScene(model.SceneConfig{}, time.Now())
	if _, err := s.Apply(model.Message{Topic: mqtt.TrackStandings("1"), Payload: retained(t, url, mqtt.TrackStandings("1")), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	in := s.Inputs()
	var out []kiosk.CachedTrack
	for _, id := range in.Order() {
		raw := in.Track(id).Raw
		out = append(out, kiosk.CachedTrack{ID: id, Status: raw[model.KindStatus], Standings: raw[model.KindStandings], Race: raw[model.KindRace]})
	}
	return out
}
