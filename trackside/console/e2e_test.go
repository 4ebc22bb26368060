package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/trackside/console/api"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/unit"
)

// Helper processes: the test binary re-executed as a trackside (to be
// killed) or as a console (to panic or hang), so each runs in its own
// process exactly as on a unit.
const (
	envTrackside = "PITWALL_CONSOLE_TEST_TRACKSIDE" // config path
	envConsole   = "PITWALL_CONSOLE_TEST_CONSOLE"   // socket path
	envMode      = "PITWALL_CONSOLE_TEST_MODE"      // panic | run
)

func TestMain(m *testing.M) {
	if p := os.Getenv(envTrackside); p != "" {
		os.Exit(helperTrackside(p))
	}
	if s := os.Getenv(envConsole); s != "" {
		os.Exit(helperConsole(s, os.Getenv(envMode)))
	}
	os.Exit(m.Run())
}

func helperTrackside(path string) int {
	cfg, err := unit.LoadConfig(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	u, err := unit.New(cfg, unit.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := u.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// helperConsole is a console process: it unlocks, draws every view and
// prints "view <laps>" for each; in panic mode it panics drawing the first.
func helperConsole(sock, mode string) int {
	client := api.NewClient(sock, nil)
	ctx := context.Background()
	go client.Run(ctx, 50*time.Millisecond)
	c, err := New(Config{Width: 800, Height: 480}, client)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	unlocked := false
	for v := range client.Views() {
		if !unlocked {
			if _, err := client.Unlock(ctx, testPIN); err == nil {
				unlocked = true
			}
		}
		c.SetView(v, time.Now())
		c.Draw(time.Now())
		if mode == "panic" {
			panic("console test: deliberate panic while drawing")
		}
		fmt.Printf("view %d\n", lapsOf(&v))
	}
	return 0
}

// TestFullRaceByTouch runs a whole race on the console with synthetic
// touches only — unlock, load, start, laps from the simulator, a reset, an
// undo false finish, a DNF, the end, review with an edited lap, submit —
// and reads the new standings with mosquitto_sub from a real Mosquitto.
func TestFullRaceByTouch(t *testing.T) {
	b := mosquittotest.Start(t)
	dir := t.TempDir()
	cfg := unitConfig(dir, b.URL(), 8)
	u, _ := runUnit(t, cfg, race.Racer{ID: "r-zoe", Name: "Zoë Müller"}, race.Racer{ID: "r-bjorn", Name: "Björn Ström"})
	r := newRig(t, cfg.Console.Socket, 800, 480)
	r.waitView("first view", func(v *api.View) bool { return len(v.Racers) == 2 })

	r.unlock()
	if r.c.Screen() != ScreenQueue {
		t.Fatalf("after unlock: %s screen, want queue", r.c.Screen())
	}
	r.tap("load-r-zoe")
	r.waitView("race loaded", func(v *api.View) bool { return stateOf(v) == "ready" })
	if r.c.Screen() != ScreenLive {
		t.Fatalf("after load: %s screen, want live", r.c.Screen())
	}
	// The car: the simulator's first transponder, typed before the start.
	r.tap("change-car")
	for _, k := range []string{"key-s", "key-i", "key-m", "key-0", "key-0", "key-1"} {
		r.tap(k)
	}
	r.tap("key-done")
	r.waitView("the race bound to SIM001", func(v *api.View) bool {
		return v.Race.Transponder == "SIM001" && v.Race.Binding == "preset"
	})
	r.tap("start")
	r.waitView("race running", func(v *api.View) bool { return stateOf(v) == "running" })
	r.waitView("three laps from the simulator", func(v *api.View) bool { return lapsOf(v) >= 3 })

	r.tap("reset-plus")
	r.waitView("a reset on the lap in progress", resetCounted)

	r.tap("undo-finish")
	r.tap("dialog-ok")
	r.tap("dnf")
	r.tap("dialog-ok")
	r.waitView("paused by DNF", func(v *api.View) bool { return stateOf(v) == "paused" })
	r.tap("end")
	r.tap("dialog-ok")
	r.waitView("race over", func(v *api.View) bool { return stateOf(v) == "over" })
	if r.c.Screen() != ScreenReview {
		t.Fatalf("race over: %s screen, want review", r.c.Screen())
	}

	// Lap 1 becomes 5.000 s: typed on the number pad.
	r.tap("lap-edit-1")
	for _, d := range "5000" {
		r.tap("ed-" + string(d))
	}
	r.tap("ed-save")
	r.waitView("lap 1 edited", func(v *api.View) bool { return v.Race.Laps[0].TimeMS == 5000 })
	// Lap 2 split in the middle: a crossing the sensor missed.
	nlaps, half := len(r.c.view.Race.Laps), r.c.view.Race.Laps[1].TimeMS/2
	r.tap("lap-split-2")
	for _, d := range fmt.Sprint(half) {
		r.tap("ed-" + string(d))
	}
	r.tap("ed-save")
	r.waitView("lap 2 split", func(v *api.View) bool {
		return len(v.Race.Laps) == nlaps+1 && v.Race.Laps[1].TimeMS == half
	})
	r.tap("submit")
	r.tap("dialog-ok")
	r.waitView("race submitted", func(v *api.View) bool { return stateOf(v) == "submitted" })

	// The standings reach the broker: mosquitto_sub sees Zoë with the
	// result the review screen showed (5.000 or a part of the split lap).
	want := r.c.view.Race.ResultMS
	if want <= 0 || want > 5000 {
		t.Fatalf("the review shows result %d ms, want at most the edited 5000", want)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var st mqtt.Standings
		out := mosquittoSub(t, b.Addr(), mqtt.TrackStandings("c1"))
		if err := mqtt.Decode(out, &st); err != nil {
			t.Fatalf("standings from mosquitto_sub: %v (%s)", err, out)
		}
		if len(st.Entries) == 1 && st.Entries[0].RacerID == "r-zoe" && st.Entries[0].ResultMS == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("standings seen by mosquitto_sub: %+v, want r-zoe at %d ms", st.Entries, want)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Every action was committed in the official's name.
	actions := []string{"load", "bind-transponder", "start", "reset", "undo-false-finish", "dnf", "end", "edit-lap", "split-lap", "submit"}
	got := map[string]bool{}
	if err := u.Store().View(func(tx *store.Tx) error {
		return tx.ForEachAudit(func(a store.Audit) error {
			if a.Who == testOfficial {
				got[a.Action] = true
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range actions {
		if !got[a] {
			t.Errorf("no %q audited for %s (audited: %v)", a, testOfficial, got)
		}
	}
}

// mosquittoSub reads one retained message with the real mosquitto_sub.
func mosquittoSub(t *testing.T, addr, topic string) []byte {
	t.Helper()
	bin, err := exec.LookPath("mosquitto_sub")
	if err != nil {
		if os.Getenv(mosquittotest.EnvRequire) == "1" {
			t.Fatal("mosquitto_sub not installed (apt-get install mosquitto-clients)")
		}
		t.Skip("MOSQUITTO_SUB NOT INSTALLED: apt-get install mosquitto-clients — skipping")
	}
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command(bin, "-h", host, "-p", port, "-t", topic, "-C", "1", "-W", "10", "-q", "1").Output()
	if err != nil {
		t.Fatalf("mosquitto_sub %s: %v", topic, err)
	}
	return out
}

// startProcess runs the test binary as a helper process with env.
func startProcess(t *testing.T, env ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewScanner(out)
}

// TestTracksideKilledMidRace SIGKILLs the trackside process during a live
// race and starts it again: the console reconnects, is still unlocked, and
// shows the same race, clock and laps.
func TestTracksideKilledMidRace(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a real process: skipped with -short")
	}
	dir := t.TempDir()
	cfg := unitConfig(dir, "", 8)
	cfgPath := writeConfig(t, dir, cfg)
	// The PIN is set with the unit stopped, as trackside -set-pin does.
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := unit.SetPIN(filepath.Join(cfg.DataDir, "pitwall.db"), testOfficial, testPIN); err != nil {
		t.Fatal(err)
	}
	proc, _ := startProcess(t, envTrackside+"="+cfgPath)
	r := newRig(t, cfg.Console.Socket, 800, 480)
	r.waitView("first view", func(v *api.View) bool { return v.Track == "c1" })
	r.unlock()

	// A racer quick-added on the on-screen keyboard, accent included.
	r.tap("new-racer")
	for _, k := range []string{"key-z", "key-o", "key-accents", "key-ë"} {
		r.tap(k)
	}
	r.tap("key-done")
	r.waitView("Zoë queued", func(v *api.View) bool { return len(v.Queue) == 1 && v.Queue[0] == "Zoë" })
	r.tap("load-next")
	r.waitView("race loaded", func(v *api.View) bool { return stateOf(v) == "ready" })
	r.tap("start")
	r.waitView("two laps", func(v *api.View) bool { return lapsOf(v) >= 2 })

	before := r.c.view.Race
	beforeEl, _ := r.c.clock(r.now)
	proc.Process.Signal(syscall.SIGKILL)
	proc.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for r.client.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("the console did not notice the trackside died")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if msg, _ := r.c.statusLine(); !strings.Contains(msg, "not connected") {
		t.Errorf("while the trackside is away the bar says %q", msg)
	}

	r.pump()
	seen := r.views
	startProcess(t, envTrackside+"="+cfgPath)
	r.waitView("a view from the restarted trackside", func(v *api.View) bool { return r.views > seen && r.client.Connected() })
	if r.c.view.Race == nil || r.c.view.Race.ID != before.ID {
		t.Fatalf("after restart the race is %+v, want %s", r.c.view.Race, before.ID)
	}
	after := r.c.view.Race
	if after.State != "running" || after.RacerID != before.RacerID || after.Run != before.Run {
		t.Errorf("after restart: %+v, before %+v", after.LiveRace, before.LiveRace)
	}
	if len(after.Laps) < len(before.Laps) {
		t.Fatalf("after restart %d laps, before %d", len(after.Laps), len(before.Laps))
	}
	for i := range before.Laps {
		if after.Laps[i] != before.Laps[i] {
			t.Errorf("lap %d: after restart %+v, before %+v", i+1, after.Laps[i], before.Laps[i])
		}
	}
	if el, _ := r.c.clock(r.now); el < beforeEl {
		t.Errorf("race clock went back: %v after restart, %v before", el, beforeEl)
	}
	if r.c.Screen() != ScreenLive || r.c.Official() != testOfficial {
		t.Errorf("after restart the console shows %s for %q", r.c.Screen(), r.c.Official())
	}
	// Still unlocked on the new trackside: an action goes through.
	r.tap("reset-plus")
	r.waitView("a reset after the restart", resetCounted)
}

// TestConsoleCrashAndHang: a console process that panics, and one that
// hangs (SIGSTOP) while another floods the socket with commands, never
// stop timing: crossings keep being recorded and published; the console
// comes back when restarted (or continued).
func TestConsoleCrashAndHang(t *testing.T) {
	if testing.Short() {
		t.Skip("runs console processes: skipped with -short")
	}
	b := mosquittotest.Start(t)
	dir := t.TempDir()
	cfg := unitConfig(dir, b.URL(), 8)
	u, _ := runUnit(t, cfg, race.Racer{ID: "r1", Name: "Aiko Tanaka"}, race.Racer{ID: "r2", Name: "Kenji Sato"})
	ctx := context.Background()
	if _, err := u.Track().LoadRacer(ctx, "test", "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Track().Start(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	timingGoesOn := func(what string) {
		t.Helper()
		rec := u.Track().Activity().Recorded
		out := mosquittoLaps(t, b.Addr(), 2) // two new lap events published
		if n := u.Track().Activity().Recorded; n < rec+2 {
			t.Errorf("%s: %d crossings recorded, %d before", what, n, rec)
		}
		if strings.Count(out, "\n") < 2 {
			t.Errorf("%s: lap events published: %q", what, out)
		}
	}

	// 1. The console panics.
	proc, _ := startProcess(t, envConsole+"="+cfg.Console.Socket, envMode+"=panic")
	err := proc.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("console helper: %v, want a panic exit", err)
	}
	timingGoesOn("after the console panicked")

	// 2. It comes back (systemd's Restart=always), then hangs.
	proc, lines := startProcess(t, envConsole+"="+cfg.Console.Socket, envMode+"=run")
	waitLine(t, lines, "view ")
	proc.Process.Signal(syscall.SIGSTOP)
	// A second client that never reads, while a third hammers commands
	// whose views are pushed to everyone.
	mute, err := net.Dial("unix", cfg.Console.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	loud := api.NewClient(cfg.Console.Socket, nil)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go loud.Run(lctx, 50*time.Millisecond)
	for !loud.Connected() {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := loud.Unlock(ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	// Queue and unqueue: commands that change the view whatever the
	// simulated car does meanwhile.
	for i := range 300 {
		cmd := api.CmdQueue
		if i%2 == 1 {
			cmd = api.CmdUnqueue
		}
		if _, err := loud.Do(ctx, cmd, api.RacerIDArgs{ID: "r2"}); err != nil {
			t.Fatalf("command %d while a console hangs: %v", i, err)
		}
	}
	timingGoesOn("while a console hangs")
	proc.Process.Signal(syscall.SIGCONT)
	waitLine(t, lines, "view ")
}

// mosquittoLaps waits for n lap events with mosquitto_sub.
func mosquittoLaps(t *testing.T, addr string, n int) string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	bin, err := exec.LookPath("mosquitto_sub")
	if err != nil {
		t.Skip("MOSQUITTO_SUB NOT INSTALLED: apt-get install mosquitto-clients — skipping")
	}
	out, err := exec.Command(bin, "-h", host, "-p", port, "-t", mqtt.TrackLaps("c1"), "-C", fmt.Sprint(n), "-W", "20", "-q", "1").Output()
	if err != nil {
		t.Fatalf("mosquitto_sub laps: %v (%q)", err, out)
	}
	var ev mqtt.LapEvent
	first, _, _ := strings.Cut(string(out), "\n")
	if err := json.Unmarshal([]byte(first), &ev); err != nil || ev.RaceID == "" {
		t.Fatalf("lap event %q: %v", first, err)
	}
	return string(out)
}

// waitLine waits for the helper's next line starting with prefix.
func waitLine(t *testing.T, sc *bufio.Scanner, prefix string) {
	t.Helper()
	got := make(chan bool, 1)
	go func() {
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), prefix) {
				got <- true
				return
			}
		}
		got <- false
	}()
	select {
	case ok := <-got:
		if !ok {
			t.Fatalf("helper console ended before printing %q", prefix)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("helper console printed no %q within 20 s", prefix)
	}
}

// resetCounted: the reset is on the lap in progress, or on the lap a
// simulated crossing closed since.
func resetCounted(v *api.View) bool {
	if v.Race == nil {
		return false
	}
	if v.Race.Resets > 0 {
		return true
	}
	n := len(v.Race.Laps)
	return n > 0 && v.Race.Laps[n-1].Resets > 0
}
