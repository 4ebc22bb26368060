package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"pitwall/internal/brokertest"
	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
	"pitwall/trackside/unit"
)

// brokers racectl is tested against: the embedded one and a real Mosquitto.
var brokers = []struct {
	name  string
	start func(t testing.TB) string
}{
	{"embedded", func(t testing.TB) string {
		return brokertest.Start(t).URL()
	}},
	{"mosquitto", func(t testing.TB) string { return mosquittotest.Start(t).URL() }},
}

// startUnit runs a trackside that trusts the public key lines given (as
// racectl keygen prints them), without timing inputs: tests feed its
// track crossings as a sensor would. It logs in with the event secret
// of brokertest's brokers (the test Mosquitto ignores credentials).
func startUnit(t testing.TB, trackID, brokerURL string, keyLines ...string) *unit.Unit {
	t.Helper()
	cfg, err := unit.ParseConfig([]byte(fmt.Sprintf(`{
		"track": %q, "data_dir": %q, "broker": {"url": %q, "secret_file": %q},
		"rules": {"duration": "10m", "min_lap": "0s"},
		"sources": [{"type": "tcp", "name": "unused", "protocol": "zround", "addr": "127.0.0.1:1"}],
		"admin": {"keys": [%s]}
	}`, trackID, t.TempDir(), brokerURL, brokertest.SecretFile(t), strings.Join(keyLines, ","))))
	if err != nil {
		t.Fatal(err)
	}
	u, err := unit.New(cfg, unit.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Sources: []crossing.Source{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("unit stopped with: %v", err)
		}
	})
	return u
}

// laps feeds n+1 crossings (n laps once the race runs) to a unit's track.
func laps(t testing.TB, u *unit.Unit, n int) {
	t.Helper()
	for i := 0; i <= n; i++ {
		c := crossing.Crossing{Source: "test", MonoNS: track.MonoNow(), Clock: crossing.ClockHost, Transponder: "7"}
		if err := u.Track().Sink(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// cli runs racectl in-process with an environment of its own; it logs in
// with brokertest's event secret, as admin (racectl's default user).
type cli struct {
	t   testing.TB
	env map[string]string
}

func newCLI(t testing.TB, brokerURL string) *cli {
	dir := t.TempDir()
	return &cli{t: t, env: map[string]string{
		"XDG_CONFIG_HOME": dir, "HOME": dir, "PITWALL_BROKER": brokerURL, "PITWALL_TIMEOUT": "10s",
		"PITWALL_SECRET_FILE": brokertest.SecretFile(t),
	}}
}

func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return c.env[k] }, strings.NewReader(""), &o, &e)
	return o.String(), e.String(), code
}

// ok runs a command that must succeed.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	o, e, code := c.run(args...)
	if code != exitOK {
		c.t.Fatalf("racectl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, o, e)
	}
	return o
}

// okJSON runs a command with --json and decodes its result.
func (c *cli) okJSON(args ...string) result {
	c.t.Helper()
	out := c.ok(append(args, "--json")...)
	var r result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		c.t.Fatalf("racectl %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return r
}

// keygen makes a key in c's config dir and returns the public key line.
func (c *cli) keygen(id, role string) string {
	c.t.Helper()
	line := strings.TrimSpace(c.ok("keygen", "--id", id, "--role", role))
	var k mqtt.AuthorizedKey
	if err := json.Unmarshal([]byte(line), &k); err != nil || k.Validate() != nil {
		c.t.Fatalf("keygen printed %q: %v %v", line, err, k.Validate())
	}
	return line
}

// waitReady waits until the unit answers (it has subscribed).
func (c *cli) waitReady(track string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, _, code := c.run("status", "--track", track, "--timeout", "500ms", "-q")
		if code == exitOK {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("track %s never answered status", track)
		}
	}
}

