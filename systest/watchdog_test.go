//go:build systest

package systest

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"pitwall/mqtt"
)

// The watchdog (packaging/systemd: Type=notify, WatchdogSec=30s): a daemon
// that hangs is killed and started again by systemd. A hang is a SIGSTOP
// of the main process through the guest agent: it stops notifying but
// keeps its sockets, its serial port and its database open.

// agentChecks runs once the venue is up: the agent answers on every guest,
// virtio_console was loaded by udev, and each guest's machine ID (the
// journal's directory) is noted for the check across boots.
func (v *venue) agentChecks() map[*guest]string {
	ids := map[*guest]string{}
	for _, g := range append([]*guest{v.trackside}, v.kiosks...) {
		g.waitAgent(3 * time.Minute)
		out := g.mustRun("lsmod | grep -c '^virtio_console ' ; cat /etc/machine-id; ls /var/log/journal")
		f := strings.Fields(out)
		if len(f) < 2 || f[0] != "1" {
			v.t.Errorf("%s: virtio_console not loaded, or no machine id: %q", g.name, out)
			continue
		}
		ids[g] = f[1]
		v.t.Logf("%s: guest agent up (virtio_console loaded by udev), machine id %s, journal dirs %v", g.name, f[1], f[2:])
	}
	return ids
}

// watchdogTrackside hangs the trackside in the middle of race 4 and checks
// that the watchdog restarts it, that it comes back online, that no
// acknowledged lap is lost, and that the race goes on timed exactly.
func (v *venue) watchdogTrackside(acked map[string]mqtt.LapEvent) {
	t := v.t
	di := strings.TrimSpace(v.ctl.run("racer", "add", "--display", "Di Eng", "--name", "Di Eng", "-q"))
	v.ctl.run("race", "queue", "--track", "1", "--racer", di)
	v.ctl.run("race", "load", "--track", "1")
	race := v.raceID()
	for k, l := range v.drive(race, []time.Duration{3900 * time.Millisecond, 4200 * time.Millisecond}) {
		acked[k] = l
	}
	h := v.trackside.hangUnit("pitwall-trackside", 3*time.Minute)
	topic := mqtt.TrackStatus("1")
	since := v.recordHang("trackside", topic, h)
	ready := v.waitTracksideReady(since, "", 3*time.Minute)
	v.record("trackside hung (SIGSTOP): to online again with the decoder link ok", ready.Sub(h.stopped))
	// The old process's will does not come after the new one's status:
	// the retained status stays online.
	time.Sleep(5 * time.Second)
	if s := v.obs.latestStatus(topic); !s.Online {
		t.Errorf("trackside: status %+v after the watchdog's restart, want online", s)
	}
	v.checkNothingLost(acked, "export-after-watchdog.json")
	// The race goes on: the lap spanning the hang closes at the next
	// crossing, the ones after are the decoder's times to the millisecond.
	for k, l := range v.drive(race, []time.Duration{4000 * time.Millisecond, 3800 * time.Millisecond}) {
		acked[k] = l
	}
	t.Logf("watchdog: race %s goes on after the trackside's restart, laps timed exactly", race)
	v.ctl.run("race", "end", "--track", "1")
	v.ctl.run("race", "submit", "--track", "1")
	eventually(t, time.Minute, "standings with Di", func() bool { return v.standingsHave(di) })
	v.compareScreens("watchdog-trackside", true, 3*time.Minute)
}

// screenLog polls a kiosk's framebuffer and notes each change between a
// board and something else.
type screenLog struct {
	mu    sync.Mutex
	marks []screenMark
	stop  chan struct{}
	done  chan struct{}
}

type screenMark struct {
	at    time.Time
	board bool
}

