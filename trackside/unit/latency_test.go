package unit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/monoclock"
	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/unit"
)

// pushSource is a timing input driven by the benchmark: each crossing is
// handed to the sink as a real source would.
type pushSource struct {
	in   chan crossing.Crossing
	errs chan error
}

func (p *pushSource) Name() string { return "push" }
func (p *pushSource) Health() crossing.Health {
	return crossing.Health{Name: "push", State: crossing.StateOK}
}
func (p *pushSource) Run(ctx context.Context, sink crossing.Sink) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-p.in:
			p.errs <- sink(ctx, c)
		}
	}
}

// BenchmarkCrossingToBroker measures a crossing's trip from the timing
// input to a subscriber of the lap topic through a real Mosquitto on
// loopback: engine, one fsynced commit, outbox, QoS 1 publish, delivery.
func BenchmarkCrossingToBroker(b *testing.B) {
	mb := mosquittotest.Start(b)
	src := &pushSource{in: make(chan crossing.Crossing), errs: make(chan error)}
	cfg := testConfig(b, "lat", mb.URL(), "127.0.0.1:1")
	u, err := unit.New(cfg, unit.Options{Sources: []crossing.Source{src}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	defer func() { cancel(); <-done }()

	got := make(chan time.Time, 16)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(mb.URL()).SetClientID("lat-sub"))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe(mqtt.TrackLaps("lat"), 1, func(_ paho.Client, m paho.Message) { got <- time.Now() }); !tok.WaitTimeout(5 * time.Second) {
		b.Fatal("subscribe timed out")
	}
	tr := u.Track()
	if err := tr.PutRacer(ctx, "b", race.Racer{ID: "r1", Name: "Bench"}); err != nil {
		b.Fatal(err)
	}
	if _, err := tr.LoadRacer(ctx, "b", "r1"); err != nil {
		b.Fatal(err)
	}
	var commits []time.Duration
	push := func() time.Time {
		c := crossing.Crossing{Source: "push", MonoNS: monoclock.Now(), Clock: crossing.ClockHost}
		t0 := time.Now()
		src.in <- c
		if err := <-src.errs; err != nil {
			b.Fatal(err)
		}
		commits = append(commits, time.Since(t0))
		return t0
	}
	push() // starts the race: no lap
	// Wait until the unit's publisher is connected: the first lap gets through.
	push()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		b.Fatal("no lap event reached the subscriber")
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%30 == 29 { // races of realistic length: ~30 laps, then the next racer
			b.StopTimer()
			if _, err := tr.End(ctx, "b"); err != nil {
				b.Fatal(err)
			}
			if _, err := tr.Submit(ctx, "b"); err != nil {
				b.Fatal(err)
			}
			if _, err := tr.LoadRacer(ctx, "b", "r1"); err != nil {
				b.Fatal(err)
			}
			push() // the first crossing starts the race: no lap
			b.StartTimer()
		}
		// Crossings 5 ms apart (a lap a second on a real track at most):
		// back to back, each commit would queue behind the publisher's
		// acknowledgement transaction of the previous lap.
		time.Sleep(5 * time.Millisecond)
		t0 := push()
		select {
		case t1 := <-got:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(10 * time.Second):
			b.Fatalf("lap %d never arrived", i)
		}
	}
	b.StopTimer()
	q := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(lat, 0.50), "p50-ms")
	b.ReportMetric(q(lat, 0.99), "p99-ms")
	// The durable part alone: crossing handed over → committed and fsynced.
	b.ReportMetric(q(commits, 0.50), "commit-p50-ms")
	b.ReportMetric(q(commits, 0.99), "commit-p99-ms")
	b.ReportMetric(0, "ns/op")
}
