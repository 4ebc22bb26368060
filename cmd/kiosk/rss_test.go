package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/sys/unix"

	"pitwall/display/fb"
	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// EnvRSSFor sets how long BenchmarkKioskRSS lets the kiosk run (default 20s).
const EnvRSSFor = "PITWALL_KIOSK_RSS_FOR"

// envFramebufferChild, set in the environment of this test binary, makes
// it run the kiosk command (run, in main.go) on the config file it names
// instead of running tests, with the fb output mapped from a plain file:
// the child process of BenchmarkKioskRSS/outputs=fb.
const envFramebufferChild = "PITWALL_KIOSK_FB_CHILD"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(envFramebufferChild); cfg != "" {
		// As in the real binary, where the linker turns memory profiling
		// off because nothing reads it: its tables would add 1.4 MB.
		runtime.MemProfileRate = 0
		if err := run([]string{"-config", cfg}, openFramebufferFile); err != nil {
			fmt.Fprintln(os.Stderr, "kiosk:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// benchScreen is the screen of the fb measurement: 1920×1080 RGB565, the
// mode of a Pi 4's fbdev emulation on a 1080p HDMI screen.
var benchScreen = fb.RGB565(1920, 1080)

// openFramebufferFile maps the file at path the way fb.Open maps /dev/fb0
// (MAP_SHARED, then fb.OpenMemory), so the kiosk converts and copies
// exactly as on a wall. The mapping is left to the process's exit.
func openFramebufferFile(path string, log *slog.Logger) (*fb.Framebuffer, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open framebuffer file: %w", err)
	}
	defer f.Close() // the mapping outlives the descriptor
	mem, err := unix.Mmap(int(f.Fd()), 0, benchScreen.MemLen, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap framebuffer file %s: %w", path, err)
	}
	log.Info("framebuffer file mapped", "path", path, "bytes", len(mem))
	return fb.OpenMemory(benchScreen, mem)
}

// rssSetup is one kiosk configuration measured by BenchmarkKioskRSS.
type rssSetup struct {
	fb, png, http bool
	// viewer keeps a browser's part going against the HTTP preview: the
	// event stream, and frame.png fetched on every event.
	viewer bool
	// flood publishes floodPerRound payloads of 10 MB to the standings
	// topic of a third track every round (as a forger would): the
	// kiosk refuses them by size in its MQTT handler.
	flood bool
	// scripts names the racers in Chinese, Japanese, Korean, Arabic and
	// emoji, drawn with the fallback fonts of scriptFonts; every round
	// brings new ideographs into the top 20, so glyph caches grow.
	scripts bool
}

// scriptFonts is the fallback chain of the scripts measurement (the fonts
// scripts/setup.sh installs).
var scriptFonts = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc#0",
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
}

// scriptNames are the top rows' names of the scripts measurement.
var scriptNames = []string{"山田 さくら", "李小龙", "김민준", "محمد علي", "🏎️ Turbo Team", "タナカ・ユウキ", "陳美麗",
	"박서연 🚀", "علاء الدين", "Zoë 🔥👍", "がんばれ ゴジラ", "王芳", "이지은", "فاطمة الزهراء", "🏁 Chequered"}

// racerName is racer i's name in round.
func racerName(setup rssSetup, i, round int) string {
	if !setup.scripts {
		return fmt.Sprintf("Racer Nümber %d", i)
	}
	// Two ideographs that change every round: ~40 new glyphs per round.
	a, c := rune(0x4E00+(round*40+2*i)%6000), rune(0x4E00+(round*40+2*i+1)%6000)
	return scriptNames[i%len(scriptNames)] + " " + string(a) + string(c)
}

// floodPerRound is how many 10 MB payloads the flood publishes every 3 s.
const floodPerRound = 5

// BenchmarkKioskRSS runs the kiosk at 1920×1080 against a real Mosquitto
// while two tracks of 1000 racers each change their standings every 3 s
// and run a race (10 Hz clock redraws, highlights fading), and reports the
// process's memory (VmRSS at the end, VmHWM peak, Pss from smaps_rollup)
// and its CPU use. The figures are measured once, whatever b.N: run it
// with -benchtime 1x.
//
//   - outputs=fb: a wall kiosk, the framebuffer output alone. This machine
//     has no /dev/fb0, so the child is this test binary running the
//     kiosk command with the fb output mapped from a 1920×1080 RGB565
//     file (openFramebufferFile). The mapped file's pages count in the
//     process's RSS and PSS (fb-map-MiB says how much): a real device's
//     mapping counts only where its driver maps pages rather than device
//     memory, so on a Pi the figure is an upper bound.
//   - outputs=png+http: the real binary with the PNG and HTTP preview
//     outputs on, nobody looking at the preview.
//   - outputs=png+http+viewer: the same with a browser's traffic on the
//     preview (event stream, frame.png on every event).
func BenchmarkKioskRSS(b *testing.B) {
	runFor := 20 * time.Second
	if v := os.Getenv(EnvRSSFor); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("%s: %v", EnvRSSFor, err)
		}
		runFor = d
	}
	for _, tc := range []struct {
		name  string
		setup rssSetup
	}{
		{"outputs=fb", rssSetup{fb: true}},
		{"outputs=png+http", rssSetup{png: true, http: true}},
		{"outputs=png+http+viewer", rssSetup{png: true, http: true, viewer: true}},
		{"outputs=fb/flood=10MB", rssSetup{fb: true, flood: true}},
		{"outputs=fb/names=cjk+arabic+emoji", rssSetup{fb: true, scripts: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			measureRSS(b, runFor, tc.setup)
			for i := 0; i < b.N; i++ {
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// fontsConfig is the config's fonts key for setup: the scripts
// measurement names its fallback fonts (skipping without them).
func fontsConfig(b *testing.B, setup rssSetup) string {
	if !setup.scripts {
		return ""
	}
	for _, p := range scriptFonts {
		if _, err := os.Stat(strings.TrimSuffix(p, "#0")); err != nil {
			b.Skipf("SKIPPED: fallback font missing (run scripts/setup.sh): %v", err)
		}
	}
	return fmt.Sprintf(`, "fonts": {"fallback": ["%s"]}`, strings.Join(scriptFonts, `", "`))
}

func measureRSS(b *testing.B, runFor time.Duration, setup rssSetup) {
	mb := mosquittotest.Start(b)
	dir := b.TempDir()

	outputs := map[string]string{}
	fbPath := filepath.Join(dir, "fb0")
	if setup.fb {
		if err := os.WriteFile(fbPath, make([]byte, benchScreen.MemLen), 0o600); err != nil {
			b.Fatal(err)
		}
		outputs["fb"] = fbPath
	}
	pngPath := filepath.Join(dir, "board.png")
	if setup.png {
		outputs["png"] = pngPath
	}
	var previewAddr string
	if setup.http {
		previewAddr = freeAddr(b)
		outputs["http"] = previewAddr
	}
	cfg := filepath.Join(dir, "kiosk.json")
	var outs []string
	for k, v := range outputs {
		outs = append(outs, fmt.Sprintf("%q: %q", k, v))
	}
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{
		"kiosk": "rss", "broker": {"url": %q}, "title": "RSS bench",
		"width": 1920, "height": 1080,
		"outputs": {%s},
		"cache": %q, "log_level": "warn"%s
	}`, mb.URL(), strings.Join(outs, ", "), filepath.Join(dir, "cache.json"), fontsConfig(b, setup))), 0o644); err != nil {
		b.Fatal(err)
	}

	var cmd *exec.Cmd
	if setup.fb {
		// This test binary, as the kiosk (TestMain). It runs from a copy:
		// pages of its code shared with this process would count half in
		// each one's Pss.
		self, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		bin := filepath.Join(dir, "kiosk.test")
		copyFile(b, self, bin)
		cmd = exec.Command(bin)
		cmd.Env = append(os.Environ(), envFramebufferChild+"="+cfg)
	} else {
		bin := filepath.Join(dir, "kiosk")
		if out, err := exec.Command("go", "build", "-o", bin, "pitwall/cmd/kiosk").CombinedOutput(); err != nil {
			b.Fatalf("go build cmd/kiosk: %v\n%s", err, out)
		}
		cmd = exec.Command(bin, "-config", cfg)
	}

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(mb.URL()).SetClientID(client.UniqueID("rss-feed")))
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
					Name: racerName(setup, i, round), ResultMS: ms, Laps: 5, BestMS: ms, RaceID: "r"})
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
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}()
	pid := cmd.Process.Pid

	var viewed atomic.Int64
	viewCtx, stopViewer := context.WithCancel(context.Background())
	viewerDone := make(chan struct{})
	if setup.viewer {
		go func() { defer close(viewerDone); view(viewCtx, "http://"+previewAddr, &viewed) }()
	} else {
		close(viewerDone)
	}

	big := make([]byte, 10<<20)
	for i := range big {
		big[i] = 'x'
	}
	flooded := 0
	cpu0, t0 := cpuTicks(b, pid), time.Now()
	for round := 1; time.Since(t0) < runFor; round++ {
		time.Sleep(3 * time.Second)
		feed(round)
		for i := 0; setup.flood && i < floodPerRound; i++ {
			if tok := pub.Publish(mqtt.TrackStandings("3"), 1, false, big); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				b.Fatalf("flood: %v", tok.Error())
			}
			flooded++
		}
	}
	cpu1, elapsed := cpuTicks(b, pid), time.Since(t0)
	rss, hwm := memKB(b, pid, "VmRSS:"), memKB(b, pid, "VmHWM:")
	// PSS is the figure comparable with a multi-process browser's sum
	// (scripts/chromium-board/measure.sh reports the same for Chromium).
	pss := smapsKB(b, pid, "Pss:")
	// The process's own memory (heap, stacks), without its code and
	// mapped files.
	anon := smapsKB(b, pid, "Pss_Anon:")
	stopViewer()
	<-viewerDone
	select {
	case <-exited:
		b.Fatalf("kiosk exited early:\n%s", stderr.String())
	default:
	}
	// Clock ticks are USER_HZ, 100 on every Linux the kiosk runs on.
	cpuPct := float64(cpu1-cpu0) / 100 / elapsed.Seconds() * 100
	b.ReportMetric(float64(rss)/1024, "RSS-MiB")
	b.ReportMetric(float64(hwm)/1024, "HWM-MiB")
	b.ReportMetric(float64(pss)/1024, "PSS-MiB")
	b.ReportMetric(float64(anon)/1024, "anon-MiB")
	b.ReportMetric(cpuPct, "CPU-%")
	extra := ""
	if setup.fb {
		mapped := mappingPssKB(b, pid, fbPath)
		b.ReportMetric(float64(mapped)/1024, "fb-map-MiB")
		extra = fmt.Sprintf(", of which the mapped framebuffer file %d kB", mapped)
		checkFramebufferFile(b, fbPath)
	}
	if setup.scripts {
		fonts := 0
		for _, f := range scriptFonts {
			fonts += mappingPssKB(b, pid, strings.TrimSuffix(f, "#0"))
		}
		b.ReportMetric(float64(fonts)/1024, "font-map-MiB")
		extra += fmt.Sprintf(", the mapped fallback fonts %d kB", fonts)
	}
	if setup.png {
		checkPNG(b, pngPath)
	}
	if setup.viewer {
		if viewed.Load() == 0 {
			b.Fatal("the viewer got no frame from the preview")
		}
		b.ReportMetric(float64(viewed.Load())/elapsed.Seconds(), "viewer-frames/s")
	}
	logged := stderr.String()
	if setup.flood {
		b.ReportMetric(float64(flooded), "flood-payloads")
		if !strings.Contains(logged, "too large") {
			b.Fatalf("the kiosk did not log the refused payloads:\n%s", logged)
		}
		var kept []string
		for _, l := range strings.Split(logged, "\n") {
			if !strings.Contains(l, "too large") {
				kept = append(kept, l)
			}
		}
		logged = strings.Join(kept, "\n")
	}
	if strings.Contains(logged, "level=ERROR") {
		b.Fatalf("the kiosk logged errors:\n%s", stderr.String())
	}
	b.Logf("kiosk pid %d over %v: VmRSS %d kB, VmHWM %d kB, Pss %d kB (anonymous %d kB)%s, CPU %.1f%%", pid, elapsed.Round(time.Second), rss, hwm, pss, anon, extra, cpuPct)
}

// copyFile copies an executable.
func copyFile(b *testing.B, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		b.Fatal(err)
	}
}

// freeAddr is a loopback address with a port free at the time of the call.
func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// view does what the preview page does in a browser: it follows the event
// stream and fetches frame.png on every event, until ctx is done. It
// counts the frames it got.
func view(ctx context.Context, base string, frames *atomic.Int64) {
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			select { // the kiosk may not listen yet
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		lines := bufio.NewScanner(resp.Body)
		for lines.Scan() {
			gen, ok := strings.CutPrefix(lines.Text(), "data: ")
			if !ok {
				continue
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/frame.png?g="+gen, nil)
			fr, err := http.DefaultClient.Do(req)
			if err != nil {
				break
			}
			n, _ := io.Copy(io.Discard, fr.Body)
			fr.Body.Close()
			if fr.StatusCode == http.StatusOK && n > 0 {
				frames.Add(1)
			}
		}
		resp.Body.Close()
	}
}

// checkFramebufferFile fails unless the kiosk drew on the framebuffer:
// a board covers the screen, so nearly every pixel is set.
func checkFramebufferFile(b *testing.B, path string) {
	mem, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	set := 0
	for i := 0; i+1 < len(mem); i += 2 {
		if mem[i] != 0 || mem[i+1] != 0 {
			set++
		}
	}
	if total := len(mem) / 2; set < total*9/10 {
		b.Fatalf("the framebuffer file has %d of %d pixels set: the board was not drawn", set, total)
	}
}

// checkPNG fails unless the PNG output holds a 1920×1080 image.
func checkPNG(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		b.Fatalf("PNG output: %v", err)
	}
	if img.Bounds() != image.Rect(0, 0, 1920, 1080) {
		b.Fatalf("PNG output is %v, want 1920x1080", img.Bounds())
	}
}

// memKB reads one field of /proc/pid/status in kB.
func memKB(b *testing.B, pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			return parseKB(b, field, rest)
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

func parseKB(b *testing.B, field, rest string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
	if err != nil {
		b.Fatalf("%s %q: %v", field, rest, err)
	}
	return n
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
			return parseKB(b, field, rest)
		}
	}
	b.Fatalf("no %s in /proc/%d/smaps_rollup", field, pid)
	return 0
}

// mappingPssKB is the Pss of the process's mappings of the file at path,
// from /proc/pid/smaps.
func mappingPssKB(b *testing.B, pid int, path string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		b.Fatalf("read smaps: %v", err)
	}
	total, in := 0, false
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			// A mapping's header: address range, perms, offset, dev, inode, path.
			in = len(fields) >= 6 && fields[5] == path
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Pss:"); ok && in {
			total += parseKB(b, "Pss:", rest)
		}
	}
	if total == 0 {
		b.Fatalf("no mapping of %s in /proc/%d/smaps", path, pid)
	}
	return total
}
