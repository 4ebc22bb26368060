//go:build systest

package systest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// images is what scripts/system_test.sh prepared: the guest kernel, its
// initramfs and the root file system with the .debs installed.
type images struct {
	kernel, initrd, root string
}

// guest is one QEMU machine: its disks (a copy-on-write overlay of the
// shared root image, kept across power pulls, and its own boot partition),
// its serial console log and its QMP socket.
type guest struct {
	t       *testing.T
	name    string
	dir     string
	img     images
	bootImg string
	overlay string
	mac     string
	net     string // -netdev of the venue network
	extra   []string
	display bool

	mu      sync.Mutex
	agentMu sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	boots   int
	started time.Time
}

func newGuest(t *testing.T, name, dir string, img images, bootImg, mac, venueNet string) *guest {
	t.Helper()
	g := &guest{t: t, name: name, dir: dir, img: img, bootImg: bootImg, mac: mac, net: venueNet}
	g.overlay = filepath.Join(dir, "root.qcow2")
	run(t, "qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", img.root, g.overlay)
	return g
}

func (g *guest) qmpPath() string { return filepath.Join(g.dir, "qmp.sock") }

// consolePath is the serial console (kernel and journal) of boot n.
func (g *guest) consolePath(n int) string {
	return filepath.Join(g.dir, fmt.Sprintf("console-%d.log", n))
}

// start powers the guest on (again: the overlay keeps what it wrote).
func (g *guest) start() {
	g.t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.boots++
	_ = os.Remove(g.qmpPath())
	_ = os.Remove(g.agentPath())
	args := []string{
		"-name", g.name, "-nodefaults", "-no-user-config",
		"-machine", "pc,accel=tcg", "-smp", "1", "-m", "512",
		"-kernel", g.img.kernel, "-initrd", g.img.initrd,
		"-append", "root=/dev/vda rw console=tty0 console=ttyS0 vt.global_cursor_default=0 " +
			"systemd.journald.forward_to_console=1 systemd.show_status=1 net.ifnames=0",
		"-drive", "file=" + g.overlay + ",if=virtio,format=qcow2,cache=writeback",
		"-drive", "file=" + g.bootImg + ",if=virtio,format=raw,readonly=on",
		"-netdev", g.net, "-device", "virtio-net-pci,netdev=venue,mac=" + g.mac,
		"-serial", "file:" + g.consolePath(g.boots),
		"-qmp", "unix:" + g.qmpPath() + ",server=on,wait=off",
		// The test's way in (agent_test.go): a virtio serial port the
		// test image's agent serves, on a Unix socket here.
		"-device", "virtio-serial-pci,id=agentbus",
		"-chardev", "socket,id=agent,path=" + g.agentPath() + ",server=on,wait=off",
		"-device", "virtserialport,bus=agentbus.0,chardev=agent,name=pitwall.agent",
		"-rtc", "base=utc", "-display", "none", "-pidfile", filepath.Join(g.dir, "qemu.pid"),
	}
	if g.display {
		args = append(args, "-vga", "none", "-device", "bochs-display")
	}
	args = append(args, g.extra...)
	cmd := exec.Command("qemu-system-x86_64", args...)
	logf, err := os.Create(filepath.Join(g.dir, fmt.Sprintf("qemu-%d.log", g.boots)))
	if err != nil {
		g.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so a ^C of the test does not reach it
	// half-way; the test's cleanup (or scripts/system_test.sh, by the pid
	// file, if the test was killed) stops it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("%s: start qemu: %v", g.name, err)
	}
	g.started = time.Now()
	g.cmd = cmd
	exited := make(chan struct{})
	g.exited = exited
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	g.t.Logf("%s: boot %d started (pid %d)", g.name, g.boots, cmd.Process.Pid)
}

// kill pulls the power: SIGKILL to QEMU, no shutdown, no flush of what the
// guest had not yet written to its disk.
func (g *guest) kill() {
	g.mu.Lock()
	cmd, exited := g.cmd, g.exited
	g.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	g.t.Logf("%s: killed (kill -9 of QEMU)", g.name)
}

// startedAt is when the current boot's QEMU was started.
func (g *guest) startedAt() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.started
}

// qmp runs one QMP command on the guest's monitor and returns its result.
func (g *guest) qmp(command string, args any) (json.RawMessage, error) {
	c, err := net.DialTimeout("unix", g.qmpPath(), 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%s: qmp: %w", g.name, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(c)
	read := func() (map[string]json.RawMessage, error) {
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return nil, err
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(line, &m); err != nil {
				return nil, fmt.Errorf("qmp reply %q: %w", line, err)
			}
			if _, ev := m["event"]; ev {
				continue
			}
			return m, nil
		}
	}
	if _, err := read(); err != nil { // greeting
		return nil, fmt.Errorf("%s: qmp greeting: %w", g.name, err)
	}
	send := func(cmd string, a any) (json.RawMessage, error) {
		req := map[string]any{"execute": cmd}
		if a != nil {
			req["arguments"] = a
		}
		b, _ := json.Marshal(req)
		if _, err := c.Write(append(b, '\n')); err != nil {
			return nil, err
		}
		m, err := read()
		if err != nil {
			return nil, err
		}
		if e, ok := m["error"]; ok {
			return nil, fmt.Errorf("%s: qmp %s: %s", g.name, cmd, e)
		}
		return m["return"], nil
	}
	if _, err := send("qmp_capabilities", nil); err != nil {
		return nil, err
	}
	return send(command, args)
}

// screendump writes the guest's display, as QEMU shows it, to a PPM file.
func (g *guest) screendump(path string) error {
	_, err := g.qmp("screendump", map[string]any{"filename": path})
	return err
}

// console returns the serial console of boot n so far.
func (g *guest) console(n int) string {
	b, _ := os.ReadFile(g.consolePath(n))
	return string(b)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func itoa(i int) string { return strconv.Itoa(i) }
