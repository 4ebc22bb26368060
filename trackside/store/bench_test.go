package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pitwall/mqtt"
)

// BenchmarkCommit is the trackside's hot path: one crossing, the race it
// changes (a 10-lap race), a lap event and the retained race state, in one
// fsynced transaction. Reports the median and 99th percentile commit.
func BenchmarkCommit(b *testing.B) {
	s := openAt(b, dbPath(b))
	r := sampleRace("r-1", "alice", 1, 10)
	payload := []byte(`{"v":1,"seq":0,"race":"r-1","lap":{"no":10,"time_ms":10010,"valid":true}}`)
	var took []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		err := s.Update(func(tx *Tx) error {
			if _, err := tx.AddCrossing(sampleCrossing(i)); err != nil {
				return err
			}
			r.LastCrossNS = int64(i)
			if err := tx.PutRace(r); err != nil {
				return err
			}
			if _, err := tx.Enqueue(mqtt.Message{Topic: mqtt.TrackLaps("t1"), Payload: payload}); err != nil {
				return err
			}
			_, err := tx.Enqueue(mqtt.Message{Topic: mqtt.TrackRace("t1"), Payload: payload, Retained: true})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		i++
	}
	reportPercentiles(b, took)
}

// BenchmarkGroupCommit stores 64 crossings per transaction (a burst from a
// decoder, or crossings batched by the writer) and reports crossings/s.
func BenchmarkGroupCommit(b *testing.B) {
	const perTx = 64
	s := openAt(b, dbPath(b))
	i := 0
	for b.Loop() {
		err := s.Update(func(tx *Tx) error {
			for range perTx {
				if _, err := tx.AddCrossing(sampleCrossing(i)); err != nil {
					return err
				}
				i++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "crossings/s")
}

// BenchmarkPendingAck is the publisher's loop over a backlog: read 32
// messages, acknowledge them in one transaction.
func BenchmarkPendingAck(b *testing.B) {
	s := openAt(b, dbPath(b))
	payload := []byte(`{"v":1,"lap":{"no":1,"time_ms":10010}}`)
	fill := func(n int) {
		err := s.Update(func(tx *Tx) error {
			for j := range n {
				if _, err := tx.Enqueue(mqtt.Message{Topic: mqtt.TrackLaps(fmt.Sprint("t", j%4)), Payload: payload}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		b.StopTimer()
		fill(32)
		b.StartTimer()
		msgs, err := s.Pending(32)
		if err != nil || len(msgs) != 32 {
			b.Fatalf("Pending = %d %v", len(msgs), err)
		}
		ids := make([]uint64, len(msgs))
		for j, m := range msgs {
			ids[j] = m.ID
		}
		if err := s.Ack(ids...); err != nil {
			b.Fatal(err)
		}
	}
}

func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(p float64) float64 {
		return float64(took[int(p*float64(len(took)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
