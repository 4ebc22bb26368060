// Package mosquittotest runs a private Mosquitto broker for tests: its own
// loopback port, config, persistence directory and log, stopped when the
// test ends. Tests that must hold against the broker pitwall ships with use
// it; Require skips them loudly where Mosquitto is not installed, and fails
// them instead when PITWALL_REQUIRE_MOSQUITTO=1 (CI sets it).
package mosquittotest

import (
	"errors"
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

// EnvRequire makes Require fail rather than skip when it is "1".
const EnvRequire = "PITWALL_REQUIRE_MOSQUITTO"

// EnvBinary names a mosquitto binary to use instead of searching for one.
const EnvBinary = "PITWALL_MOSQUITTO"

// Debian installs the broker in /usr/sbin, which is not on every user's
// PATH; Homebrew uses its own prefixes.
var searchPaths = []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto", "/usr/local/bin/mosquitto"}

const (
	readyTimeout = 10 * time.Second
	stopTimeout  = 10 * time.Second
)

// Require returns the path of the mosquitto binary. Without one it skips
// the test with a loud message, or fails it if PITWALL_REQUIRE_MOSQUITTO=1.
func Require(t testing.TB) string {
	t.Helper()
	path, err := find()
	if err == nil {
		return path
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("MOSQUITTO NOT INSTALLED but %s=1: %v (apt-get install mosquitto)", EnvRequire, err)
	}
	t.Skipf("MOSQUITTO NOT INSTALLED: %v; skipping (apt-get install mosquitto, or set %s to its path)", err, EnvBinary)
	return ""
}

func find() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBinary, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	for _, p := range searchPaths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no mosquitto on PATH nor in %s", strings.Join(searchPaths, ", "))
}

