package unit

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/race"
)

// The documented example must load as it is, but for its event secret,
// which a test machine does not have: it is pointed at a real one.
func TestExampleConfigIsValid(t *testing.T) {
	b, err := os.ReadFile("../../docs/trackside.example.json")
	if err != nil {
		t.Fatal(err)
	}
	const pwPath = "/etc/pitwall/event.secret"
	if !strings.Contains(string(b), pwPath) {
		t.Fatalf("example no longer names %s; update this test", pwPath)
	}
	pw := filepath.Join(t.TempDir(), "event.secret")
	os.WriteFile(pw, []byte(mqtt.NewSecret()+"\n"), 0o600)
	path := filepath.Join(t.TempDir(), "trackside.json")
	os.WriteFile(path, []byte(strings.ReplaceAll(string(b), pwPath, pw)), 0o644)
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Track != "1" || len(c.Sources) != 3 || c.Rules.Race().Duration != 3*time.Minute {
		t.Fatalf("example parsed as %+v", c)
	}
}

func TestConfigErrorsNameFileAndKey(t *testing.T) {
	const good = `{"track": "1", "data_dir": "/tmp/x", "sources": [{"type": "sim", "name": "s", "cars": 3}]}`
	if _, err := ParseConfig([]byte(good)); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"track": "Track 1", "data_dir": "/tmp/x", "sources": []}`, "track:"},
		{`{"track": "1", "data_dir": "relative", "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, "data_dir:"},
		{`{"track": "1", "data_dir": "/tmp/x", "sources": []}`, "sources:"},
		{`{"track": "1", "data_dir": "/tmp/x", "sources": [{"type": "serial", "name": "z", "protocol": "zroun", "path": "/dev/ttyUSB0"}]}`, "sources[0].protocol:"},
		{`{"track": "1", "data_dir": "/tmp/x", "sources": [{"type": "tcp", "name": "p", "protocol": "amb", "addr": "nohost"}]}`, "sources[0].addr:"},
		{`{"track": "1", "data_dir": "/tmp/x", "sources": [{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [1,2,3]}]}]}`, "sources[0].lines[0].offsets:"},
		{`{"track": "1", "data_dir": "/tmp/x", "sources": [{"type": "sim", "name": "s", "cars": 3}, {"type": "sim", "name": "s", "cars": 3}]}`, "sources[1].name:"},
		{`{"track": "1", "data_dir": "/tmp/x", "rules": {"duration": "20m"}, "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, "rules.duration:"},
		{`{"track": "1", "data_dir": "/tmp/x", "rules": {"duration": "3 minutes"}, "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, `rules.duration: want a duration such as "300ms" or "3m", got "3 minutes"`},
		{`{"track": "1", "data_dir": "/tmp/x", "rules": {"grace": 10}, "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, `rules.grace: want a duration`},
		{`{"track": "1", "data_dir": "/tmp/x", "rules": {"ranking": "fastest"}, "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, "rules.ranking:"},
		{`{"track": "1", "data_dir": "/tmp/x", "trak": "2", "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, `unknown key "trak"`},
		{`{"track": 1, "data_dir": "/tmp/x"}`, "track: want a string, got 1"},
		{"{\n\"track\": \"1\",\n,}", "line 3"},
		{`{"track": "1", "data_dir": "/tmp/x", "log_level": "loud", "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, "log_level:"},
	} {
		path := filepath.Join(t.TempDir(), "trackside.json")
		os.WriteFile(path, []byte(tc.body), 0o644)
		_, err := LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s\n  error %v\n  want it to name %s and %q", tc.body, err, path, tc.want)
		}
	}
}

func TestRulesOverDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(`{"track": "1", "data_dir": "/tmp/x",
		"rules": {"duration": "5m", "reset_mode": "penalty", "reset_penalty": "2.5s", "max_runs": 2, "enforce_max_runs": true, "crossing_resumes": false},
		"sources": [{"type": "sim", "name": "s", "cars": 3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := race.DefaultConfig()
	want.Duration, want.ResetMode, want.ResetPenalty = 5*time.Minute, race.ResetsPenalty, 2500*time.Millisecond
	want.MaxRuns, want.EnforceMaxRuns, want.CrossingResumes = 2, true, false
	if got := c.Rules.Race(); got != want {
		t.Fatalf("rules %+v\nwant  %+v", got, want)
	}
}

// writeConfig writes body to a fresh trackside.json and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trackside.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// "trackside -check" runs LoadConfig; start runs LoadConfig and then New.
// For every config both must agree: what start refuses, -check refuses,
// naming the same key.
func TestCheckAndStartAgree(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "broker.password")
	os.WriteFile(pw, []byte("secret\n"), 0o600)
	secret := filepath.Join(t.TempDir(), "event.secret")
	os.WriteFile(secret, []byte(mqtt.NewSecret()+"\n"), 0o600)
	gpioSrc := func(extra string) string {
		return `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [17]}]` + extra + `}`
	}
	simSrc := func(extra string) string { return `{"type": "sim", "name": "s", "cars": 3` + extra + `}` }
	for _, tc := range []struct {
		name, sources, broker string
		want                  string // "" means valid
	}{
		{"sim", simSrc(""), "", ""},
		{"sim off_track negative", simSrc(`, "off_track": -0.5`), "", "sources[0].off_track: -0.5 is outside 0..1"},
		{"sim chatter above one", simSrc(`, "chatter": 1.5`), "", "sources[0].chatter: 1.5 is outside 0..1"},
		{"gpio", gpioSrc(`, "debounce": "2ms", "hold_off": "250ms"`), "", ""},
		{"gpio hold_off too long", gpioSrc(`, "hold_off": "20s"`), "", "sources[0]: new gpio source g: hold-off 20s is longer than 10s"},
		{"gpio debounce too long", gpioSrc(`, "debounce": "2s"`), "", "sources[0]: new gpio source g: debounce 2s is longer than 1s"},
		{"gpio offset on two lines", `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [17]}, {"line": 1, "offsets": [17]}]}`,
			"", "sources[0]: new gpio source g: lines[1]: gpio offset 17 already used by timing line 0"},
		{"gpio line twice", `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [17]}, {"line": 0, "offsets": [18]}]}`,
			"", "sources[0]: new gpio source g: lines[1]: timing line 0 configured twice"},
		{"gpio line out of range", `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 16, "offsets": [17]}]}`,
			"", "sources[0].lines[0].line: 16 is outside 0..15"},
		{"decoder", `{"type": "tcp", "name": "p3", "protocol": "p3", "addr": "10.0.0.50", "debounce": "0s"}`, "", ""},
		{"decoder protocol in capitals", `{"type": "serial", "name": "z", "protocol": "ZRound", "path": "/dev/ttyUSB0"}`, "", "sources[0].protocol:"},
		{"broker with password", simSrc(""), `"broker": {"url": "tcp://127.0.0.1:1883", "username": "u", "password_file": "` + pw + `"},`, ""},
		{"broker password file missing", simSrc(""), `"broker": {"url": "tcp://127.0.0.1:1883", "username": "u", "password_file": "/nonexistent/pw"},`,
			"broker.password_file: open /nonexistent/pw: no such file or directory"},
		{"broker password without username", simSrc(""), `"broker": {"url": "tcp://127.0.0.1:1883", "password_file": "` + pw + `"},`,
			"broker: mqtt client: a password needs a username"},
		{"broker keys without url", simSrc(""), `"broker": {"username": "u"},`, "broker.url: empty"},
		{"broker with event secret", simSrc(""), `"broker": {"url": "tcp://127.0.0.1:1883", "secret_file": "` + secret + `"},`, ""},
		// "auto": the broker is found on the network at start (docs/venue.md).
		{"broker auto", simSrc(""), `"broker": {"url": "auto", "secret_file": "` + secret + `"},`, ""},
		{"broker auto, bad secret", simSrc(""), `"broker": {"url": "auto", "secret_file": "` + pw + `"},`, "broker.secret_file: "},
		{"broker bad url", simSrc(""), `"broker": {"url": "http://x", "secret_file": "` + secret + `"},`, "broker: "},
		{"broker event secret missing", simSrc(""), `"broker": {"url": "tcp://127.0.0.1:1883", "secret_file": "/nonexistent/event.secret"},`,
			"broker.secret_file: read event secret: open /nonexistent/event.secret"},
		{"broker event secret too short", simSrc(""), `"broker": {"url": "tcp://127.0.0.1:1883", "secret_file": "` + pw + `"},`,
			"broker.secret_file: " + pw + ": event secret of 6 characters, want at least 32"},
		{"broker secret and password", simSrc(""), `"broker": {"url": "tcp://127.0.0.1:1883", "secret_file": "` + secret + `", "password_file": "` + pw + `"},`,
			"set secret_file or password_file, not both"},
		{"broker ca file missing", simSrc(""), `"broker": {"url": "ssl://127.0.0.1:8883", "secret_file": "` + secret + `", "ca_file": "/nonexistent/ca.crt"},`,
			"broker.ca_file: open /nonexistent/ca.crt"},
		{"broker secret without url", simSrc(""), `"broker": {"secret_file": "` + secret + `"},`, "broker.url: empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeConfig(t, fmt.Sprintf(`{"track": "1", "data_dir": %q, %s "sources": [%s]}`, dir, tc.broker, tc.sources))
			cfg, checkErr := LoadConfig(path) // what -check runs
			startErr := checkErr
			if checkErr == nil {
				var u *Unit
				if u, startErr = New(cfg, Options{Logger: slog.New(slog.DiscardHandler)}); startErr == nil {
					u.Store().Close()
				}
			}
			if (checkErr == nil) != (startErr == nil) {
				t.Fatalf("-check says %v, start says %v", checkErr, startErr)
			}
			switch {
			case tc.want == "" && checkErr != nil:
				t.Fatalf("valid config refused: %v", checkErr)
			case tc.want != "" && (checkErr == nil || !strings.Contains(checkErr.Error(), tc.want) || !strings.Contains(checkErr.Error(), path)):
				t.Fatalf("error %v\n want it to name %s and %q", checkErr, path, tc.want)
			}
		})
	}
}

// A key that does not apply to a source's type is an error naming it, and
// so is every other mistake the file can make; each message names the file
// and the key path.
func TestConfigFileMistakesNameTheKeyPath(t *testing.T) {
	const head = `{"track": "1", "data_dir": "/tmp/x", "sources": [`
	for _, tc := range []struct{ body, want string }{
		{"", "the file is empty"},
		{"\n  \n", "the file is empty"},
		{head + `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [17]}], "protocol": "zzz", "cars": 50}]}`,
			"sources[0].protocol: not a key of a gpio source (it applies to serial, tcp; a gpio source takes active_low, chip_label, debounce, hold_off, lines, name, type)"},
		{head + `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [17]}], "cars": 50}]}`,
			"sources[0].cars: not a key of a gpio source (it applies to sim;"},
		{head + `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "line": 2, "lines": [{"line": 0, "offsets": [17]}]}]}`,
			"sources[0].line: not a key of a gpio source"},
		{head + `{"type": "sim", "name": "s", "cars": 3, "hold_off": "1s"}]}`, "sources[0].hold_off: not a key of a sim source"},
		{head + `{"type": "tcp", "name": "t", "protocol": "p3", "addr": "h", "path": "/dev/ttyUSB0"}]}`, "sources[0].path: not a key of a tcp source (it applies to serial; a tcp source takes addr, debounce, line, name, protocol, type)"},
		{head + `{"type": "sim", "name": "s", "cars": 3}, {"type": "serial", "name": "z", "protocol": "zround", "pth": "/dev/ttyUSB0"}]}`,
			`sources[1].pth: unknown key "pth" (known keys: baud, debounce, line, name, path, pid, protocol, serial_number, type, vid)`},
		{head + `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "ofsets": [17]}]}]}`, `sources[0].lines[0].ofsets: unknown key`},
		{head + `{"type": "sim", "name": "s", "name": "t", "cars": 3}]}`, "sources[0].name: duplicate key"},
		{`{"track": "1", "track": "2", "data_dir": "/tmp/x", "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, "track: duplicate key"},
		{head + `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [17]}], "debounce": "-1s"}]}`,
			`sources[0].debounce: "-1s" is negative`},
		{head + `{"type": "tcp", "name": "t", "protocol": "p3", "addr": "h", "debounce": "-5ms"}]}`, `sources[0].debounce: "-5ms" is negative`},
		{head + `{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [17]}], "hold_off": "0s"}]}`,
			"sources[0].hold_off: 0s: leave it out for the default 300ms"},
		{`{"track": "1", "data_dir": "/tmp/x", "rules": {"grace": "-2s"}, "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, `rules.grace: "-2s" is negative`},
		{`{"track": "1", "data_dir": "/tmp/x", "health_interval": "-30s", "sources": [{"type": "sim", "name": "s", "cars": 3}]}`, `health_interval: "-30s" is negative`},
		{`{"track": "1", "data_dir": "/tmp/x", "broker": {"url": "tcp://h:1", "pasword_file": "/x"}, "sources": [{"type": "sim", "name": "s", "cars": 3}]}`,
			`broker.pasword_file: unknown key "pasword_file"`},
	} {
		path := writeConfig(t, tc.body)
		_, err := LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), "config "+path+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s\n  error %v\n  want it to name %s and %q", tc.body, err, path, tc.want)
		}
	}
}

// Leaving a key out leaves the default to the package that reads the
// input; "0s" turns a decoder's chatter filter off.
func TestSourceDefaultsBelongToTheSensorPackages(t *testing.T) {
	c, err := ParseConfig([]byte(`{"track": "1", "data_dir": "/tmp/x", "sources": [
		{"type": "gpio", "name": "g", "chip_label": "pinctrl-rp1", "lines": [{"line": 0, "offsets": [17]}]},
		{"type": "tcp", "name": "t", "protocol": "p3", "addr": "h", "debounce": "0s"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Sources[0]; s.Debounce != nil || s.HoldOff != nil {
		t.Errorf("gpio source %+v: debounce and hold_off left out must stay unset", s)
	}
	if d := c.Sources[1].Debounce; d == nil || *d != 0 {
		t.Errorf("tcp source debounce %v, want an explicit 0", d)
	}
}

func TestConfigAdminKeys(t *testing.T) {
	base := `{"track":"1","data_dir":"/tmp/x","sources":[{"type":"sim","name":"s","cars":1}],"admin":%s}`
	c, err := ParseConfig([]byte(fmt.Sprintf(base, `{"keys":[{"id":"alice","role":"admin","public_key":"Nps6djsIGGI0lDnhKd930jsooK0xyW3ITLATjGkbcZw="}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Admin.Keys) != 1 || c.Admin.Keys[0].ID != "alice" || len(c.Admin.Keys[0].PublicKey) != 32 {
		t.Fatalf("admin keys %+v", c.Admin.Keys)
	}
	for _, tc := range []struct{ admin, err string }{
		{`{"keys":[{"id":"a","role":"root","public_key":"Nps6djsIGGI0lDnhKd930jsooK0xyW3ITLATjGkbcZw="}]}`, "admin.keys[0].role"},
		{`{"keys":[{"id":"a","role":"admin","public_key":"AAAA"}]}`, "admin.keys[0].public_key"},
		{`{"keys":[{"id":"A b","role":"admin","public_key":"Nps6djsIGGI0lDnhKd930jsooK0xyW3ITLATjGkbcZw="}]}`, "admin.keys[0].id"},
		{`{"keys":[],"clock_window":"1ms"}`, "admin.clock_window"},
	} {
		_, err := ParseConfig([]byte(fmt.Sprintf(base, tc.admin)))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err %v, want %q", tc.admin, err, tc.err)
		}
	}
}
