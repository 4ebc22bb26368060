package unit_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/brokertest"
	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/unit"
)

// testConfig is a trackside with one TCP ZRound decoder and short laps
// allowed (the emulator's laps last a few hundred ms of real time). Units
// log in with the password derived from brokertest.Secret (the test
// Mosquitto is anonymous and ignores credentials).
func testConfig(t testing.TB, track, brokerURL, decoderAddr string) unit.Config {
	t.Helper()
	cfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
		"track": %q, "data_dir": %q, "broker": {"url": %q, "secret_file": %q},
		"rules": {"duration": "10m", "min_lap": "0s"},
		"sources": [{"type": "tcp", "name": "zround", "protocol": "zround", "addr": %q, "debounce": "1ms"}]
	}`, track, t.TempDir(), brokerURL, brokertest.SecretFile(t), decoderAddr)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startUnit(t testing.TB, cfg unit.Config) (*unit.Unit, context.CancelFunc) {
	t.Helper()
	u, err := unit.New(cfg, unit.Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("unit stopped with: %v", err)
		}
	})
	return u, cancel
}

// mosquittoSub reads one retained message with the real mosquitto_sub.
func mosquittoSub(t testing.TB, addr, topic string) []byte {
	t.Helper()
	mosquittotest.Require(t)
	bin, err := exec.LookPath("mosquitto_sub")
	if err != nil {
		if os.Getenv("PITWALL_REQUIRE_MOSQUITTO") == "1" {
			t.Fatal("mosquitto_sub not installed (apt-get install mosquitto-clients)")
		}
		t.Skip("MOSQUITTO_SUB NOT INSTALLED: apt-get install mosquitto-clients — skipping")
	}
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command(bin, "-h", host, "-p", port, "-u", "admin", "-P", brokertest.Password("admin"), "-t", topic, "-C", "1", "-W", "10", "-q", "1").Output()
	if err != nil {
		t.Fatalf("mosquitto_sub %s: %v", topic, err)
	}
	return out
}

func TestCrossingBecomesRetainedStandings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (url, addr string)
	}{
		{"mosquitto", func(t *testing.T) (string, string) {
			b := mosquittotest.Start(t)
			return b.URL(), b.Addr()
		}},
		{"embedded", func(t *testing.T) (string, string) {
			b := brokertest.Start(t)
			return b.URL(), b.Addr()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, addr := tc.start(t)
			dec := newDecoderEmulator(t)
			u, _ := startUnit(t, testConfig(t, "e2e", url, dec.Addr()))
			ctx := context.Background()
			tr := u.Track()
			if err := tr.PutRacer(ctx, "test", race.Racer{ID: "r1", Name: "Zoë Müller", Email: "zoe@example.com"}); err != nil {
				t.Fatal(err)
			}
			if _, err := tr.LoadRacer(ctx, "test", "r1"); err != nil {
				t.Fatal(err)
			}
			if !dec.waitConn(10 * time.Second) {
				t.Fatal("trackside never connected to the decoder")
			}
			var at []time.Duration
			for _, gap := range []time.Duration{0, 400 * time.Millisecond, 250 * time.Millisecond, 300 * time.Millisecond} {
				time.Sleep(gap)
				d, ok := dec.pass(1) // one car: the race learns its transponder
				if !ok {
					t.Fatal("decoder write failed")
				}
				at = append(at, d)
			}
			waitFor(t, 5*time.Second, "3 laps recorded", func() bool {
				r := tr.Current()
				return r != nil && len(r.Laps) == 3
			})
			if _, err := tr.End(ctx, "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := tr.Submit(ctx, "test"); err != nil {
				t.Fatal(err)
			}
			best := min(at[1]-at[0], at[2]-at[1], at[3]-at[2])
			var st mqtt.Standings
			waitFor(t, 10*time.Second, "standings with the racer at the broker", func() bool {
				if err := mqtt.Decode(mosquittoSub(t, addr, mqtt.TrackStandings("e2e")), &st); err != nil {
					t.Fatal(err)
				}
				return len(st.Entries) == 1
			})
			e := st.Entries[0]
			// Lap times are decoder-clock differences, to the millisecond.
			if e.Name != "Zoë Müller" || e.Rank != 1 || e.ResultMS != best.Milliseconds() || e.Laps != 3 {
				t.Fatalf("standings entry %+v, want Zoë Müller rank 1 best %d ms over 3 laps", e, best.Milliseconds())
			}
			raw := mosquittoSub(t, addr, mqtt.TrackStandings("e2e"))
			if strings.Contains(string(raw), "example.com") {
				t.Fatalf("personal data published: %s", raw)
			}
		})
	}
}

func waitFor(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lapCollector is a persistent-session QoS 1 subscriber to a track's lap
// events: what a consumer that must not miss a lap does.
type lapCollector struct {
	mu   sync.Mutex
	seen map[string]int
}

func collectLaps(t testing.TB, url, track string) *lapCollector {
	lc := &lapCollector{seen: map[string]int{}}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("lap-collector-" + track).
		SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).
		SetMaxReconnectInterval(500 * time.Millisecond).
		SetOnConnectHandler(func(c paho.Client) {
			c.Subscribe(mqtt.TrackLaps(track), 1, func(_ paho.Client, m paho.Message) {
				var ev mqtt.LapEvent
				if err := mqtt.Decode(m.Payload(), &ev); err != nil {
					t.Errorf("lap event: %v", err)
					return
				}
				lc.mu.Lock()
				lc.seen[ev.ID]++
				lc.mu.Unlock()
			})
		}))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("lap collector connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return lc
}

func (lc *lapCollector) missing(ids []string) []string {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var out []string
	for _, id := range ids {
		if lc.seen[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// storedLapIDs lists every lap id of every race in a store.
func storedLapIDs(t testing.TB, tx *store.Tx) []string {
	var ids []string
	if err := tx.ForEachRace(func(r race.Race) error {
		for _, l := range r.Laps {
			ids = append(ids, l.EventID(r.ID))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestBrokerOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s broker outage: skipped with -short")
	}
	b := mosquittotest.Start(t)
	dec := newDecoderEmulator(t)
	laps := collectLaps(t, b.URL(), "out")
	u, _ := startUnit(t, testConfig(t, "out", b.URL(), dec.Addr()))
	ctx := context.Background()
	tr := u.Track()
	if err := tr.PutRacer(ctx, "test", race.Racer{ID: "r1", Name: "Björn Ström"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.LoadRacer(ctx, "test", "r1"); err != nil {
		t.Fatal(err)
	}
	if !dec.waitConn(10 * time.Second) {
		t.Fatal("trackside never connected to the decoder")
	}
	passFor := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			if _, ok := dec.pass(1); !ok {
				t.Fatal("decoder write failed")
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	passFor(3 * time.Second)
	b.Stop()
	t.Log("broker stopped for 30 s; laps keep coming")
	passFor(15 * time.Second)
	if _, err := tr.End(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Submit(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(15 * time.Second)
	if d := u.Store().OutboxDepth(); d == 0 {
		t.Fatal("outbox empty while the broker was down: messages were dropped, not kept")
	}
	b.Restart()
	var ids []string
	u.Store().View(func(tx *store.Tx) error { ids = storedLapIDs(t, tx); return nil })
	if len(ids) < 40 {
		t.Fatalf("only %d laps recorded", len(ids))
	}
	waitFor(t, 30*time.Second, "every lap delivered after the outage", func() bool { return len(laps.missing(ids)) == 0 })
	waitFor(t, 10*time.Second, "outbox drained", func() bool { return u.Store().OutboxDepth() == 0 })
	var st mqtt.Standings
	if err := mqtt.Decode(mosquittoSub(t, b.Addr(), mqtt.TrackStandings("out")), &st); err != nil {
		t.Fatal(err)
	}
	want := tr.Standings()
	if st.Seq != want.Seq || len(st.Entries) != 1 || st.Entries[0].ResultMS != want.Entries[0].ResultMS {
		t.Fatalf("retained standings seq %d %+v, want the current seq %d %+v", st.Seq, st.Entries, want.Seq, want.Entries)
	}
	var status mqtt.Status
	if err := mqtt.Decode(mosquittoSub(t, b.Addr(), mqtt.TrackStatus("out")), &status); err != nil {
		t.Fatal(err)
	}
	if !status.Online {
		t.Fatalf("retained status after reconnect: %+v", status)
	}
}
