package unit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/brokertest"
	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
	"pitwall/trackside/crossing"
	"pitwall/trackside/track"
	"pitwall/trackside/unit"
)

// brokers are the two brokers admin tests run against.
var brokers = []struct {
	name  string
	start func(t testing.TB) string
}{
	{"embedded", func(t testing.TB) string {
		return brokertest.Start(t).URL()
	}},
	{"mosquitto", func(t testing.TB) string { return mosquittotest.Start(t).URL() }},
}

// keys used by the admin tests: an admin and an official the units trust,
// and a stranger they do not.
type testKeys struct{ admin, official, stranger mqtt.PrivateKeyFile }

func newTestKeys(t testing.TB) testKeys {
	t.Helper()
	gen := func(id string, role mqtt.Role) mqtt.PrivateKeyFile {
		k, err := mqtt.GenerateKey(id, role, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return testKeys{gen("alice", mqtt.RoleAdmin), gen("olly", mqtt.RoleOfficial), gen("mallory", mqtt.RoleAdmin)}
}

// syncBuffer is a log sink tests read while the unit writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startAdminUnit runs a trackside that trusts keys, without timing inputs
// (tests feed crossings to its track). Its log goes to logs (debug level)
// when given.
func startAdminUnit(t testing.TB, trackID, brokerURL string, keys testKeys, logs io.Writer) *unit.Unit {
	t.Helper()
	cfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
		"track": %q, "data_dir": %q, "broker": {"url": %q, "secret_file": %q},
		"rules": {"duration": "10m", "min_lap": "0s"},
		"sources": [{"type": "tcp", "name": "unused", "protocol": "zround", "addr": "127.0.0.1:1"}],
		"admin": {"keys": [%s, %s], "clock_window": "1m"}
	}`, trackID, t.TempDir(), brokerURL, brokertest.SecretFile(t), pub(keys.admin), pub(keys.official))))
	if err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	if logs == nil {
		logs = io.Discard
	} else {
		level = slog.LevelDebug
	}
	u, err := unit.New(cfg, unit.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level})), Sources: []crossing.Source{}})
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
	return u
}

func pub(k mqtt.PrivateKeyFile) string {
	b, _ := json.Marshal(k.Authorized())
	return string(b)
}

// adminClient is what racectl does: sign, publish, wait for the replies.
type adminClient struct {
	t       testing.TB
	c       paho.Client
	signers map[string]*mqtt.Signer

	mu      sync.Mutex
	replies []mqtt.Reply
	wake    chan struct{}
}

func newAdminClient(t testing.TB, url string, keys ...mqtt.PrivateKeyFile) *adminClient {
	t.Helper()
	a := &adminClient{t: t, signers: map[string]*mqtt.Signer{}, wake: make(chan struct{}, 1)}
	for _, k := range keys {
		a.signers[k.ID] = &mqtt.Signer{Key: k, NextSeq: (&mqtt.Counter{}).Next, Now: time.Now}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Config{Broker: url, ClientID: client.UniqueID("racectl-test"),
		Username: "admin", Password: brokertest.Password("admin"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe(mqtt.Root+"/track/+/admin/resp", 1, func(_ paho.Client, m paho.Message) {
		r, err := mqtt.DecodeReply(m.Payload())
		if err != nil {
			t.Errorf("reply on %s: %v", m.Topic(), err)
			return
		}
		a.mu.Lock()
		a.replies = append(a.replies, r)
		a.mu.Unlock()
		select {
		case a.wake <- struct{}{}:
		default:
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	a.c = c
	return a
}

func (a *adminClient) publish(topic string, payload []byte) {
	a.t.Helper()
	tok := a.c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		a.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func (a *adminClient) sign(key, target, name string, args any) (string, []byte, mqtt.Command) {
	a.t.Helper()
	topic, p, cmd, err := a.signers[key].Sign(target, name, args)
	if err != nil {
		a.t.Fatal(err)
	}
	return topic, p, cmd
}

// wait returns the first reply that match accepts, within 10 s.
func (a *adminClient) wait(what string, match func(mqtt.Reply) bool) mqtt.Reply {
	a.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		a.mu.Lock()
		for i, r := range a.replies {
			if match(r) {
				a.replies = append(a.replies[:i:i], a.replies[i+1:]...)
				a.mu.Unlock()
				return r
			}
		}
		a.mu.Unlock()
		select {
		case <-a.wake:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			a.t.Fatalf("no reply %s within 10s", what)
		}
	}
}

// do runs a command and returns each track's reply, failing the test on an
// error reply unless wantCode says which error is expected.
func (a *adminClient) do(key, target, name string, args any, tracks ...string) []mqtt.Reply {
	a.t.Helper()
	topic, p, cmd := a.sign(key, target, name, args)
	a.publish(topic, p)
	var out []mqtt.Reply
	for _, tr := range tracks {
		r := a.wait(fmt.Sprintf("to %s %s from track %s", cmd.Name, cmd.ID, tr), func(r mqtt.Reply) bool { return r.ID == cmd.ID && r.Track == tr })
		if !r.OK {
			a.t.Fatalf("%s on track %s: %+v", name, tr, r.Error)
		}
		out = append(out, r)
	}
	return out
}

// ready waits until every track answers status: the units have subscribed.
func (a *adminClient) ready(key string, tracks ...string) {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, tr := range tracks {
		for {
			topic, p, cmd := a.sign(key, tr, mqtt.CmdStatus, nil)
			a.publish(topic, p)
			got := false
			for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end) && !got; {
				a.mu.Lock()
				for _, r := range a.replies {
					got = got || (r.ID == cmd.ID && r.Track == tr)
				}
				a.mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
			if got {
				break
			}
			if time.Now().After(deadline) {
				a.t.Fatalf("track %s never answered status", tr)
			}
		}
	}
	a.mu.Lock()
	a.replies = nil
	a.mu.Unlock()
}

// collect receives the chunked reply to a command and reassembles it.
func (a *adminClient) collect(key, target, name string, args any) []byte {
	a.t.Helper()
	topic, p, cmd := a.sign(key, target, name, args)
	a.publish(topic, p)
	var asm mqtt.Assembly
	for {
		r := a.wait("chunk of "+name, func(r mqtt.Reply) bool { return r.ID == cmd.ID })
		if !r.OK || r.Chunk == nil {
			a.t.Fatalf("%s: %+v", name, r)
		}
		done, err := asm.Add(*r.Chunk)
		if err != nil {
			a.t.Fatal(err)
		}
		if done {
			return asm.Bytes()
		}
	}
}

// lap drives n laps on a unit's track: crossings fed to its writer as a
// sensor would, a little apart.
func lap(t testing.TB, u *unit.Unit, n int) {
	t.Helper()
	for i := 0; i <= n; i++ {
		c := crossing.Crossing{Source: "test", MonoNS: track.MonoNow(), Clock: crossing.ClockHost, Transponder: "7"}
		if err := u.Track().Sink(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// raceFor runs a submitted race of two laps for racer on the unit's track
// through signed commands.
func (a *adminClient) raceFor(u *unit.Unit, racer string) {
	a.t.Helper()
	tr := u.Track().ID()
	a.do("olly", tr, mqtt.CmdLoad, mqtt.LoadArgs{Racer: racer}, tr)
	lap(a.t, u, 2)
	a.do("olly", tr, mqtt.CmdEnd, nil, tr)
	a.do("olly", tr, mqtt.CmdSubmit, nil, tr)
}

func containsAny(s string, needles ...string) string {
	for _, n := range needles {
		if strings.Contains(s, n) {
			return n
		}
	}
	return ""
}
