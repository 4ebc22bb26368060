package main

import (
	"bufio"
	"fmt"

	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"pitwall/internal/brokertest"
	"pitwall/trackside/unit"
)

// docBlocks returns the ```sh blocks of docs/admin.md's racectl section.
func docBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../docs/admin.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "\n## racectl\n")
	if i < 0 {
		t.Fatal("docs/admin.md has no \"## racectl\" section")
	}
	doc = doc[i+1:]
	if j := strings.Index(doc[3:], "\n## "); j >= 0 {
		doc = doc[:j+3]
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// The racectl examples of docs/admin.md, run verbatim by one shell, in
// order, against a test trackside. The test only substitutes the broker
// address and credentials in the doc's own `export PITWALL_…=` lines,
// starts the trackside with the key the keygen example printed, and feeds
// laps (as the track's sensor would) after the example that starts the
// race. The built racectl is first on PATH.
func TestDocExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds racectl")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	blocks := docBlocks(t)
	if len(blocks) < 6 {
		t.Fatalf("%d sh blocks in the racectl section", len(blocks))
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "racectl"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	url := brokers[1].start(t) // a real Mosquitto
	home, work := t.TempDir(), t.TempDir()
	subst := map[string]string{"PITWALL_BROKER": url, "PITWALL_SECRET_FILE": brokertest.SecretFile(t)}
	exportLine := regexp.MustCompile(`(?m)^export (PITWALL_[A-Z_]+)=.*$`)

	shell := exec.Command(sh, "-e")
	shell.Dir = work
	shell.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "LANG=C.UTF-8"}
	stdin, _ := shell.StdinPipe()
	stdout, _ := shell.StdoutPipe()
	shell.Stderr = shell.Stdout // one stream, for the failure message
	if err := shell.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); shell.Wait() })
	lines := bufio.NewScanner(stdout)
	var u *unit.Unit
	c := &cli{t: t, env: map[string]string{"XDG_CONFIG_HOME": filepath.Join(home, ".config"), "PITWALL_BROKER": url}}
	for i, block := range blocks {
		script := exportLine.ReplaceAllStringFunc(block, func(l string) string {
			name := exportLine.FindStringSubmatch(l)[1]
			if v, ok := subst[name]; ok {
				return "export " + name + "=" + v
			}
			t.Fatalf("block %d sets %s, which the test does not substitute", i+1, name)
			return l
		})
		marker := fmt.Sprintf("__block_%d_done__", i+1)
		fmt.Fprintf(stdin, "%s\necho %s\n", script, marker)
		var out strings.Builder
		for {
			if !lines.Scan() {
				t.Fatalf("block %d failed:\n%s\n--- output:\n%s", i+1, block, out.String())
			}
			if lines.Text() == marker {
				break
			}
			out.WriteString(lines.Text() + "\n")
		}
		t.Logf("block %d:\n%s--- output:\n%s", i+1, block, out.String())
		switch {
		case strings.Contains(block, "racectl keygen"):
			key := regexp.MustCompile(`\{"id":.*\}`).FindString(out.String())
			if key == "" {
				t.Fatalf("keygen printed no public key line:\n%s", out.String())
			}
			u = startUnit(t, "1", url, key)
			c.waitReady("1")
		case strings.Contains(block, "racectl race start"):
			laps(t, u, 3)
		}
	}
	stdin.Close()
	if err := shell.Wait(); err != nil {
		t.Fatalf("shell: %v", err)
	}

	// What the examples made.
	csvOut, _ := os.ReadFile(filepath.Join(work, "results.csv"))
	if !strings.Contains(string(csvOut), "9512") {
		t.Errorf("results.csv has no 9.512s lap:\n%s", csvOut)
	}
	db, err := bolt.Open(filepath.Join(work, "track1-backup.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("the backup does not open with bbolt: %v", err)
	}
	db.Close()
	if st, err := os.Stat(filepath.Join(work, "results-private.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("export with --contacts: %v %v, want mode 0600", st, err)
	}
}