// The whole admin path through racectl against a running trackside:
// keygen, racers, a race run from the command line with laps from the
// track's sink, corrections, exports, a backup of the running unit and
// the audit log — over the embedded broker and a real Mosquitto.
func TestEndToEnd(t *testing.T) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			url := b.start(t)
			c := newCLI(t, url)
			pub := c.keygen("alice", "admin")
			keyPath := filepath.Join(c.env["XDG_CONFIG_HOME"], "pitwall", "racectl", "alice.key")
			if st, err := os.Stat(keyPath); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("key file %s: %v %v, want mode 0600", keyPath, st, err)
			}
			u := startUnit(t, "1", url, pub)
			c.waitReady("1")

			// Event-wide: no --track, the online tracks are discovered.
			add := c.okJSON("racer", "add", "--name", "Zoë Smith", "--display", "Zoë", "--country", "FR",
				"--email", "zoe@example.com", "--phone", "+33 6 12 34 56 78")
			if !add.OK || add.Target != mqtt.EventTarget || len(add.Tracks) != 1 || add.Tracks[0].Track != "1" {
				t.Fatalf("racer add: %+v", add)
			}
			zoe := add.RacerID
			if err := race.ValidateRacer(race.Racer{ID: zoe, Name: "x"}); err != nil || !strings.HasPrefix(zoe, "r-") {
				t.Fatalf("racer id %q: %v", zoe, err)
			}
			show := c.okJSON("racer", "show", "--id", zoe, "--track", "1")
			var rr mqtt.RacerResult
			json.Unmarshal(show.Tracks[0].Result, &rr)
			if rr.Name != "Zoë" || rr.FullName != "Zoë Smith" || rr.Email != "zoe@example.com" || rr.Country != "FR" {
				t.Fatalf("racer show: %+v", rr)
			}

			c.ok("rules", "set", "--start-mode", "official", "--tracks", "1")
			c.ok("race", "queue", "--track", "1", "--racer", zoe)
			c.ok("race", "load", "--track", "1")
			raceID := strings.TrimSpace(c.ok("status", "--track", "1", "--race-id"))
			if raceID == "" {
				t.Fatal("status --race-id printed nothing after load")
			}
			c.ok("race", "start", "--track", "1")
			laps(t, u, 3)
			c.ok("race", "end", "--track", "1")
			c.ok("race", "submit", "--track", "1")
			c.ok("lap", "edit", "--track", "1", "--race", raceID, "--lap", "2", "--time", "9.512s")

			dir := t.TempDir()
			csvPath, jsonPath, dbPath := filepath.Join(dir, "results.csv"), filepath.Join(dir, "results.json"), filepath.Join(dir, "backup.db")
			out := c.ok("export", "csv", "--track", "1", "-o", csvPath)
			if !strings.Contains(out, "wrote "+csvPath) || !strings.Contains(out, "ROWS") {
				t.Errorf("export csv summary:\n%s", out)
			}
			recs, err := csv.NewReader(mustRead(t, csvPath)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, r := range recs[1:] {
				found = found || (strings.Join(r, ",") != "" && r[0] == raceID && strings.Contains(strings.Join(r, ","), "9512"))
			}
			if !found || bytes.Contains(mustBytes(t, csvPath), []byte("zoe@example.com")) {
				t.Fatalf("CSV export: race %s with the 9.512s lap: %v; public export must not hold the email\n%v", raceID, found, recs)
			}
			exp := c.okJSON("export", "json", "--track", "1", "-o", jsonPath)
			var doc struct {
				Races []struct {
					ID string `json:"id"`
				} `json:"races"`
			}
			if err := json.Unmarshal(mustBytes(t, jsonPath), &doc); err != nil || len(doc.Races) != 1 || doc.Races[0].ID != raceID {
				t.Fatalf("JSON export %+v: %v", doc, err)
			}
			if exp.Tracks[0].File != jsonPath || exp.Tracks[0].Bytes != len(mustBytes(t, jsonPath)) {
				t.Errorf("export json result: %+v", exp.Tracks[0])
			}

			c.ok("backup", "--track", "1", "-o", dbPath)
			if st, err := os.Stat(dbPath); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("backup %v %v: want mode 0600 (it holds contact details)", st, err)
			}
			db, err := bolt.Open(dbPath, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
			if err != nil {
				t.Fatalf("backup does not open with bbolt: %v", err)
			}
			db.Close()
			st, err := store.Open(dbPath, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			var got race.Race
			var ok bool
			st.View(func(tx *store.Tx) (err error) { got, ok, err = tx.Race(raceID); return err })
			st.Close()
			if !ok || got.RacerID != zoe {
				t.Fatalf("backup holds race %s: %v %+v", raceID, ok, got)
			}

			aud := c.okJSON("audit", "--track", "1", "--race", raceID, "--who", "alice")
			var ar mqtt.AuditResult
			json.Unmarshal(aud.Tracks[0].Result, &ar)
			actions := map[string]bool{}
			var seen []string
			for _, e := range ar.Entries {
				seen = append(seen, e.Who+" "+e.Action+" "+e.Target)
				if e.Who != "alice" {
					t.Errorf("audit --who alice returned an entry by %q", e.Who)
				}
				actions[e.Action] = true
			}
			if !actions["edit-lap"] || !actions["start"] || !actions["submit"] {
				t.Errorf("audit of race %s by alice: %v", raceID, seen)
			}
			human := c.ok("audit", "--track", "1", "--race", raceID)
			if !strings.Contains(human, "WHO") || !strings.Contains(human, "edit-lap") {
				t.Errorf("audit table:\n%s", human)
			}
		})
	}
}

