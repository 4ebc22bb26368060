package discovery_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"pitwall/internal/discovery"
)

// The tests run the announcer and the browser as two processes (this test
// binary re-executed) in two network namespaces joined by a veth pair with
// link-local addresses only and no default route: a bare switch with no
// DHCP server, as at a venue. They need root and ip(8); elsewhere they
// skip, saying so (PITWALL_REQUIRE_NETNS=1 makes that a failure).

const helperEnv = "PITWALL_DISCOVERY_HELPER"

var testSecret = []byte("discovery-test-secret-0123456789")

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "announce":
		secret := testSecret
		if os.Getenv("HELPER_SECRET") != "" {
			secret = []byte(os.Getenv("HELPER_SECRET"))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		fmt.Println("ANNOUNCING")
		if err := discovery.Announce(ctx, discovery.Announcement{Host: "pitwall-trackside-test", Port: 1883, Secret: secret}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "find":
		wait := 8 * time.Second
		if d, err := time.ParseDuration(os.Getenv("HELPER_WAIT")); err == nil {
			wait = d
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		b, err := discovery.Find(ctx, discovery.Query{Secret: testSecret, Every: 300 * time.Millisecond})
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(0)
		}
		fmt.Println("FOUND", b.URL(), b.Authentic)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// netns creates two namespaces joined by a veth pair, addresses
// 169.254.77.1/16 and 169.254.77.2/16, and returns their names.
func netns(t *testing.T) (a, b string) {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("PITWALL_REQUIRE_NETNS") == "1" {
			t.Fatal(why)
		}
		t.Skip("SKIPPED: " + why)
	}
	if os.Geteuid() != 0 {
		skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("no ip(8) (iproute2)")
	}
	id := os.Getpid() % 100000
	a, b = fmt.Sprintf("pwa%d", id), fmt.Sprintf("pwb%d", id)
	va, vb := fmt.Sprintf("pwva%d", id), fmt.Sprintf("pwvb%d", id)
	run := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("netns", "add", a); err != nil {
		skip(err.Error())
	}
	t.Cleanup(func() { run("netns", "del", a) })
	if err := run("netns", "add", b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run("netns", "del", b) })
	for _, args := range [][]string{
		{"link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b},
		{"-n", a, "addr", "add", "169.254.77.1/16", "dev", va},
		{"-n", b, "addr", "add", "169.254.77.2/16", "dev", vb},
		{"-n", a, "link", "set", va, "up"},
		{"-n", b, "link", "set", vb, "up"},
		{"-n", a, "link", "set", "lo", "up"},
		{"-n", b, "link", "set", "lo", "up"},
	} {
		if err := run(args...); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

// helper starts this binary as role in namespace ns.
func helper(t *testing.T, ns, role string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"="+role), env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// announce starts an announcer in ns and waits until it listens.
func announce(t *testing.T, ns string, env ...string) {
	t.Helper()
	cmd := helper(t, ns, "announce", env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ANNOUNCING" {
		t.Fatalf("announcer said %q", line)
	}
}

func find(t *testing.T, ns string, env ...string) string {
	t.Helper()
	out, err := helper(t, ns, "find", env...).Output()
	if err != nil {
		t.Fatalf("finder: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestFindAcrossNamespaces: a kiosk finds the broker's link-local address
// and port, with the proof of the shared event secret.
func TestFindAcrossNamespaces(t *testing.T) {
	a, b := netns(t)
	announce(t, a)
	if got, want := find(t, b), "FOUND tcp://169.254.77.1:1883 true"; got != want {
		t.Fatalf("finder: %q, want %q", got, want)
	}
}

// TestFindRefusesOtherSecret: a broker announced with another event's
// secret (or by an impostor) is not used.
func TestFindRefusesOtherSecret(t *testing.T) {
	a, b := netns(t)
	announce(t, a, "HELPER_SECRET=some-other-event-secret-0123456789")
	if got := find(t, b, "HELPER_WAIT=3s"); !strings.HasPrefix(got, "ERROR") {
		t.Fatalf("finder: %q, want no broker", got)
	}
}

// TestFindNothing: with no announcer the finder gives up with a clear
// error when its context ends.
func TestFindNothing(t *testing.T) {
	_, b := netns(t)
	if got := find(t, b, "HELPER_WAIT=2s"); !strings.Contains(got, "no pitwall broker answered") {
		t.Fatalf("finder: %q", got)
	}
}

func TestWanted(t *testing.T) {
	for url, want := range map[string]bool{"": true, "auto": true, " AUTO ": true, "tcp://10.0.0.1:1883": false, "ssl://broker:8883": false} {
		if got := discovery.Wanted(url); got != want {
			t.Errorf("Wanted(%q) = %v, want %v", url, got, want)
		}
	}
}