// Broker is a Mosquitto process owned by one test.
type Broker struct {
	t          testing.TB
	bin        string
	dir        string
	configPath string
	logPath    string
	outPath    string // the process's own stdout and stderr
	port       int
	tlsPort    int
	opts       Options
	// volatile turns persistence off (RestartVolatile): the broker then
	// starts without the retained messages and sessions it had.
	volatile bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// Options changes how StartWith configures the broker.
type Options struct {
	// Config returns the broker's listeners and access settings, e.g. the
	// shipped pitwall.conf with its ports and paths changed. dir is the
	// broker's private directory (for password, ACL and certificate
	// files); port must be the plain listener, on 127.0.0.1; tlsPort is a
	// second free port, for a TLS listener. mosquittotest appends
	// persistence, logging and (as root) "user root". nil: one anonymous
	// listener on port.
	Config func(dir string, port, tlsPort int) (string, error)
}

// Start runs Mosquitto on a free loopback port with its own config in
// t.TempDir(): anonymous access, persistence in the temp dir, a log file.
// It returns once the port accepts connections; the broker is stopped when
// the test ends. It never touches a system broker on 1883.
func Start(t testing.TB) *Broker {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with the listeners and access settings of opts.
func StartWith(t testing.TB, opts Options) *Broker {
	t.Helper()
	b := &Broker{t: t, bin: Require(t), dir: t.TempDir(), opts: opts}
	b.configPath = filepath.Join(b.dir, "mosquitto.conf")
	b.logPath = filepath.Join(b.dir, "mosquitto.log")
	b.outPath = filepath.Join(b.dir, "mosquitto.out")
	t.Cleanup(b.Stop)

	// The free port is found by binding and releasing it, so another
	// process may take it before Mosquitto binds: try a few.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		b.port = port
		if b.tlsPort, err = freePort(); err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		if err := b.writeConfig(); err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		if lastErr = b.start(); lastErr == nil {
			return b
		}
	}
	t.Fatalf("mosquittotest: start: %v\n%s", lastErr, b.Log())
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (b *Broker) writeConfig() error {
	var c strings.Builder
	if b.opts.Config == nil {
		fmt.Fprintf(&c, "listener %d 127.0.0.1\n", b.port)
		c.WriteString("allow_anonymous true\n")
		c.WriteString("set_tcp_nodelay true\n") // as packaging/mosquitto/pitwall.conf
	} else {
		conf, err := b.opts.Config(b.dir, b.port, b.tlsPort)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		c.WriteString(conf)
		c.WriteString("\n")
	}
	if b.volatile {
		c.WriteString("persistence false\n")
	} else {
		c.WriteString("persistence true\n")
		fmt.Fprintf(&c, "persistence_location %s/\n", b.dir)
	}
	fmt.Fprintf(&c, "log_dest file %s\n", b.logPath)
	// Not "all": debug logs a line per packet, which would slow the
	// broker down in benchmarks.
	for _, typ := range []string{"error", "warning", "notice", "information"} {
		fmt.Fprintf(&c, "log_type %s\n", typ)
	}
	c.WriteString("log_timestamp_format %H:%M:%S\n")
	// Run as root, Mosquitto switches to the "mosquitto" user, which
	// could not write to the test's private directory.
	if os.Geteuid() == 0 {
		c.WriteString("user root\n")
	}
	if err := os.WriteFile(b.configPath, []byte(c.String()), 0o600); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// start launches the process and waits until the port accepts.
func (b *Broker) start() error {
	out, err := os.OpenFile(b.outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", b.outPath, err)
	}
	cmd := exec.Command(b.bin, "-c", b.configPath)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("run %s: %w", b.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(exited)
	}()
	b.mu.Lock()
	b.cmd, b.exited = cmd, exited
	b.mu.Unlock()

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-exited:
			return fmt.Errorf("mosquitto exited during start-up (%v)", cmd.ProcessState)
		default:
		}
		conn, err := net.DialTimeout("tcp", b.Addr(), 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			b.Stop()
			return fmt.Errorf("mosquitto not accepting on %s after %v: %w", b.Addr(), readyTimeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// URL is the broker's address as a client's broker URL, tcp://127.0.0.1:port.
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Addr is 127.0.0.1:port.
func (b *Broker) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)) }

// Dir is the broker's private directory.
func (b *Broker) Dir() string { return b.dir }

// TLSPort is the port offered to Options.Config for a TLS listener.
func (b *Broker) TLSPort() int { return b.tlsPort }

// Port is the broker's TCP port.
func (b *Broker) Port() int { return b.port }

// Stop ends the broker with SIGTERM and waits for it to exit; Mosquitto
// writes its persistence file on the way out. Stopping a stopped broker
// does nothing. Used for outage tests and at the end of the test.
func (b *Broker) Stop() {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		b.t.Errorf("mosquittotest: SIGTERM: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		b.t.Errorf("mosquittotest: mosquitto ignored SIGTERM for %v; killing it\n%s", stopTimeout, b.Log())
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Restart starts the broker again on the same port with the same config
// and persistence (stopping it first if it runs), and waits until it
// accepts connections.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	if err := b.start(); err != nil {
		b.t.Fatalf("mosquittotest: restart on port %d: %v\n%s", b.port, err, b.Log())
	}
}

// RestartVolatile stops the broker and starts it again on the same port
// with persistence off, so it comes back without any retained message or
// session: a broker that lost its store (configured without persistence,
// or crashed before its autosave). Later restarts keep persistence off.
func (b *Broker) RestartVolatile() {
	b.t.Helper()
	b.Stop()
	b.volatile = true
	if err := b.writeConfig(); err != nil {
		b.t.Fatalf("mosquittotest: %v", err)
	}
	if err := b.start(); err != nil {
		b.t.Fatalf("mosquittotest: restart without persistence on port %d: %v\n%s", b.port, err, b.Log())
	}
}

// Log returns the broker's log and its own output, for failure messages.
func (b *Broker) Log() string {
	var s strings.Builder
	for _, p := range []string{b.outPath, b.logPath} {
		data, err := os.ReadFile(p)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(&s, "(read %s: %v)\n", p, err)
			}
			continue
		}
		fmt.Fprintf(&s, "--- %s\n%s", filepath.Base(p), data)
	}
	return s.String()
}