// racectl waits for every expected trackside of an event-wide command
// and reports each: two tracksides, --tracks naming them and a third that
// does not exist.
func TestEventCommandReportsEveryTrack(t *testing.T) {
	url := brokers[0].start(t)
	c := newCLI(t, url)
	pub := c.keygen("alice", "admin")
	startUnit(t, "1", url, pub)
	startUnit(t, "2", url, pub)
	c.waitReady("1")
	c.waitReady("2")
	r := c.okJSON("racer", "add", "--display", "Ann", "--tracks", "1,2")
	if len(r.Tracks) != 2 || !r.Tracks[0].OK || !r.Tracks[1].OK || r.Tracks[0].Track != "1" || r.Tracks[1].Track != "2" {
		t.Fatalf("racer add on two tracks: %+v", r)
	}
	st := c.ok("status")
	if !strings.Contains(st, "TRACK") || strings.Count(st, "\n") != 3 {
		t.Errorf("status of two discovered tracks:\n%s", st)
	}
	o, e, code := c.run("racer", "disqualify", "--id", r.RacerID, "--tracks", "1,2,3", "--timeout", "1s", "--json")
	var res result
	json.Unmarshal([]byte(o), &res)
	if code != exitNoReply || res.OK || len(res.Tracks) != 3 || !res.Tracks[0].OK || !res.Tracks[1].OK ||
		res.Tracks[2].Error == nil || res.Tracks[2].Error.Code != "timeout" {
		t.Fatalf("exit %d, %+v\n%s", code, res, e)
	}
}

// With no trackside listening, racectl says which track did not answer
// and what to check.
func TestTimeoutMessage(t *testing.T) {
	url := brokers[0].start(t)
	c := newCLI(t, url)
	c.keygen("alice", "admin")
	_, stderr, code := c.run("race", "start", "--track", "1", "--timeout", "1s")
	if code != exitNoReply || !strings.Contains(stderr, "no reply from track 1 in 1s — check broker credentials and ACL") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	o, _, code := c.run("race", "start", "--track", "1", "--timeout", "1s", "--json")
	var r result
	if err := json.Unmarshal([]byte(o), &r); err != nil || code != exitNoReply || r.OK || r.Tracks[0].Error.Code != "timeout" {
		t.Fatalf("--json: exit %d %v %s", code, err, o)
	}
}

// A refusal is reported with the trackside's code: an official key may
// not add racers.
func TestRefusalReported(t *testing.T) {
	url := brokers[0].start(t)
	c := newCLI(t, url)
	pub := c.keygen("olly", "official")
	startUnit(t, "1", url, pub)
	c.waitReady("1")
	o, _, code := c.run("racer", "add", "--display", "Ann", "--track", "1", "--json")
	var r result
	json.Unmarshal([]byte(o), &r)
	if code != exitRefused || r.OK || r.Tracks[0].Error == nil || r.Tracks[0].Error.Code != string(mqtt.CodeForbidden) {
		t.Fatalf("exit %d: %s", code, o)
	}
}

