package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pitwall/mqtt"
)

// TestMain lets the test binary act as a second racectl process taking
// sequence numbers (TestSequenceConcurrentProcesses).
func TestMain(m *testing.M) {
	if path := os.Getenv("RACECTL_TEST_SEQ_FILE"); path != "" {
		n, _ := strconv.Atoi(os.Getenv("RACECTL_TEST_SEQ_COUNT"))
		s := &SeqFile{Path: path} // no clock: numbers go up by one, so a reuse would show
		for range n {
			v, err := s.Next()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Println(v)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Four processes take numbers from one sequence file at once: no number
// is handed out twice, and the file ends at the highest.
func TestSequenceConcurrentProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alice.seq")
	const procs, each = 4, 100
	outs := make([]bytes.Buffer, procs)
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^$")
		cmds[i].Env = append(os.Environ(), "RACECTL_TEST_SEQ_FILE="+path, "RACECTL_TEST_SEQ_COUNT="+strconv.Itoa(each))
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], os.Stderr
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint64]int{}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		var prev uint64
		for _, f := range strings.Fields(outs[i].String()) {
			v, _ := strconv.ParseUint(f, 10, 64)
			if v <= prev {
				t.Fatalf("process %d: %d after %d", i, v, prev)
			}
			prev = v
			if j, dup := seen[v]; dup {
				t.Fatalf("number %d handed to processes %d and %d", v, j, i)
			}
			seen[v] = i
		}
	}
	if len(seen) != procs*each {
		t.Fatalf("%d numbers, want %d", len(seen), procs*each)
	}
	last, err := (&SeqFile{Path: path}).Last()
	if err != nil || last != procs*each {
		t.Fatalf("file says %d (%v), want %d", last, err, procs*each)
	}
}

