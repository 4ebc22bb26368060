package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"pitwall/mqtt/client"
	"pitwall/trackside/crossing"
	"pitwall/trackside/publish"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// benchRSS records N laps through the real track + store (fsync on), and,
// with -broker, publishes them through the outbox, then reports the
// process's resident memory: the trackside's footprint after an event.
func benchRSS(args []string) error {
	fs := flag.NewFlagSet("bench-rss", flag.ExitOnError)
	laps := fs.Int("laps", 100_000, "laps to record")
	racers := fs.Int("racers", 1000, "racers (each race is ~40 laps)")
	brokerURL := fs.String("broker", "", "publish through the outbox to this broker (tcp://host:port)")
	fs.Parse(args)

	dir, err := os.MkdirTemp("", "pitwall-bench-rss")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(filepath.Join(dir, "pitwall.db"), store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	var clock atomic.Int64
	clock.Store(int64(time.Hour))
	rules := race.DefaultConfig()
	rules.Duration = 10 * time.Minute
	tr, err := track.Open(track.Config{ID: "bench", Store: st, Rules: rules, Boot: "bench", Clock: clock.Load, Logger: log})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- tr.Run(ctx) }()
	if *brokerURL != "" {
		client := client.New(client.Config{Broker: *brokerURL, ClientID: client.UniqueID("pitwall-bench"), Logger: log})
		client.Connect().Wait()
		pub := publish.New(client, st, publish.Config{Logger: log})
		go pub.Run(ctx)
	}
	for i := 0; i < *racers; i++ {
		if err := tr.PutRacer(ctx, "bench", race.Racer{ID: fmt.Sprintf("r%05d", i), Name: fmt.Sprintf("Racer Nümber %d", i)}); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	start := time.Now()
	recorded := 0
	for n := 0; recorded < *laps; n++ {
		if _, err := tr.LoadRacer(ctx, "bench", fmt.Sprintf("r%05d", n%*racers)); err != nil {
			return err
		}
		batch := make([]crossing.Crossing, 0, 41)
		at := clock.Load()
		for j := 0; j <= 40 && recorded+j <= *laps; j++ {
			at += int64(8*time.Second) + rng.Int64N(int64(7*time.Second))
			batch = append(batch, crossing.Crossing{Source: "bench", MonoNS: at, Seq: uint64(recorded + j)})
		}
		if err := tr.SinkBatch(ctx, batch); err != nil {
			return err
		}
		recorded += len(batch) - 1
		clock.Store(at + int64(time.Second))
		if _, err := tr.End(ctx, "bench"); err != nil {
			return err
		}
		if _, err := tr.Submit(ctx, "bench"); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	if *brokerURL != "" {
		for st.OutboxDepth() > 0 && time.Since(start) < 10*time.Minute {
			time.Sleep(100 * time.Millisecond)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, hwm := procStatus("VmRSS"), procStatus("VmHWM")
	fmt.Printf("laps %d in %v (%.0f laps/s incl. load/end/submit commits), ranked racers %d\n",
		recorded, elapsed.Round(time.Millisecond), float64(recorded)/elapsed.Seconds(), len(tr.Standings().Entries))
	fmt.Printf("RSS %s (anonymous %s, file-backed %s: the bbolt mmap), peak RSS %s, Go heap in use %.1f MB, Go runtime total %.1f MB, DB file %.1f MB, outbox %d\n",
		rss, procStatus("RssAnon"), procStatus("RssFile"), hwm, float64(ms.HeapInuse)/1e6, float64(ms.Sys)/1e6,
		float64(st.Stats().FileSize)/1e6, st.OutboxDepth())
	cancel()
	return <-errc
}

func procStatus(key string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
