//go:build systest

package systest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The test image's guest agent (systest/agent, installed by
// scripts/system_test.sh into the test's guest root only): commands run as
// root inside a guest, over a virtio serial port that QEMU connects to
// <guest dir>/agent.sock.

func (g *guest) agentPath() string { return filepath.Join(g.dir, "agent.sock") }

// agentReply is one answer of the agent (systest/agent).
type agentReply struct {
	ID   string `json:"id"`
	Code int    `json:"code"`
	Out  string `json:"out"`
	Err  string `json:"err"`
}

// run runs cmd with /bin/sh -c as root in the guest and returns its output
// (stdout and stderr) and exit status; err is set when the agent did not
// answer within timeout (default 60 s), or could not run it.
func (g *guest) run(cmd string, timeout ...time.Duration) (string, int, error) {
	limit := time.Minute
	if len(timeout) > 0 {
		limit = timeout[0]
	}
	// One client at a time on the port.
	g.agentMu.Lock()
	defer g.agentMu.Unlock()
	c, err := net.DialTimeout("unix", g.agentPath(), 5*time.Second)
	if err != nil {
		return "", -1, fmt.Errorf("%s: agent: %w", g.name, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(limit + 5*time.Second))
	idb := make([]byte, 8)
	_, _ = rand.Read(idb)
	id := hex.EncodeToString(idb)
	req, _ := json.Marshal(map[string]any{"id": id, "cmd": cmd, "timeout_s": int(limit.Seconds())})
	if _, err := c.Write(append(req, '\n')); err != nil {
		return "", -1, fmt.Errorf("%s: agent: %w", g.name, err)
	}
	r := bufio.NewReaderSize(c, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return "", -1, fmt.Errorf("%s: agent: no answer to %q: %w", g.name, cmd, err)
		}
		var rep agentReply
		if json.Unmarshal(line, &rep) != nil || rep.ID != id {
			continue // an answer to an earlier request that gave up
		}
		if rep.Err != "" {
			return rep.Out, rep.Code, fmt.Errorf("%s: agent: %q: %s", g.name, cmd, rep.Err)
		}
		return rep.Out, rep.Code, nil
	}
}

// mustRun runs cmd in the guest and fails the test unless it exits 0.
func (g *guest) mustRun(cmd string) string {
	g.t.Helper()
	out, code, err := g.run(cmd)
	if err != nil || code != 0 {
		g.t.Fatalf("%s: %s: exit %d, %v\n%s", g.name, cmd, code, err, out)
	}
	return out
}

// waitAgent waits until the guest's agent answers.
func (g *guest) waitAgent(limit time.Duration) {
	g.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, code, err := g.run("echo ok", 10*time.Second)
		if err == nil && code == 0 && strings.TrimSpace(out) == "ok" {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("%s: the guest agent does not answer within %v: %v", g.name, limit, err)
		}
		time.Sleep(time.Second)
	}
}

// unitPID is the unit's main process in the guest (0: none) and how often
// systemd restarted it.
func (g *guest) unitPID(unit string) (pid, restarts int) {
	g.t.Helper()
	out := g.mustRun("systemctl show -p MainPID -p NRestarts " + unit)
	for _, l := range strings.Split(out, "\n") {
		k, val, _ := strings.Cut(strings.TrimSpace(l), "=")
		n, _ := strconv.Atoi(val)
		switch k {
		case "MainPID":
			pid = n
		case "NRestarts":
			restarts = n
		}
	}
	return pid, restarts
}

// hang is one SIGSTOP of a unit's main process and systemd's watchdog
// restarting it. Guest times are from the guest's clock (its journal),
// host times from the test's.
type hang struct {
	unit           string
	oldPID, newPID int
	stopped        time.Time     // host: kill -STOP returned
	seen           time.Time     // host: the agent showed the new main process
	toTimeout      time.Duration // guest: SIGSTOP to systemd's "Watchdog timeout"
	toStarted      time.Duration // guest: SIGSTOP to the new process's READY=1 ("Started")
	journal        string        // the unit's journal from the SIGSTOP on
}

