package broker_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/mqtt"
	"pitwall/mqtt/broker"
	"pitwall/mqtt/client"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func connect(t *testing.T, b *broker.Broker, user string) paho.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	user, pw := b.Login(user)
	c, err := client.Connect(ctx, client.Config{Broker: b.URL(), ClientID: client.UniqueID("broker-test"), Username: user, Password: pw, CleanSession: true, Logger: quiet})
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

func TestRetainedAndLiveDelivery(t *testing.T) {
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.Addr(), "127.0.0.1:") || strings.HasSuffix(b.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want the bound loopback port", b.Addr())
	}
	if b.URL() != "tcp://"+b.Addr() {
		t.Fatalf("URL() = %q", b.URL())
	}

	pub := connect(t, b, "trackside-t1")
	status, laps := mqtt.TrackStatus("t1"), mqtt.TrackLaps("t1")
	wait(t, pub.Publish(status, 1, true, `{"v":1,"seq":1}`), "publish retained")
	wait(t, pub.Publish(status, 1, true, `{"v":1,"seq":2}`), "publish retained")
	wait(t, pub.Publish(laps, 1, false, `{"v":1,"seq":3}`), "publish event") // nobody listens: dropped

	// A subscriber arriving later gets the latest retained state only.
	sub := connect(t, b, "kiosk-k1")
	got := make(chan paho.Message, 8)
	wait(t, sub.SubscribeMultiple(map[string]byte{mqtt.AllTrackStatus: 1, mqtt.AllTrackLaps: 1}, func(_ paho.Client, m paho.Message) {
		got <- m
	}), "subscribe")
	m := receive(t, got)
	if m.Topic() != status || string(m.Payload()) != `{"v":1,"seq":2}` || !m.Retained() || m.Qos() != 1 {
		t.Fatalf("late subscriber got %s %q retained=%v qos=%d; want the latest retained status at QoS 1", m.Topic(), m.Payload(), m.Retained(), m.Qos())
	}

	// Live messages arrive as published, not flagged retained.
	wait(t, pub.Publish(laps, 1, false, `{"v":1,"seq":4}`), "publish live")
	m = receive(t, got)
	if m.Topic() != laps || string(m.Payload()) != `{"v":1,"seq":4}` || m.Retained() {
		t.Fatalf("live message: %s %q retained=%v", m.Topic(), m.Payload(), m.Retained())
	}
	select {
	case extra := <-got:
		t.Fatalf("unexpected extra message %s %q", extra.Topic(), extra.Payload())
	case <-time.After(100 * time.Millisecond):
	}

	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", b.Addr(), time.Second); err == nil {
		conn.Close()
		t.Fatalf("still accepting after Close")
	}
}

func receive(t *testing.T, ch <-chan paho.Message) paho.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatalf("nothing received within 5s")
		return nil
	}
}

func TestStartRejectsBadAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, addr := range []string{"127.0.0.1", "127.0.0.1:http2", "127.0.0.1:70000", busy.Addr().String()} {
		if b, err := broker.Start(broker.Config{Addr: addr, Logger: quiet}); err == nil {
			b.Close()
			t.Errorf("Start(%q) succeeded, want an error", addr)
		}
	}
}

func TestStartDefaultsToLoopback(t *testing.T) {
	b, err := broker.Start(broker.Config{Logger: quiet})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.Addr(), "127.0.0.1:") {
		t.Fatalf("default Addr() = %q, want loopback", b.Addr())
	}
	connect(t, b, "admin")
}
