package mosquittotest_test

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

func connect(t *testing.T, url string) paho.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Config{Broker: url, ClientID: client.UniqueID("mosquittotest"), CleanSession: true})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// The broker accepts clients, goes away on Stop, and comes back on the same
// port with its retained messages (persistence is on).
func TestStopRestartKeepsRetained(t *testing.T) {
	b := mosquittotest.Start(t)
	if b.Port() == 1883 {
		t.Fatalf("test broker on the system broker's port 1883")
	}
	if b.URL() != "tcp://"+b.Addr() || !strings.HasSuffix(b.Addr(), ":"+strconv.Itoa(b.Port())) {
		t.Fatalf("URL %q, Addr %q, Port %d disagree", b.URL(), b.Addr(), b.Port())
	}

	pub := connect(t, b.URL())
	topic := mqtt.TrackStatus("t1")
	tok := pub.Publish(topic, 1, true, []byte(`{"v":1,"seq":7}`))
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: timed out or %v", tok.Error())
	}
	pub.Disconnect(100)

	b.Stop()
	if conn, err := net.DialTimeout("tcp", b.Addr(), time.Second); err == nil {
		conn.Close()
		t.Fatalf("port %d still accepts after Stop", b.Port())
	}
	b.Stop() // a second Stop is harmless

	b.Restart()
	sub := connect(t, b.URL())
	got := make(chan paho.Message, 1)
	st := sub.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m:
		default:
		}
	})
	if !st.WaitTimeout(5*time.Second) || st.Error() != nil {
		t.Fatalf("subscribe: timed out or %v", st.Error())
	}
	select {
	case m := <-got:
		if string(m.Payload()) != `{"v":1,"seq":7}` || !m.Retained() {
			t.Fatalf("after restart got %q retained=%v", m.Payload(), m.Retained())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("retained message lost across restart\n%s", b.Log())
	}
	if log := b.Log(); !strings.Contains(log, "mosquitto version") {
		t.Fatalf("log lacks the start-up banner:\n%s", log)
	}
}

// Without a mosquitto binary a test is skipped, not failed, unless CI
// demands the broker (that path fails the test, so it is not run here).
func TestRequireSkipsWithoutMosquitto(t *testing.T) {
	t.Setenv(mosquittotest.EnvBinary, filepath.Join(t.TempDir(), "no-mosquitto"))
	t.Setenv(mosquittotest.EnvRequire, "")
	var sub *testing.T
	reached := false
	t.Run("missing", func(t *testing.T) {
		sub = t
		mosquittotest.Require(t)
		reached = true
	})
	if !sub.Skipped() || reached {
		t.Fatalf("Require without a binary: skipped=%v, continued=%v; want a skip", sub.Skipped(), reached)
	}
}

// RestartVolatile brings the broker back without its retained messages: a
// new subscriber's first message is one published after the restart.
func TestRestartVolatileForgetsRetained(t *testing.T) {
	b := mosquittotest.Start(t)
	topic := mqtt.TrackStatus("t1")
	pub := connect(t, b.URL())
	tok := pub.Publish(topic, 1, true, []byte(`{"v":1,"seq":7}`))
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: timed out or %v", tok.Error())
	}
	pub.Disconnect(100)

	b.RestartVolatile()
	// paho's default OrderMatters hands messages over in arrival order.
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("volatile-sub"))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: timed out or %v", tok.Error())
	}
	defer sub.Disconnect(0)
	got := make(chan paho.Message, 2)
	st := sub.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { got <- m })
	if !st.WaitTimeout(5*time.Second) || st.Error() != nil {
		t.Fatalf("subscribe: timed out or %v", st.Error())
	}
	// A retained message would be delivered on SUBSCRIBE, before this one.
	pub = connect(t, b.URL())
	tok = pub.Publish(topic, 1, false, []byte("after"))
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: timed out or %v", tok.Error())
	}
	select {
	case m := <-got:
		if string(m.Payload()) != "after" {
			t.Fatalf("first message after a restart without persistence: %q retained=%v, want the new one", m.Payload(), m.Retained())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no message after the restart\n%s", b.Log())
	}
}