// The embedded broker, like the venue Mosquitto, lets racectl in with the
// event secret only: without it or with another secret the connection is
// refused and racectl says so, naming the user, before sending anything.
func TestLoginNeedsTheEventSecret(t *testing.T) {
	url := brokers[0].start(t)
	c := newCLI(t, url)
	c.keygen("alice", "admin")
	other := filepath.Join(t.TempDir(), "other.secret")
	os.WriteFile(other, []byte(mqtt.NewSecret()), 0o600)
	for _, tc := range []struct{ name, secretFile, who string }{
		{"anonymous", "", "anonymously"},
		{"another event's secret", other, "as admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.env["PITWALL_SECRET_FILE"] = tc.secretFile
			_, stderr, code := c.run("status", "--track", "1", "--timeout", "1s")
			if code != exitNoReply || !strings.Contains(stderr, "cannot connect to broker "+url+" "+tc.who) {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

func mustBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustRead(t testing.TB, path string) io.Reader { return bytes.NewReader(mustBytes(t, path)) }

// Transponders through racectl: a racer's, set event-wide, binds the race
// loaded for them; race bind changes the loaded race's before the start;
// a transponder no decoder reports is refused before anything is sent.
func TestTransponders(t *testing.T) {
	url := brokers[0].start(t)
	c := newCLI(t, url)
	pub := c.keygen("alice", "admin")
	u := startUnit(t, "1", url, pub)
	c.waitReady("1")
	zoe := strings.TrimSpace(c.ok("racer", "add", "--display", "Zoë", "--tracks", "1", "-q"))
	c.ok("racer", "transponder", "--id", zoe, "--transponder", "1001", "--tracks", "1")
	if show := c.ok("racer", "show", "--id", zoe, "--track", "1"); !regexp.MustCompile(`(?m)^transponder\s+1001$`).MatchString(show) {
		t.Fatalf("racer show:\n%s", show)
	}
	for _, args := range [][]string{
		{"racer", "transponder", "--id", zoe, "--tracks", "1"},
		{"racer", "transponder", "--id", zoe, "--transponder", "car 7", "--tracks", "1"},
		{"race", "bind", "--track", "1"},
		{"race", "bind", "--track", "1", "--transponder", "7", "--unbind"},
	} {
		if _, stderr, code := c.run(args...); code != exitUsage {
			t.Errorf("racectl %s: exit %d, want %d (usage)\n%s", strings.Join(args, " "), code, exitUsage, stderr)
		}
	}

	c.ok("race", "load", "--track", "1", "--racer", zoe)
	if cur := u.Track().Current(); cur.Transponder != "1001" {
		t.Fatalf("loaded race bound to %q, want the racer's 1001", cur.Transponder)
	}
	c.ok("race", "bind", "--track", "1", "--transponder", "2002")
	if cur := u.Track().Current(); cur.Transponder != "2002" || cur.Binding != race.BoundPreset {
		t.Fatalf("after race bind: %q (%s)", cur.Transponder, cur.Binding)
	}
	c.ok("race", "bind", "--track", "1", "--unbind")
	if cur := u.Track().Current(); cur.Transponder != "" {
		t.Fatalf("after race bind --unbind: %q", cur.Transponder)
	}

	csvPath := filepath.Join(t.TempDir(), "racers.csv")
	os.WriteFile(csvPath, []byte("display_name,email,transponder\nAnn,ann@example.com,3003\n"), 0o600)
	c.ok("racer", "import", "--csv", csvPath, "--tracks", "1")
	var found bool
	for _, r := range mustRacers(t, u) {
		found = found || (r.Name == "Ann" && r.Transponder == "3003")
	}
	if !found {
		t.Fatal("imported racer Ann has no transponder 3003")
	}
}

func mustRacers(t testing.TB, u *unit.Unit) []race.Racer {
	t.Helper()
	var rs []race.Racer
	if err := u.Store().View(func(tx *store.Tx) error {
		return tx.ForEachRacer(func(r race.Racer) error { rs = append(rs, r); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return rs
}