func (v *venue) watchScreen(k *guest, label string) *screenLog {
	s := &screenLog{stop: make(chan struct{}), done: make(chan struct{})}
	ppm := filepath.Join(k.dir, label+"-poll.ppm")
	go func() {
		defer close(s.done)
		for n := 0; ; n++ {
			select {
			case <-s.stop:
				return
			default:
			}
			at := time.Now()
			if err := k.screendump(ppm); err == nil {
				if img, err := readPPM(ppm); err == nil {
					board := isBoard(img)
					s.mu.Lock()
					if len(s.marks) == 0 || s.marks[len(s.marks)-1].board != board {
						s.marks = append(s.marks, screenMark{at, board})
						_ = writePNG(filepath.Join(k.dir, fmt.Sprintf("%s-%02d-board-%v.png", label, len(s.marks), board)), img)
					}
					s.mu.Unlock()
				}
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()
	return s
}

func (s *screenLog) end() []screenMark {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.marks
}

// watchdogKiosk hangs kiosk-1's kiosk and checks that the watchdog
// restarts it, that it reconnects and that its board is back on the
// framebuffer, equal to the reference render.
func (v *venue) watchdogKiosk() {
	t := v.t
	k := v.kiosks[0]
	scr := v.watchScreen(k, "watchdog")
	h := k.hangUnit("pitwall-kiosk", 3*time.Minute)
	since := v.recordHang("kiosk", mqtt.KioskStatus("1"), h)
	at := v.waitKioskOnline("1", since, "", 3*time.Minute)
	v.record("kiosk hung (SIGSTOP): to connected again (live status)", at.Sub(h.stopped))
	time.Sleep(5 * time.Second)
	marks := scr.end()
	var desc []string
	var gapEnd time.Time
	for i, m := range marks {
		desc = append(desc, fmt.Sprintf("%+.1fs board=%v", m.at.Sub(h.stopped).Seconds(), m.board))
		if m.board && i > 0 && !marks[i-1].board && m.at.After(h.stopped) {
			gapEnd = m.at
		}
	}
	t.Logf("kiosk-1's screen from its SIGSTOP on (changes, from the SIGSTOP): %s", strings.Join(desc, ", "))
	if len(marks) == 0 || !marks[len(marks)-1].board {
		t.Errorf("kiosk-1: no board on the screen after the watchdog's restart (%s)", k.dir)
	}
	if !gapEnd.IsZero() {
		// The unit has TTYReset=no so that the VT stays in graphics mode
		// across the restart: the last board stays up until the new
		// process's first frame, never the text console.
		t.Errorf("kiosk-1: the screen left the board during the watchdog's restart (board back %.1f s after the SIGSTOP; %s)", gapEnd.Sub(h.stopped).Seconds(), k.dir)
	}
	v.compareScreens("watchdog-kiosk", false, 2*time.Minute)
}

// journalAcrossBoots checks that a guest that lost power keeps the
// journal of the boot before (persistent journal, the same machine ID).
func (v *venue) journalAcrossBoots(g *guest, machineID string) {
	t := v.t
	id := strings.TrimSpace(g.mustRun("cat /etc/machine-id"))
	if id != machineID {
		t.Errorf("%s: machine id %s after the power pull, %s before: the journal of the boot before is in another directory", g.name, id, machineID)
	}
	list := g.mustRun("journalctl --list-boots --no-pager")
	boots := 0
	for _, l := range strings.Split(list, "\n") {
		if f := strings.Fields(l); len(f) > 1 && len(f[1]) == 32 {
			boots++
		}
	}
	if boots < 2 {
		t.Errorf("%s: journalctl --list-boots after a power pull lists %d boots, want 2 or more:\n%s", g.name, boots, list)
	}
	prev, _, _ := g.run("journalctl -b -1 -q -o cat --no-pager | grep -c pitwall")
	t.Logf("%s: journal across boots (%d boots, same machine id %s; %s lines naming pitwall in boot -1):\n%s",
		g.name, boots, machineID, strings.TrimSpace(prev), list)
	if strings.TrimSpace(prev) == "0" || strings.TrimSpace(prev) == "" {
		t.Errorf("%s: the previous boot's journal has no pitwall lines", g.name)
	}
}

// recordHang records the figures of a hang up to the restart: the broker's
// will (offline) on topic, the watchdog's kill and the new process's
// READY=1. It returns the time a status of the new process must follow: a
// status after the hung process's will (one it had in flight at the
// SIGSTOP is not the new process's).
func (v *venue) recordHang(who, topic string, h hang) time.Time {
	since := h.stopped.Add(time.Second)
	if e, ok := v.obs.firstStatus(topic, h.stopped, func(e statusEvent) bool { return !e.s.Online }); ok {
		v.record(who+" hung (SIGSTOP): to offline (the broker's will, 1.5 × keep-alive)", e.at.Sub(h.stopped))
		since = e.at
	} else {
		v.t.Logf("%s hung: no offline status seen (its will) before the restart", who)
	}
	v.record(who+" hung (SIGSTOP): to the watchdog's kill (guest journal)", h.toTimeout)
	v.record(who+" hung (SIGSTOP): to restarted and ready again (READY=1, guest journal)", h.toStarted)
	return since
}
