//go:build systest

package systest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/mqtt"
)

// TestAgent boots one kiosk alone and checks the guest agent: commands
// and exit codes, virtio_console loaded by udev, the watchdog restarting
// the SIGSTOPped kiosk, and the journal kept across a power pull.
func TestAgent(t *testing.T) {
	imgDir, bin, out := os.Getenv("PITWALL_SYSTEST_IMAGES"), os.Getenv("PITWALL_SYSTEST_BIN"), os.Getenv("PITWALL_SYSTEST_OUT")
	if imgDir == "" || bin == "" || out == "" {
		t.Skip("run through scripts/system_test.sh (make system-test): it builds the guest images")
	}
	img := images{kernel: filepath.Join(imgDir, "vmlinuz"), initrd: filepath.Join(imgDir, "initrd.img"), root: filepath.Join(imgDir, "root.img")}
	out = filepath.Join(out, "agent-test")
	_ = os.MkdirAll(out, 0o755)
	v := &venue{t: t, out: out, bin: bin}
	v.secretF = filepath.Join(out, "event.secret")
	_ = os.Remove(v.secretF)
	if err := mqtt.WriteNewSecret(v.secretF); err != nil {
		t.Fatal(err)
	}
	dir := v.guestDir("kiosk-9")
	g := newGuest(t, "kiosk-9", dir, img, v.bootImage(dir, "kiosk", v.kioskFiles(9)), "52:54:00:00:01:30",
		"socket,id=venue,mcast=230.0.9.9:"+itoa(freePort(t))+",localaddr=127.0.0.1")
	g.display = true
	t.Cleanup(g.kill)
	g.start()
	g.waitAgent(5 * time.Minute)
	t.Logf("agent up %.1f s after power on", time.Since(g.startedAt()).Seconds())
	if o, code, err := g.run("echo out; echo err >&2; exit 3"); err != nil || code != 3 || o != "out\nerr\n" {
		t.Errorf("exit 3: %q %d %v", o, code, err)
	}
	if _, _, err := g.run("sleep 5", 2*time.Second); err == nil {
		t.Errorf("sleep 5 with a 2 s limit: no error")
	}
	t.Logf("%s", g.mustRun("lsmod | grep virtio_console; cat /etc/machine-id; ls /var/log/journal; uname -r"))
	eventually(t, 3*time.Minute, "kiosk running", func() bool {
		pid, _ := g.unitPID("pitwall-kiosk")
		return pid != 0
	})
	h := g.hangUnit("pitwall-kiosk", 3*time.Minute)
	t.Logf("journal:\n%s", h.journal)
	g.kill()
	time.Sleep(time.Second)
	g.start()
	g.waitAgent(5 * time.Minute)
	o := g.mustRun("cat /etc/machine-id; ls /var/log/journal; journalctl --list-boots --no-pager")
	t.Logf("after the power pull:\n%s", o)
	if n := strings.Count(strings.TrimSpace(o), "\n"); n < 3 {
		t.Errorf("journal boots: %q", o)
	}
}
