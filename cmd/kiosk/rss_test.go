package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
)

// EnvRSSFor sets how long BenchmarkKioskRSS lets the kiosk run (default 20s).
const EnvRSSFor = "PITWALL_KIOSK_RSS_FOR"

// BenchmarkKioskRSS runs the real kiosk binary at 1920×1080 against a real
// Mosquitto while two tracks of 1000 racers each change their standings
// every 3 s and run a race (10 Hz clock redraws, highlights fading), with
// the PNG and HTTP preview outputs on, and reports the process's resident
// memory (VmRSS at the end, VmHWM peak) and its CPU use. The figures are
// measured once, whatever b.N.
func BenchmarkKioskRSS(b *testing.B) {
	runFor := 20 * time.Second
	if v := os.Getenv(EnvRSSFor); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("%s: %v", EnvRSSFor, err)
		}
		runFor = d
	}
	rss, hwm, cpu := measureRSS(b, runFor)
	for i := 0; i < b.N; i++ {
	}
	b.ReportMetric(rss, "RSS-MB")
	b.ReportMetric(hwm, "HWM-MB")
	b.ReportMetric(cpu, "CPU-%")
	b.ReportMetric(0, "ns/op")
}

func measureRSS(b *testing.B, runFor time.Duration) (rssMB, hwmMB, cpuPct float64) {
	mb := mosquittotest.Start(b)
	dir := b.TempDir()
	bin := filepath.Join(dir, "kiosk")
	if out, err := exec.Command("go", "build", "-o", bin, "pitwall/cmd/kiosk").CombinedOutput(); err != nil {
		b.Fatalf("go build cmd/kiosk: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "kiosk.json")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{
		"kiosk": "rss", "broker": {"url": %q}, "title": "RSS bench",
		"width": 1920, "height": 1080,
		"outputs": {"png": %q, "http": "127.0.0.1:0"},
		"cache": %q, "log_level": "warn"
	}`, mb.URL(), filepath.Join(dir, "board.png"), filepath.Join(dir, "cache.json"))), 0o644); err != nil {
		b.Fatal(err)
	}

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(mb.URL()).SetClientID(mqtt.UniqueClientID("rss-feed")))
	if tok := pub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer pub.Disconnect(50)
	var seq uint64
	feed := func(round int) {
		for _, track := range []string{"1", "2"} {
			seq++
			s := mqtt.Standings{Header: mqtt.Header{Track: track, Boot: "rss-1", Seq: seq}, Ranking: "best-lap"}
			for i := 0; i < 1000; i++ {
				ms := int64(20_000 + 10*i)
				if i == 0 {
					ms -= int64(round) // the leader improves every round
				}
				s.Entries = append(s.Entries, mqtt.StandingsEntry{Rank: i + 1, RacerID: track + "-" + strconv.Itoa(i),
					Name: fmt.Sprintf("Racer Nümber %d", i), ResultMS: ms, Laps: 5, BestMS: ms, RaceID: "r"})
			}
			p, _ := mqtt.Encode(&s)
			pub.Publish(mqtt.TrackStandings(track), 1, true, p).Wait()
			seq++
			rs := mqtt.RaceState{Header: mqtt.Header{Track: track, Boot: "rss-1", Seq: seq}, Race: &mqtt.LiveRace{
				ID: "live", RacerID: "x", Name: "Zoë Müller", State: "running", Running: true,
				DurationMS: 180_000, ElapsedMS: int64(round) * 3000 % 180_000, LapElapsedMS: 1234, BestMS: 9876,
			}}
			p, _ = mqtt.Encode(&rs)
			pub.Publish(mqtt.TrackRace(track), 1, true, p).Wait()
		}
	}
	feed(0)

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	pid := cmd.Process.Pid
	cpu0, t0 := cpuTicks(b, pid), time.Now()
	for round := 1; time.Since(t0) < runFor; round++ {
		time.Sleep(3 * time.Second)
		feed(round)
	}
	cpu1, elapsed := cpuTicks(b, pid), time.Since(t0)
	rss, hwm := memKB(b, pid, "VmRSS:"), memKB(b, pid, "VmHWM:")
	// PSS is the figure comparable with a multi-process browser's sum
	// (scripts/chromium-board/measure.sh reports the same for Chromium).
	pss := smapsKB(b, pid, "Pss:")
	b.ReportMetric(float64(pss)/1024, "PSS-MB")
	// Clock ticks are USER_HZ, 100 on every Linux the kiosk runs on.
	cpuPct = float64(cpu1-cpu0) / 100 / elapsed.Seconds() * 100
	if cmd.ProcessState != nil {
		b.Fatalf("kiosk exited early:\n%s", stderr.String())
	}
	b.Logf("kiosk pid %d over %v: VmRSS %d kB, VmHWM %d kB, Pss %d kB, CPU %.1f%%", pid, elapsed.Round(time.Second), rss, hwm, pss, cpuPct)
	return float64(rss) / 1024, float64(hwm) / 1024, cpuPct
}

// memKB reads one field of /proc/pid/status in kB.
func memKB(b *testing.B, pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				b.Fatalf("%s %q: %v", field, rest, err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// cpuTicks is utime+stime of a process from /proc/pid/stat.
func cpuTicks(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("read stat: %v", err)
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

// smapsKB reads one field of /proc/pid/smaps_rollup in kB.
func smapsKB(b *testing.B, pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		b.Fatalf("read smaps_rollup: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				b.Fatalf("%s %q: %v", field, rest, err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/%d/smaps_rollup", field, pid)
	return 0
}
