package client_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt/client"
)

// TestOversizedPayloadCutOnConnection: PUBLISH packets over the topic's
// limit reach the handler with an empty payload (paho never holds the
// big one), each is reported, QoS 1 acknowledgements keep flowing (more
// oversized messages than Mosquitto's in-flight window), and payloads
// within the limit pass intact.
func TestOversizedPayloadCutOnConnection(t *testing.T) {
	b := mosquittotest.Start(t)
	var mu sync.Mutex
	got := map[string][]int{} // topic → payload sizes received
	var reported atomic.Int64
	var reportedBytes atomic.Int64
	cfg := client.Config{
		Broker: b.URL(), ClientID: client.UniqueID("limit-sub"), Logger: quiet,
		MaxPayload: func(topic string) int {
			if strings.HasSuffix(topic, "/big") {
				return 1024
			}
			return 1 << 20
		},
		OnOversized: func(topic string, n int) { reported.Add(1); reportedBytes.Add(int64(n)) },
	}
	subscribed := make(chan struct{}, 1)
	cfg.OnConnect = func(c paho.Client) {
		tok := c.Subscribe("t/#", 1, func(_ paho.Client, m paho.Message) {
			mu.Lock()
			got[m.Topic()] = append(got[m.Topic()], len(m.Payload()))
			mu.Unlock()
		})
		tok.Wait()
		subscribed <- struct{}{}
	}
	sub := connect(t, cfg)
	defer sub.Disconnect(50)
	select {
	case <-subscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("not subscribed")
	}

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID(client.UniqueID("limit-pub")))
	wait(t, pub.Connect(), "connect publisher")
	defer pub.Disconnect(50)
	const oversized = 30 // Mosquitto's default in-flight window is 20
	big := make([]byte, 100_000)
	for i := 0; i < oversized; i++ {
		wait(t, pub.Publish("t/big", 1, false, big), "publish big")
	}
	wait(t, pub.Publish("t/big", 1, false, make([]byte, 1024)), "publish at the limit")
	wait(t, pub.Publish("t/small", 1, false, make([]byte, 100_000)), "publish small")
	wait(t, pub.Publish("t/qos0", 0, false, big[:2000]), "publish qos 0")

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		done := len(got["t/big"]) == oversized+1 && len(got["t/small"]) == 1 && len(got["t/qos0"]) == 1
		snapshot := map[string][]int{"t/big": append([]int(nil), got["t/big"]...), "t/small": got["t/small"], "t/qos0": got["t/qos0"]}
		mu.Unlock()
		if done {
			// Handlers run in their own goroutines (OrderMatters off), so
			// the messages may reach them in any order: count sizes.
			empty, atLimit := 0, 0
			for _, n := range snapshot["t/big"] {
				switch n {
				case 0:
					empty++
				case 1024:
					atLimit++
				default:
					t.Fatalf("an oversized message reached the handler with %d bytes", n)
				}
			}
			if empty != oversized || atLimit != 1 || snapshot["t/small"][0] != 100_000 || snapshot["t/qos0"][0] != 2000 {
				t.Fatalf("payloads within the limit were changed: %v", snapshot)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %v", snapshot)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if reported.Load() != oversized || reportedBytes.Load() != oversized*100_000 {
		t.Fatalf("reported %d oversized payloads (%d bytes), want %d", reported.Load(), reportedBytes.Load(), oversized)
	}
}
