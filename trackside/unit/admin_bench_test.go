package unit_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/brokertest"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// BenchmarkAdminRoundTrip measures a signed command's round trip — admin
// client → broker → trackside (verify, fsynced transaction with the effect,
// its audit entry and the key's sequence) → reply → admin client — beside
// the floor under it, a plain QoS 1 hop from one client to another through
// the same broker, in the same run. Both are reported as p50/p99 in ms.
func BenchmarkAdminRoundTrip(b *testing.B) {
	for _, br := range brokers {
		b.Run(br.name, func(b *testing.B) {
			url := br.start(b)
			keys := newTestKeys(b)
			startAdminUnit(b, "1", url, keys, nil)
			a := newAdminClient(b, url, keys.admin)
			a.ready("alice", "1")
			a.do("alice", mqtt.EventTarget, mqtt.CmdRacerAdd, mqtt.RacerArgs{ID: "r1", Name: "Ann"}, "1")

			// A topic an admin may both publish and read under the
			// broker roles: the request topic of a track with no unit.
			hopTopic := mqtt.AdminReq("bench-hop")
			hopIn := make(chan struct{}, 1)
			sub := a.c.Subscribe(hopTopic, 1, func(paho.Client, paho.Message) { hopIn <- struct{}{} })
			sub.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			pubc, err := client.Connect(ctx, client.Config{Broker: url, ClientID: client.UniqueID("bench-pub"),
				Username: "admin", Password: brokertest.Password("admin"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			defer pubc.Disconnect(100)

			var rts, hops []time.Duration
			names := [2]string{"Ann", "Anna"}
			i := 0
			b.ResetTimer()
			for b.Loop() {
				i++
				start := time.Now()
				a.do("alice", mqtt.EventTarget, mqtt.CmdRacerUpdate, mqtt.RacerUpdateArgs{ID: "r1", Name: &names[i%2]}, "1")
				rts = append(rts, time.Since(start))

				start = time.Now()
				pubc.Publish(hopTopic, 1, false, []byte("x"))
				select {
				case <-hopIn:
				case <-time.After(10 * time.Second):
					b.Fatal("QoS 1 hop lost")
				}
				hops = append(hops, time.Since(start))
			}
			b.StopTimer()
			report(b, "rt", rts)
			report(b, "hop", hops)
		})
	}
}

func report(b *testing.B, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	q := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))]) / 1e6 }
	b.ReportMetric(q(0.50), name+"-p50-ms")
	b.ReportMetric(q(0.99), name+"-p99-ms")
}
