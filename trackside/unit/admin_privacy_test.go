package unit_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/display"
	"pitwall/display/pngout"
	"pitwall/internal/brokertest"
	"pitwall/kiosk"
	"pitwall/mqtt"
	"pitwall/trackside/store"
)

// Contact details set through admin commands never reach a public topic, a
// log line (the unit's, at debug level) or the screen (every board a kiosk
// drew, and its PNG output), nor the public export; they do reach the admin
// in replies. The racer's display name is the control: it is on the board,
// so the scan can see what it looks for.
func TestContactDetailsStayPrivate(t *testing.T) {
	const (
		email    = "ann.private@example.com"
		phone    = "+44 7700 900123"
		fullName = "Annabel Privatename"
		display_ = "Ann"
		email2   = "ann.second@example.org"
	)
	secrets := []string{email, phone, fullName, email2, "ann.private", "7700 900123", "Privatename"}
	url := brokers[0].start(t)

	// Everything published under pitwall/v1, from before the unit starts.
	var mu sync.Mutex
	type msg struct {
		topic   string
		payload []byte
	}
	var seen []msg
	watch := newAdminClient(t, url)
	tok := watch.c.Subscribe(mqtt.Root+"/#", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		seen = append(seen, msg{m.Topic(), append([]byte(nil), m.Payload()...)})
		mu.Unlock()
	})
	tok.Wait()

	var logs syncBuffer
	keys := newTestKeys(t)
	u := startAdminUnit(t, "1", url, keys, &logs)

	// A kiosk with a PNG output; every board it draws is kept.
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "board.png")
	cfg, err := kiosk.ParseConfig([]byte(fmt.Sprintf(`{"kiosk": "k1", "broker": {"url": %q, "secret_file": %q}, "title": "Cup",
		"width": 640, "height": 360, "outputs": {"png": %q}, "cache": %q}`, url, brokertest.SecretFile(t), pngPath, filepath.Join(dir, "cache.json"))))
	if err != nil {
		t.Fatal(err)
	}
	pngSink, err := pngout.New(pngPath, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var boards []string
	k, err := kiosk.New(cfg, kiosk.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Outputs: []kiosk.Output{{Name: "png", Sink: pngSink, Detached: true}},
		OnFrame: func(b display.Board, _ *image.RGBA) {
			mu.Lock()
			boards = append(boards, fmt.Sprintf("%+v", b))
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	stopKiosk := runKiosk(t, k)

	a := newAdminClient(t, url, keys.admin, keys.official)
	a.ready("alice", "1")
	a.do("alice", mqtt.EventTarget, mqtt.CmdRacerAdd, mqtt.RacerArgs{ID: "r1", Name: display_, FullName: fullName, Email: email, Phone: phone, Country: "GB"}, "1")
	a.do("alice", mqtt.EventTarget, mqtt.CmdRacerAdd, mqtt.RacerArgs{ID: "r2", Name: "Bob"}, "1")
	a.do("alice", mqtt.EventTarget, mqtt.CmdRacerContact, mqtt.RacerContactArgs{ID: "r2", Email: ptr(email2)}, "1")
	// A refused contact change (bad address) is audited and answered.
	topic, p, cmd := a.sign("alice", mqtt.EventTarget, mqtt.CmdRacerContact, mqtt.RacerContactArgs{ID: "r1", Email: ptr("ann.private-at-example")})
	a.publish(topic, p)
	a.wait("to a bad contact", func(r mqtt.Reply) bool { return r.ID == cmd.ID })
	a.raceFor(u, "r1")
	a.do("alice", mqtt.EventTarget, mqtt.CmdRacerUpdate, mqtt.RacerUpdateArgs{ID: "r1", Country: ptr("IE")}, "1")
	a.do("olly", "1", mqtt.CmdQueue, mqtt.RacerIDArgs{ID: "r2"}, "1")

	// The admin gets the details back.
	show := a.do("alice", "1", mqtt.CmdRacerShow, mqtt.RacerIDArgs{ID: "r1"}, "1")[0]
	if !bytes.Contains(show.Result, []byte(email)) || !bytes.Contains(show.Result, []byte(fullName)) {
		t.Fatalf("racer.show: %s", show.Result)
	}
	withContacts := a.collect("alice", "1", mqtt.CmdExportCSV, mqtt.ExportArgs{Contacts: true})
	if !bytes.Contains(withContacts, []byte(email)) {
		t.Fatalf("admin export lacks the email:\n%s", withContacts)
	}
	public := string(a.collect("alice", "1", mqtt.CmdExportCSV, nil)) + string(a.collect("alice", "1", mqtt.CmdExportJSON, nil))
	if s := containsAny(public, secrets...); s != "" {
		t.Errorf("public export holds %q", s)
	}
	if !strings.Contains(public, display_) {
		t.Errorf("public export lacks the display name")
	}

	waitFor(t, 10*time.Second, "the board to show the racer", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(boards) > 0 && strings.Contains(boards[len(boards)-1], display_)
	})
	stopKiosk() // the PNG output gets the last board
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("%s: %v", pngPath, err)
	}
	f.Close()

	mu.Lock()
	defer mu.Unlock()
	public_ := 0
	for _, m := range seen {
		if strings.Contains(m.topic, "/admin/") {
			continue // admins' topics (ACL: admins and tracksides only)
		}
		public_++
		if s := containsAny(string(m.payload), secrets...); s != "" {
			t.Errorf("%s carries %q: %s", m.topic, s, m.payload)
		}
	}
	if public_ < 5 {
		t.Fatalf("only %d public messages seen: the scan saw too little", public_)
	}
	for _, b := range boards {
		if s := containsAny(b, secrets...); s != "" {
			t.Errorf("a board drawn shows %q", s)
		}
	}
	if s := containsAny(logs.String(), secrets...); s != "" {
		t.Errorf("a log line holds %q", s)
	}
	if !strings.Contains(logs.String(), "admin command") {
		t.Fatal("the log scan saw no admin log line")
	}
	// The store keeps them (the trackside is where they live).
	u.Store().View(func(tx *store.Tx) error {
		if r, _, _ := tx.Racer("r2"); r.Email != email2 {
			t.Errorf("r2 email %q", r.Email)
		}
		return nil
	})
}

// runKiosk runs k until the returned stop is called (or the test ends).
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