// hangUnit stops unit's main process with SIGSTOP, as a daemon hung in a
// dead lock would be (it stops notifying the watchdog but holds its
// sockets and files), and waits up to limit for systemd's watchdog to kill
// it and start it again: a new main process, NRestarts one more, "Watchdog
// timeout" in the unit's journal.
func (g *guest) hangUnit(unit string, limit time.Duration) hang {
	t := g.t
	t.Helper()
	h := hang{unit: unit}
	var restarts int
	// A unit still starting would be stopped by its start timeout, not
	// by the watchdog: it must be running (READY=1 sent).
	eventually(t, limit, unit+" active", func() bool {
		out, _, _ := g.run("systemctl is-active " + unit)
		return strings.TrimSpace(out) == "active"
	})
	h.oldPID, restarts = g.unitPID(unit)
	if h.oldPID == 0 {
		t.Fatalf("%s: %s has no main process", g.name, unit)
	}
	count := func() int {
		out, _, _ := g.run("journalctl -b -q -o cat -u " + unit + " | grep -c 'Watchdog timeout' || true")
		n, _ := strconv.Atoi(strings.TrimSpace(out))
		return n
	}
	before := count()
	out := g.mustRun(fmt.Sprintf("date +%%s.%%N; kill -STOP %d; sleep 0.2; grep '^State:' /proc/%d/status", h.oldPID, h.oldPID))
	h.stopped = time.Now()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	guestStop, err := strconv.ParseFloat(lines[0], 64)
	if err != nil || len(lines) < 2 || !strings.Contains(lines[1], "stopped") {
		t.Fatalf("%s: SIGSTOP of %s (pid %d): %q", g.name, unit, h.oldPID, out)
	}
	t.Logf("%s: %s (pid %d) stopped with SIGSTOP: %s", g.name, unit, h.oldPID, lines[1])
	deadline := time.Now().Add(limit)
	for {
		pid, n := g.unitPID(unit)
		if pid != 0 && pid != h.oldPID && n > restarts {
			h.newPID, h.seen = pid, time.Now()
			t.Logf("%s: %s restarted: pid %d, NRestarts %d -> %d", g.name, unit, pid, restarts, n)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s not restarted within %v of its SIGSTOP (pid %d, NRestarts %d)", g.name, unit, limit, pid, n)
		}
		time.Sleep(2 * time.Second)
	}
	if after := count(); after != before+1 {
		t.Errorf("%s: %d \"Watchdog timeout\" lines for %s in this boot's journal, want %d", g.name, after, unit, before+1)
	}
	// Wait for the new process's READY=1 (systemd logs "Started").
	var timeout, started float64
	eventually(t, limit, unit+" started again", func() bool {
		h.journal, _, _ = g.run(fmt.Sprintf("journalctl -b -q -o short-unix -u %s --since @%d", unit, int64(guestStop)))
		timeout, started = 0, 0
		for _, l := range strings.Split(h.journal, "\n") {
			ts, err := strconv.ParseFloat(strings.Fields(l + " x")[0], 64)
			if err != nil || ts < guestStop {
				continue
			}
			switch {
			case timeout == 0 && strings.Contains(l, "Watchdog timeout"):
				timeout = ts
			case timeout != 0 && started == 0 && strings.Contains(l, "systemd[1]: Started "):
				started = ts
			}
		}
		return started != 0
	})
	h.toTimeout = time.Duration((timeout - guestStop) * float64(time.Second))
	h.toStarted = time.Duration((started - guestStop) * float64(time.Second))
	t.Logf("%s: %s: SIGSTOP to watchdog timeout %.1f s, to started again (READY=1) %.1f s", g.name, unit, h.toTimeout.Seconds(), h.toStarted.Seconds())
	return h
}
