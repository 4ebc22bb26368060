package unit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/trackside/race"
)

func TestExampleConfigIsValid(t *testing.T) {
	c, err := LoadConfig("../../docs/trackside.example.json")
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
		{`{"track": 1, "data_dir": "/tmp/x"}`, "track: want string"},
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
