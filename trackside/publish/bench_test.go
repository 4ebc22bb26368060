package publish_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
	"pitwall/trackside/publish"
)

// BenchmarkQoS1Hop measures one message's trip from Publish to the
// subscriber's handler through a local Mosquitto, one message at a time,
// both at QoS 1. It reports the median and 99th percentile in µs.
func BenchmarkQoS1Hop(b *testing.B) {
	m := mosquittotest.Start(b)
	topic := mqtt.TrackLaps("bench")
	arrived := make(chan time.Time, 1)
	var want uint64
	sub := connect(b, client.Config{Broker: m.URL()})
	tok := sub.Subscribe(topic, 1, func(_ paho.Client, msg paho.Message) {
		at := time.Now()
		if binary.BigEndian.Uint64(msg.Payload()) != want {
			return // a redelivery of an earlier message
		}
		select {
		case arrived <- at:
		default:
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		b.Fatalf("subscribe: %v", tok.Error())
	}
	pub := connect(b, client.Config{Broker: m.URL()})
	payload := make([]byte, 200) // about a lap event's size

	var hops []time.Duration
	for b.Loop() {
		want++
		binary.BigEndian.PutUint64(payload, want)
		start := time.Now()
		tok := pub.Publish(topic, 1, false, payload)
		select {
		case at := <-arrived:
			hops = append(hops, at.Sub(start))
		case <-time.After(5 * time.Second):
			b.Fatalf("message %d not received within 5s", want)
		}
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			b.Fatalf("publish %d: no PUBACK: %v", want, tok.Error())
		}
	}
	slices.Sort(hops)
	b.ReportMetric(float64(hops[len(hops)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(hops[(len(hops)-1)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkPublisherThroughput drains a backlog of b.N messages through a
// Publisher to a local Mosquitto (each acknowledged and deleted) and
// reports messages per second, for several windows.
func BenchmarkPublisherThroughput(b *testing.B) {
	m := mosquittotest.Start(b)
	client := connect(b, client.Config{Broker: m.URL()})
	for _, window := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			box := newMemOutbox()
			box.addN(mqtt.TrackLaps("bench"), b.N)
			p := publish.New(client, box, publish.Config{Window: window, Logger: quiet})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)

			b.ResetTimer()
			start := time.Now()
			go func() { done <- p.Run(ctx) }()
			for box.Len() > 0 {
				time.Sleep(200 * time.Microsecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()

			cancel()
			if err := <-done; err != nil {
				b.Fatalf("Run: %v", err)
			}
			if st := p.Stats(); st.Acked != uint64(b.N) {
				b.Fatalf("Stats = %+v, want %d acked", st, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}
