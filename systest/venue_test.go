//go:build systest

package systest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// observer is an admin's laptop on the venue broker: it reads every
// pitwall topic and keeps what the test asserts on.
type observer struct {
	t  *testing.T
	c  paho.Client
	mu sync.Mutex
	// every status message, in arrival order
	statuses []statusEvent
	laps     map[string]mqtt.LapEvent // by LapEvent.ID, first seen
	race     mqtt.RaceState
	stand    mqtt.Standings
	// when the observer last (re)connected and subscribed, and whether
	// it is connected now
	connectedAt time.Time
	connected   bool
}

func newObserver(t *testing.T, broker string, secret []byte) *observer {
	o := &observer{t: t, laps: map[string]mqtt.LapEvent{}}
	cfg := client.Config{
		Broker: broker, ClientID: client.UniqueID("systest-observer"),
		Username: "admin", Password: mqtt.DerivePassword(secret, "admin"),
		CleanSession: true, RetryInterval: time.Second, KeepAlive: 5 * time.Second,
		// The broker is down while its guest boots: connection errors
		// are expected, not news.
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnConnect: func(c paho.Client) {
			c.Subscribe(mqtt.Root+"/#", 1, o.handle).Wait()
			o.mu.Lock()
			o.connectedAt, o.connected = time.Now(), true
			o.mu.Unlock()
		},
		OnLost: func(error) {
			o.mu.Lock()
			o.connected = false
			o.mu.Unlock()
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, cfg)
	if err != nil && c == nil {
		t.Fatalf("observer: %v", err)
	}
	o.c = c
	t.Cleanup(func() { c.Disconnect(100) })
	return o
}

func (o *observer) handle(_ paho.Client, m paho.Message) {
	topic := m.Topic()
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case strings.HasSuffix(topic, "/status"):
		var s mqtt.Status
		if json.Unmarshal(m.Payload(), &s) == nil {
			o.statuses = append(o.statuses, statusEvent{topic: topic, at: now, retained: m.Retained(), s: s})
		}
	case strings.HasSuffix(topic, "/laps"):
		var l mqtt.LapEvent
		if json.Unmarshal(m.Payload(), &l) == nil {
			if _, ok := o.laps[l.ID]; !ok {
				o.laps[l.ID] = l
			}
		}
	case strings.HasSuffix(topic, "/race"):
		var r mqtt.RaceState
		if json.Unmarshal(m.Payload(), &r) == nil && r.Seq >= o.race.Seq {
			o.race = r
		}
	case strings.HasSuffix(topic, "/standings"):
		var s mqtt.Standings
		if json.Unmarshal(m.Payload(), &s) == nil && s.Seq >= o.stand.Seq {
			o.stand = s
		}
	}
}

// waitSteady waits until the observer has been connected, without a
// reconnect, for steady. After the trackside's power pull the laptop's
// connection goes through QEMU's user-mode network, whose port forward
// accepted the observer's connection attempts while the guest was down and
// completes them all at once when the broker is up: for some seconds the
// observer's sessions take each other over, and a lap event (not retained)
// published then is not seen. The laps are in the store all the same; this
// is the test's laptop, not the venue.
func (o *observer) waitSteady(steady, limit time.Duration) {
	o.t.Helper()
	eventually(o.t, limit, "the observer's connection steady", func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.connected && o.c.IsConnectionOpen() && time.Since(o.connectedAt) >= steady
	})
}

// statusEvent is one status message as the observer received it. A
// retained one was delivered because the observer (re)subscribed: it may
// be old. A live one was published just now.
type statusEvent struct {
	topic    string
	at       time.Time
	retained bool
	s        mqtt.Status
}

// firstStatus is the first status on topic received after since that
// satisfies ok.
func (o *observer) firstStatus(topic string, since time.Time, ok func(statusEvent) bool) (statusEvent, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range o.statuses {
		if e.topic == topic && !e.at.Before(since) && ok(e) {
			return e, true
		}
	}
	return statusEvent{}, false
}

// latestStatus is the last status received on topic.
func (o *observer) latestStatus(topic string) mqtt.Status {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.statuses) - 1; i >= 0; i-- {
		if o.statuses[i].topic == topic {
			return o.statuses[i].s
		}
	}
	return mqtt.Status{}
}

func (o *observer) lapEvents() map[string]mqtt.LapEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[string]mqtt.LapEvent, len(o.laps))
	for k, v := range o.laps {
		m[k] = v
	}
	return m
}

func (o *observer) raceState() mqtt.RaceState {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.race
}

// eventually polls cond every 250 ms until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", limit, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// racectl runs the packaged racectl as the admin's laptop does.
type racectl struct {
	t   *testing.T
	bin string
	env []string
}

func newRacectl(t *testing.T, bin, dir, broker string, secret []byte) (*racectl, string) {
	pass := filepath.Join(dir, "admin.pass")
	if err := os.WriteFile(pass, []byte(mqtt.DerivePassword(secret, "admin")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &racectl{t: t, bin: bin, env: append(os.Environ(),
		"PITWALL_BROKER="+broker, "PITWALL_USERNAME=admin", "PITWALL_PASSWORD_FILE="+pass,
		"PITWALL_KEY_DIR="+filepath.Join(dir, "keys"), "PITWALL_TIMEOUT=20s", "PITWALL_TRACKS=1",
		"XDG_CONFIG_HOME="+dir)}
	pub := r.run("keygen", "--id", "systest", "--role", "admin")
	return r, strings.TrimSpace(pub)
}

func (r *racectl) run(args ...string) string {
	r.t.Helper()
	out, err := r.try(args...)
	if err != nil {
		r.t.Fatalf("racectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (r *racectl) try(args ...string) (string, error) {
	cmd := exec.Command(r.bin, args...)
	cmd.Env = r.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), fmt.Errorf("%w", err)
	}
	return string(out), nil
}
