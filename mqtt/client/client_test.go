package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/mqtt"
	"pitwall/mqtt/broker"
	"pitwall/mqtt/client"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestClientConfigValidate(t *testing.T) {
	ok := client.Config{Broker: "tcp://127.0.0.1:1883", ClientID: "kiosk-1"}
	tests := []struct {
		name    string
		edit    func(*client.Config)
		wantErr string
	}{
		{"minimal", func(*client.Config) {}, ""},
		{"full", func(c *client.Config) {
			c.Username, c.Password = "trackside-t1", "secret"
			c.Will = &mqtt.Message{Topic: mqtt.TrackStatus("t1"), Payload: []byte(`{"v":1,"online":false}`), Retained: true}
			c.KeepAlive = 10 * time.Second
			c.RetryInterval = 2 * time.Second
		}, ""},
		{"host name", func(c *client.Config) { c.Broker = "mqtt://broker.local:1883" }, ""},
		{"no broker", func(c *client.Config) { c.Broker = "" }, "no broker"},
		{"no scheme", func(c *client.Config) { c.Broker = "127.0.0.1:1883" }, "scheme"},
		{"http scheme", func(c *client.Config) { c.Broker = "http://127.0.0.1:1883" }, "scheme"},
		{"no port", func(c *client.Config) { c.Broker = "tcp://127.0.0.1" }, "port"},
		{"port zero", func(c *client.Config) { c.Broker = "tcp://127.0.0.1:0" }, "port"},
		{"no host", func(c *client.Config) { c.Broker = "tcp://:1883" }, "no host"},
		{"no client id", func(c *client.Config) { c.ClientID = "" }, "client id"},
		{"long client id", func(c *client.Config) { c.ClientID = strings.Repeat("k", 129) }, "client id"},
		{"password alone", func(c *client.Config) { c.Password = "secret" }, "username"},
		{"negative keep-alive", func(c *client.Config) { c.KeepAlive = -time.Second }, "keep-alive"},
		{"sub-second keep-alive", func(c *client.Config) { c.KeepAlive = 500 * time.Millisecond }, "keep-alive"},
		{"huge keep-alive", func(c *client.Config) { c.KeepAlive = 20 * time.Hour }, "keep-alive"},
		{"tiny retry", func(c *client.Config) { c.RetryInterval = time.Millisecond }, "retry"},
		{"will wildcard", func(c *client.Config) { c.Will = &mqtt.Message{Topic: mqtt.AllTrackStatus} }, "will"},
		{"will too big", func(c *client.Config) {
			c.Will = &mqtt.Message{Topic: mqtt.TrackStatus("t1"), Payload: make([]byte, 70000)}
		}, "will"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate: nil, want an error about %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate: %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestUniqueClientID(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]+-[0-9a-f]{12}$`)
	tests := []struct{ prefix, wantPrefix string }{
		{"kiosk-main", "kiosk-main-"},
		{"", "pitwall-"},
		{"track side/1+#", "track-side-1---"},
		{strings.Repeat("x", 100), strings.Repeat("x", 40) + "-"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		for range 3 {
			id := client.UniqueID(tt.prefix)
			if !strings.HasPrefix(id, tt.wantPrefix) || !valid.MatchString(id) {
				t.Errorf("UniqueClientID(%q) = %q, want %q + 12 hex digits", tt.prefix, id, tt.wantPrefix)
			}
			if seen[id] {
				t.Errorf("UniqueClientID(%q) repeated %q", tt.prefix, id)
			}
			seen[id] = true
		}
	}
}

// testSecret is the event secret of every broker these tests start, so a
// client logs in to a restarted broker too.
var testSecret = []byte("client-test-secret-0123456789abcdef")

func startBroker(t *testing.T, addr string) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Config{Addr: addr, Secret: testSecret, Logger: quiet})
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func connect(t *testing.T, cfg client.Config) paho.Client {
	t.Helper()
	if cfg.ClientID == "" {
		cfg.ClientID = client.UniqueID("test")
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	cfg.CleanSession = true
	if cfg.Password == "" && cfg.Username != "" {
		cfg.Password = mqtt.DerivePassword(testSecret, cfg.Username)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Disconnect(250) })
	return c
}

func wait(t *testing.T, tok paho.Token, what string) {
	t.Helper()
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatalf("%s: no reply within 5s", what)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestConnectRejectsBadConfig(t *testing.T) {
	c, err := client.Connect(context.Background(), client.Config{Broker: "tcp://127.0.0.1:1883"})
	if err == nil || c != nil {
		t.Fatalf("Connect without client id = %v, %v; want nil client and an error", c, err)
	}
}

// Connect gives up waiting when ctx ends, but the client it returns keeps
// trying and connects once a broker appears.
func TestConnectKeepsRetryingAfterContext(t *testing.T) {
	addr := freeAddr(t) // nothing listens here yet
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c, err := client.Connect(ctx, client.Config{Broker: "tcp://" + addr, ClientID: client.UniqueID("retry"),
		Username: "admin", Password: mqtt.DerivePassword(testSecret, "admin"), Logger: quiet})
	if !errors.Is(err, context.DeadlineExceeded) || c == nil {
		t.Fatalf("Connect to nothing = %v, %v; want a client and context.DeadlineExceeded", c, err)
	}
	defer c.Disconnect(250)
	if c.IsConnectionOpen() {
		t.Fatalf("connected with no broker")
	}
	startBroker(t, addr)
	deadline := time.Now().Add(5 * time.Second)
	for !c.IsConnectionOpen() {
		if time.Now().After(deadline) {
			t.Fatalf("client did not connect within 5s of the broker starting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A subscription made in OnConnect survives the broker going away and
// coming back empty: the client reconnects and subscribes again.
func TestOnConnectResubscribesAfterBrokerRestart(t *testing.T) {
	b := startBroker(t, "")
	addr := b.Addr()
	topic := mqtt.TrackLaps("t1")
	got := make(chan string, 16)
	var lost atomic.Int32
	subscribed := make(chan struct{}, 4)
	sub := connect(t, client.Config{
		Broker: b.URL(), Username: "admin",
		OnConnect: func(c paho.Client) {
			tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
				select {
				case got <- string(m.Payload()):
				default:
				}
			})
			if tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
				subscribed <- struct{}{}
			}
		},
		OnLost:        func(error) { lost.Add(1) },
		RetryInterval: 500 * time.Millisecond,
	})
	<-subscribed

	b.Close()
	b2 := startBroker(t, addr)
	select {
	case <-subscribed:
	case <-time.After(10 * time.Second):
		t.Fatalf("no resubscription within 10s of the broker restarting")
	}
	// paho calls OnLost on a goroutine of its own: it may run after the
	// reconnect's OnConnect.
	for deadline := time.Now().Add(5 * time.Second); lost.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if lost.Load() == 0 {
		t.Errorf("OnLost was not called")
	}
	if n := sub.(client.ReconnectCounter).Reconnects(); n == 0 {
		t.Errorf("Reconnects() = 0 after a reconnect")
	}

	pub := connect(t, client.Config{Broker: b2.URL(), Username: "trackside-t1"})
	wait(t, pub.Publish(topic, 1, false, "after restart"), "publish")
	select {
	case m := <-got:
		if m != "after restart" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("resubscribed client got nothing")
	}
}

// proxy forwards TCP connections to target until cut, which drops every
// connection at once as a failing network would, without an MQTT
// DISCONNECT.
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l}
	t.Cleanup(func() { l.Close(); p.cut() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

func (p *proxy) cut() {
	p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// A client that vanishes leaves its retained will on the broker.
func TestWillIsPublishedWhenClientVanishes(t *testing.T) {
	b := startBroker(t, "")
	p := startProxy(t, b.Addr())
	topic := mqtt.TrackStatus("t1")
	unit := connect(t, client.Config{
		Broker: "tcp://" + p.l.Addr().String(), Username: "trackside-t1",
		Will: &mqtt.Message{Topic: topic, Payload: []byte(`{"v":1,"online":false}`), Retained: true},
	})
	wait(t, unit.Publish(topic, 1, true, `{"v":1,"online":true}`), "publish online")

	p.cut()
	deadline := time.Now().Add(5 * time.Second)
	for {
		// A fresh subscriber sees only the retained state.
		viewer := connect(t, client.Config{Broker: b.URL(), Username: "kiosk-k1"})
		got := make(chan paho.Message, 1)
		wait(t, viewer.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
			select {
			case got <- m:
			default:
			}
		}), "subscribe")
		select {
		case m := <-got:
			if string(m.Payload()) == `{"v":1,"online":false}` && m.Retained() {
				return
			}
		case <-time.After(time.Second):
		}
		viewer.Disconnect(0)
		if time.Now().After(deadline) {
			t.Fatalf("retained will not seen within 5s of the client vanishing")
		}
	}
}

func TestTLSConfig(t *testing.T) {
	if c, err := client.TLSConfig(""); c != nil || err != nil {
		t.Fatalf("no ca_file: %v, %v; want nil, nil (system roots)", c, err)
	}
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.crt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	for _, path := range []string{notPEM, filepath.Join(dir, "missing.crt")} {
		if _, err := client.TLSConfig(path); err == nil || !strings.Contains(err.Error(), "ca_file") {
			t.Errorf("ca_file %s: %v, want an error naming broker.ca_file", path, err)
		}
	}
}