// The number survives the process (a new SeqFile continues above it), is
// at least the clock in ms, and a damaged file is an error, not a guess.
func TestSequenceSurvivesAndNeverRepeats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alice.seq")
	clock := time.UnixMilli(5000)
	s := &SeqFile{Path: path, Now: func() time.Time { return clock }}
	a, _ := s.Next()
	b, _ := s.Next()
	if a != 5000 || b != 5001 {
		t.Fatalf("first numbers %d, %d; want 5000, 5001 (clock in ms, then +1)", a, b)
	}
	clock = time.UnixMilli(10) // the clock went back: numbers still go up
	again := &SeqFile{Path: path, Now: func() time.Time { return clock }}
	if c, err := again.Next(); err != nil || c != 5002 {
		t.Fatalf("after a restart: %d %v, want 5002", c, err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Next(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "garbage" {
		t.Fatalf("a damaged file was overwritten: %q", b)
	}
}

// Every command this build knows has a racectl subcommand.
func TestEveryCommandHasASubcommand(t *testing.T) {
	have := map[string]bool{}
	for _, c := range commands {
		if _, ok := mqtt.Commands[c.name]; !ok {
			t.Errorf("racectl %s sends %q, which is not in mqtt.Commands", c.path, c.name)
		}
		have[c.name] = true
	}
	for name := range mqtt.Commands {
		if !have[name] {
			t.Errorf("no racectl subcommand for %s", name)
		}
	}
}

// Distinct event secrets, to tell which one a password was derived from.
const (
	fileSecret = "file-secret-0123456789abcdef0123456789"
	envSecret  = "env-secret-0123456789abcdef0123456789"
	flagSecret = "flag-secret-0123456789abcdef0123456789"
)

// Settings come from flags over environment over the config file; errors
// name the flag, variable or file key at fault.
func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "pitwall")
	os.MkdirAll(filepath.Join(cfgDir, "racectl"), 0o700)
	os.WriteFile(filepath.Join(cfgDir, "racectl", "alice.key"), nil, 0o600)
	os.WriteFile(filepath.Join(cfgDir, "pass"), []byte("from-file\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "envpass"), []byte("from-env"), 0o600)
	cfg := filepath.Join(cfgDir, "racectl.json")
	os.WriteFile(cfg, []byte(`{"broker": "tcp://file:1883", "username": "admin-file", "password_file": "pass", "tracks": ["1","2"], "timeout": "7s"}`), 0o600)
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	get := func(k string) string { return env[k] }

	s, err := resolveSettings(globalFlags{}, get, true)
	if err != nil || s.Broker != "tcp://file:1883" || s.Username != "admin-file" || s.Password != "from-file" ||
		strings.Join(s.Tracks, ",") != "1,2" || s.Timeout != 7*time.Second || filepath.Base(s.KeyPath) != "alice.key" {
		t.Fatalf("from the file: %+v %v", s, err)
	}
	env["PITWALL_BROKER"], env["PITWALL_USERNAME"], env["PITWALL_PASSWORD_FILE"] = "tcp://env:1883", "admin-env", filepath.Join(dir, "envpass")
	s, err = resolveSettings(globalFlags{}, get, true)
	if err != nil || s.Broker != "tcp://env:1883" || s.Username != "admin-env" || s.Password != "from-env" {
		t.Fatalf("env over the file: %+v %v", s, err)
	}
	s, err = resolveSettings(globalFlags{broker: "tcp://flag:1883", username: "admin-flag", timeout: time.Second}, get, true)
	if err != nil || s.Broker != "tcp://flag:1883" || s.Username != "admin-flag" || s.Timeout != time.Second {
		t.Fatalf("flags over env: %+v %v", s, err)
	}

	// The event secret: flags over environment over the file; the
	// password is derived for the user, who defaults to admin.
	os.WriteFile(filepath.Join(cfgDir, "event.secret"), []byte(fileSecret+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "env.secret"), []byte(envSecret), 0o600)
	os.WriteFile(filepath.Join(dir, "flag.secret"), []byte(flagSecret), 0o600)
	os.WriteFile(cfg, []byte(`{"broker": "tcp://file:1883", "secret_file": "event.secret"}`), 0o600)
	env = map[string]string{"XDG_CONFIG_HOME": dir}
	s, err = resolveSettings(globalFlags{}, get, true)
	if err != nil || s.Username != "admin" || s.Password != mqtt.DerivePassword([]byte(fileSecret), "admin") {
		t.Fatalf("secret from the file: %+v %v", s, err)
	}
	env["PITWALL_SECRET_FILE"], env["PITWALL_USERNAME"] = filepath.Join(dir, "env.secret"), "admin-env"
	s, err = resolveSettings(globalFlags{}, get, true)
	if err != nil || s.Username != "admin-env" || s.Password != mqtt.DerivePassword([]byte(envSecret), "admin-env") {
		t.Fatalf("secret from env over the file: %+v %v", s, err)
	}
	s, err = resolveSettings(globalFlags{secretFile: filepath.Join(dir, "flag.secret"), username: "admin-flag"}, get, true)
	if err != nil || s.Username != "admin-flag" || s.Password != mqtt.DerivePassword([]byte(flagSecret), "admin-flag") {
		t.Fatalf("secret from the flag over env: %+v %v", s, err)
	}

	for _, tc := range []struct {
		name string
		g    globalFlags
		env  map[string]string
		file string
		want string
	}{
		{"bad broker in env", globalFlags{}, map[string]string{"PITWALL_BROKER": "localhost"}, "", "broker (from PITWALL_BROKER)"},
		{"bad broker flag", globalFlags{broker: "http://x:1"}, nil, "", "broker (from --broker)"},
		{"bad broker in file", globalFlags{}, nil, `{"broker": "tcp://nohost"}`, "broker in " + cfg},
		{"unknown key in file", globalFlags{}, nil, `{"brokr": "tcp://x:1"}`, `unknown key "brokr"`},
		{"bad timeout in file", globalFlags{}, nil, `{"broker": "tcp://x:1", "timeout": 5}`, cfg + ": timeout"},
		{"missing password file", globalFlags{}, map[string]string{"PITWALL_PASSWORD_FILE": "/nonexistent/pass"}, `{"broker": "tcp://x:1", "username": "u"}`, "password file (from PITWALL_PASSWORD_FILE)"},
		{"password without user", globalFlags{broker: "tcp://x:1", passwordFile: filepath.Join(dir, "envpass")}, nil, "{}", "needs a username"},
		{"no broker", globalFlags{}, nil, "{}", "no broker"},
		{"missing secret file", globalFlags{broker: "tcp://x:1"}, map[string]string{"PITWALL_SECRET_FILE": "/nonexistent/event.secret"}, "{}", "event secret (from PITWALL_SECRET_FILE): read event secret: open /nonexistent/event.secret"},
		{"short secret in file", globalFlags{broker: "tcp://x:1"}, nil, `{"secret_file": "pass"}`, "event secret (from secret_file in " + cfg + "): " + filepath.Join(cfgDir, "pass") + ": event secret of 9 characters"},
		{"secret and password", globalFlags{broker: "tcp://x:1", secretFile: filepath.Join(dir, "flag.secret")}, map[string]string{"PITWALL_PASSWORD_FILE": filepath.Join(dir, "envpass")}, "{}", "a password file (from PITWALL_PASSWORD_FILE) and an event secret (from --secret-file): set one of them, not both"},
		{"secret for a trackside user", globalFlags{broker: "tcp://x:1", secretFile: filepath.Join(dir, "flag.secret"), username: "trackside-1"}, nil, "{}", `username "trackside-1" (from --username): racectl logs in as an admin`},
		{"bad track", globalFlags{broker: "tcp://x:1", tracks: "1,Two"}, nil, "{}", "tracks (from --tracks)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(cfg, []byte(tc.file), 0o600)
			if tc.file == "" {
				os.Remove(cfg)
			}
			e := map[string]string{"XDG_CONFIG_HOME": dir}
			for k, v := range tc.env {
				e[k] = v
			}
			_, err := resolveSettings(tc.g, func(k string) string { return e[k] }, true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// keygen writes a 0600 key once and refuses to overwrite it; racectl
// refuses a key file others may read.
func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string { return map[string]string{"XDG_CONFIG_HOME": dir}[k] }
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"keygen", "--id", "alice", "--role", "admin"}, env, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	path := filepath.Join(dir, "pitwall", "racectl", "alice.key")
	k, err := loadKey(path)
	if err != nil || k.ID != "alice" || k.Role != mqtt.RoleAdmin || !strings.Contains(out.String(), `"id":"alice"`) {
		t.Fatalf("key %+v %v; printed %s", k.Authorized(), err, out.String())
	}
	if strings.Contains(out.String()+errb.String(), string(k.Marshal())) {
		t.Fatal("keygen printed the private key")
	}
	before, _ := os.ReadFile(path)
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"keygen", "--id", "alice"}, env, nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "exists") {
		t.Fatalf("second keygen: exit %d %s", code, errb.String())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("second keygen changed the key file")
	}
	os.Chmod(path, 0o644)
	if _, err := loadKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
}

// Import fills in missing ids deterministically (a second import of the
// same file updates the same racers) and maps refusals to the user's lines.
func TestFillRacerIDs(t *testing.T) {
	in := "display_name,name,email\n\nAnn,Ann Lee,ann@example.com\n\"Bo\nB\",Bo,\nCy,Cy,cy@example.com\n"
	out1, lines, err := fillRacerIDs([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out2, _, _ := fillRacerIDs([]byte(in))
	if !bytes.Equal(out1, out2) {
		t.Fatal("ids differ between two runs on the same file")
	}
	if !strings.HasPrefix(string(out1), "display_name,name,email,id\n") || strings.Count(string(out1), ",r-") != 3 {
		t.Fatalf("output:\n%s", out1)
	}
	// Sent: header 1, Ann 2, Bo 3-4, Cy 5. User's file: Ann 3, Bo 4, Cy 6.
	if lines[2] != 3 || lines[3] != 4 || lines[5] != 6 {
		t.Fatalf("line map %v", lines)
	}
	kept, _, _ := fillRacerIDs([]byte("id,display_name\nr-mine,Ann\n"))
	if !strings.Contains(string(kept), "r-mine,Ann") {
		t.Fatalf("an id given was not kept:\n%s", kept)
	}
}

// Bad flags are refused before anything is sent (no broker is needed).
func TestUsageErrors(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"race", "start"},                       // needs --track
		{"racer", "add", "--name", "Zoë Smith"}, // needs --display
		{"lap", "edit", "--track", "1", "--race", "1-1", "--lap", "0", "--time", "9s"},
		{"lap", "valid", "--track", "1", "--race", "1-1", "--lap", "1", "--valid", "maybe"},
		{"backup", "--track", "1"}, // needs -o
		{"rules", "set", "--max-runs", "three"},
		{"race", "load", "--json", "--track", "1", "stray"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append(args, "--json"), env, strings.NewReader(""), &out, &errb); code != exitUsage ||
			!strings.Contains(out.String(), `"code": "usage"`) {
			t.Errorf("racectl %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
	}
}
