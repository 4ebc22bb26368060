package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"pitwall/kiosk"
	"pitwall/mqtt"
	"pitwall/mqtt/broker"
	"pitwall/mqtt/client"
)

// benchWeb is a loopback load test of a kiosk's public pages: a child
// process (GOMAXPROCS=1: one core) runs an embedded broker, a kiosk with
// its web pages and a feeder publishing two tracks' standings and race
// states; this process opens many event streams and requests pages and
// JSON as fast as the kiosk answers, then reports throughput, latency, the
// fan-out of events and the child's memory (RSS) and CPU.
func benchWeb(args []string) error {
	fs := flag.NewFlagSet("bench-web", flag.ExitOnError)
	clients := fs.Int("clients", 2000, "concurrent event-stream (SSE) clients")
	workers := fs.Int("workers", 64, "concurrent page/JSON requesters")
	duration := fs.Duration("duration", 20*time.Second, "how long the requests run")
	racers := fs.Int("racers", 1000, "racers on the board (half on each of two tracks)")
	procs := fs.Int("procs", 1, "GOMAXPROCS of the kiosk")
	refetch := fs.Bool("refetch", false, "each event-stream client fetches / after each event, as the pages' script does")
	serve := fs.Bool("serve", false, "internal: run the kiosk side")
	fs.Parse(args)
	if *serve {
		return benchWebServe(*racers)
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "bench-web", "-serve", "-racers", strconv.Itoa(*racers))
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(*procs))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the kiosk side: %w", err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	var base string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			base = u
			break
		}
	}
	if base == "" {
		return fmt.Errorf("the kiosk side did not start")
	}
	pid := cmd.Process.Pid
	// Wait for the merged board.
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(base + "/api/board.json")
		if err == nil {
			var b struct{ Entries []json.RawMessage }
			json.NewDecoder(resp.Body).Decode(&b)
			resp.Body.Close()
			if len(b.Entries) >= *racers {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("board not filled within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	idle := readRSS(pid)
	cpu0 := readCPU(pid)
	fmt.Printf("kiosk (GOMAXPROCS=%d), %d racers, 2 tracks racing: RSS %.1f MiB before clients\n", *procs, *racers, mib(idle.rss))

	// The event streams.
	fan := newFanout()
	var connected, streamErrs, refetched, refetchErrs atomic.Int64
	refetchClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}}
	sseTransport := &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	connStart := time.Now()
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/events", nil)
			resp, err := sseTransport.RoundTrip(req)
			if err != nil || resp.StatusCode != 200 {
				streamErrs.Add(1)
				return
			}
			defer resp.Body.Close()
			connected.Add(1)
			r := bufio.NewReader(resp.Body)
			hello := true
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if id, ok := strings.CutPrefix(line, "id: "); ok {
					if hello {
						hello = false
						continue
					}
					fan.got(strings.TrimSpace(id), time.Now())
					if *refetch {
						req, _ := http.NewRequestWithContext(ctx, "GET", base+"/", nil)
						req.Header.Set("Accept-Encoding", "gzip")
						if resp, err := refetchClient.Do(req); err == nil {
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							refetched.Add(1)
						} else if ctx.Err() == nil {
							refetchErrs.Add(1)
						}
					}
				}
			}
		}()
	}
	for connected.Load()+streamErrs.Load() < int64(*clients) {
		time.Sleep(10 * time.Millisecond)
	}
	connectTime := time.Since(connStart)
	time.Sleep(2 * time.Second)
	withClients := readRSS(pid)
	fmt.Printf("%d event streams open in %v (%d refused): RSS %.1f MiB\n", connected.Load(), connectTime.Round(time.Millisecond),
		streamErrs.Load(), mib(withClients.rss))

	// Pages and JSON, as fast as they are answered.
	paths := []string{"/", "/?page=2", "/?q=zoe", "/racer/r%d", "/api/board.json", "/api/live.json", "/overlay", "/commentary"}
	reqTransport := &http.Transport{MaxIdleConnsPerHost: *workers}
	hc := &http.Client{Transport: reqTransport}
	var done, failed, bytes atomic.Int64
	lat := make([][]time.Duration, *workers)
	stop := time.Now().Add(*duration)
	var rwg sync.WaitGroup
	reqStart := time.Now()
	for w := range *workers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(stop) {
				p := paths[rng.IntN(len(paths))]
				if strings.Contains(p, "%d") {
					p = fmt.Sprintf(p, rng.IntN(*racers))
				}
				t0 := time.Now()
				// gzip asked explicitly, as browsers do: the transport then
				// leaves the body compressed (no gunzip cost on this side).
				req, _ := http.NewRequest("GET", base+p, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				bytes.Add(n)
				done.Add(1)
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	peak := withClients
	for time.Now().Before(stop) {
		time.Sleep(500 * time.Millisecond)
		if r := readRSS(pid); r.rss > peak.rss {
			peak = r
		}
	}
	rwg.Wait()
	elapsed := time.Since(reqStart)
	cpu := readCPU(pid) - cpu0
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	q := func(f float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(f*float64(len(all))))].Round(10 * time.Microsecond)
	}
	final := readRSS(pid)
	fmt.Printf("requests: %d in %v = %.0f/s (%d failed), %.1f KB average on the wire (gzip), latency p50 %v p99 %v\n",
		done.Load(), elapsed.Round(time.Millisecond), float64(done.Load())/elapsed.Seconds(), failed.Load(),
		float64(bytes.Load())/float64(max(1, done.Load()))/1024, q(0.50), q(0.99))
	events, spread50, spread99, complete := fan.summary(int(connected.Load()))
	fmt.Printf("events: %d updates, each reached all %d streams in %d cases; spread first→last client p50 %v p99 %v\n",
		events, connected.Load(), complete, spread50, spread99)
	if *refetch {
		fmt.Printf("refetches of / by the event-stream clients: %d = %.0f/s (%d failed)\n", refetched.Load(),
			float64(refetched.Load())/elapsed.Seconds(), refetchErrs.Load())
	}
	fmt.Printf("kiosk CPU %.0f%% of its one core during the run; RSS %.1f MiB at the end, peak sampled %.1f MiB, VmHWM %.1f MiB\n",
		100*cpu.Seconds()/elapsed.Seconds(), mib(final.rss), mib(peak.rss), mib(final.hwm))
	cancel()
	wg.Wait()
	return nil
}

// fanout records when each event reached each stream.
type fanout struct {
	mu    sync.Mutex
	first map[string]time.Time
	last  map[string]time.Time
	count map[string]int
}

func newFanout() *fanout {
	return &fanout{first: map[string]time.Time{}, last: map[string]time.Time{}, count: map[string]int{}}
}

func (f *fanout) got(id string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.first[id]; !ok {
		f.first[id] = at
	}
	f.last[id] = at
	f.count[id]++
}

func (f *fanout) summary(clients int) (events int, p50, p99 time.Duration, complete int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var spreads []time.Duration
	for id, n := range f.count {
		events++
		if n == clients {
			complete++
			spreads = append(spreads, f.last[id].Sub(f.first[id]))
		}
	}
	slices.Sort(spreads)
	if len(spreads) > 0 {
		p50 = spreads[len(spreads)/2].Round(time.Millisecond)
		p99 = spreads[min(len(spreads)-1, len(spreads)*99/100)].Round(time.Millisecond)
	}
	return
}

type rss struct{ rss, hwm int64 }

func readRSS(pid int) rss {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	var r rss
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			r.rss = v << 10
		case "VmHWM:":
			r.hwm = v << 10
		}
	}
	return r
}

// readCPU is a process's user+system CPU time.
func readCPU(pid int) time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// benchWebServe is the kiosk side: broker, kiosk, pages and a feeder,
// until stdin closes.
func benchWebServe(racers int) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25) // as cmd/kiosk does
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	secret := []byte("bench-web-secret-0123456789abcdef")
	br, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Secret: secret, Logger: log})
	if err != nil {
		return err
	}
	defer br.Close()
	dir, err := os.MkdirTemp("", "pitwall-bench-web")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	secretFile := filepath.Join(dir, "event.secret")
	if err := br.WriteSecretFile(secretFile); err != nil {
		return err
	}
	cfg, err := kiosk.ParseConfig([]byte(fmt.Sprintf(`{"kiosk": "bench", "broker": {"url": %q, "secret_file": %q},
		"title": "Bench Cup", "width": 1920, "height": 1080, "web": {"listen": "127.0.0.1:0", "public_url": "http://bench.example/"},
		"cache": %q}`, br.URL(), secretFile, filepath.Join(dir, "cache.json"))))
	if err != nil {
		return err
	}
	// The kiosk's own start: its model, its web pages and their server
	// as a venue kiosk runs them.
	k, err := kiosk.Start(cfg, kiosk.Options{Logger: log})
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	kdone := make(chan error, 1)
	go func() { kdone <- k.Run(ctx) }()
	go feed(ctx, br.URL(), secret, racers)
	fmt.Printf("READY http://%s\n", k.WebAddr())
	<-ctx.Done()
	return <-kdone
}

// feed publishes what two racing tracks publish: standings of racers/2
// each (a result improves every 5 s), and a race state every second (a
// lap every 3 s), retained, through the broker as the tracksides do.
func feed(ctx context.Context, brokerURL string, secret []byte, racers int) {
	type track struct {
		id      string
		seq     uint64
		entries []mqtt.StandingsEntry
		laps    []mqtt.LapInfo
	}
	names := []string{"Zoë Müller", "Ann Smith", "Björn Þórsson", "Chloé Marchand", "Kai Nakamura", "Grace Hopper"}
	pub := map[string]func(topic string, b []byte){}
	var tracks []*track
	for ti, id := range []string{"1", "2"} {
		user := mqtt.TracksideUser(id)
		c := client.New(client.Config{Broker: brokerURL, ClientID: client.UniqueID("bench-" + id), Username: user,
			Password: mqtt.DerivePassword(secret, user)})
		c.Connect().Wait()
		pub[id] = func(topic string, b []byte) { c.Publish(topic, 1, true, b).Wait() }
		t := &track{id: id}
		for i := range racers / 2 {
			n := ti*racers/2 + i
			t.entries = append(t.entries, mqtt.StandingsEntry{RacerID: fmt.Sprintf("r%d", n),
				Name: fmt.Sprintf("%s %d", names[n%len(names)], n), ResultMS: int64(8000 + 7*n), Laps: 3, BestMS: int64(8000 + 7*n), RaceID: "x"})
		}
		tracks = append(tracks, t)
	}
	standings := func(t *track) {
		slices.SortFunc(t.entries, func(a, b mqtt.StandingsEntry) int { return int(a.ResultMS - b.ResultMS) })
		for i := range t.entries {
			t.entries[i].Rank = i + 1
		}
		t.seq++
		b, _ := mqtt.Encode(&mqtt.Standings{Header: mqtt.Header{Track: t.id, Boot: "bench", Seq: t.seq}, Ranking: "best-lap", Entries: t.entries})
		pub[t.id](mqtt.TrackStandings(t.id), b)
	}
	for _, t := range tracks {
		standings(t)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start := time.Now()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, t := range tracks {
			if n%3 == 0 {
				t.laps = append(t.laps, mqtt.LapInfo{No: len(t.laps) + 1, TimeMS: 9000 + int64(n%7)*100, Valid: true})
			}
			if n%5 == 0 {
				i := n % len(t.entries)
				t.entries[i].ResultMS -= 50
				standings(t)
			}
			t.seq++
			el := time.Since(start).Milliseconds()
			b, _ := mqtt.Encode(&mqtt.RaceState{Header: mqtt.Header{Track: t.id, Boot: "bench", Seq: t.seq},
				Race: &mqtt.LiveRace{ID: t.id + "-1", RacerID: t.entries[0].RacerID, Name: t.entries[0].Name, Run: 1, State: "running",
					DurationMS: 600000, ElapsedMS: el, LapElapsedMS: el % 9000, Running: true, Laps: t.laps},
				Queue: []string{t.entries[1].Name, t.entries[2].Name}})
			pub[t.id](mqtt.TrackRace(t.id), b)
		}
	}
}
