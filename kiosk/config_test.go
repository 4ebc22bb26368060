package kiosk

import (
	"pitwall/kiosk/model"

	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pitwall/display"
)

func TestParseConfig(t *testing.T) {
	const base = `"kiosk": "hall-a", "broker": {"url": "tcp://10.0.0.2:1883"}, "outputs": {"png": "/tmp/board.png"}`
	for _, tc := range []struct {
		name string
		json string
		err  string // "" means valid
		test func(t *testing.T, c Config)
	}{
		{name: "minimal with defaults", json: `{` + base + `}`, test: func(t *testing.T, c Config) {
			if c.Board != BoardCombined || c.Cache != defaultCachePath || c.Title != "pitwall" || time.Duration(c.RotateEvery) != 20*time.Second || c.LogLevel != "info" {
				t.Fatalf("defaults %+v", c)
			}
			if got := c.Boards(); len(got) != 1 || got[0] != BoardCombined {
				t.Fatalf("boards %v", got)
			}
		}},
		{name: "full", json: `{` + base + `, "tracks": ["2","1"], "board": "2", "rotate": ["combined","1"], "rotate_every": "30s",
			"title": "Summit", "focus": "r7", "width": 1280, "height": 720, "cache": "/var/tmp/k.json", "log_level": "debug"}`,
			test: func(t *testing.T, c Config) {
				if got := c.Boards(); strings.Join(got, ",") != "combined,1" {
					t.Fatalf("boards %v, want the rotation", got)
				}
			}},
		{name: "unknown key", json: `{` + base + `, "boards": "combined"}`, err: `unknown key "boards"`},
		{name: "web only, no screen", json: `{"kiosk": "k", "broker": {"url": "tcp://h:1"}, "web": {"listen": ":8081", "public_url": "http://10.0.0.9:8081/"}}`,
			test: func(t *testing.T, c Config) {
				if c.Web.Listen != ":8081" || c.Web.PublicURL != "http://10.0.0.9:8081/" {
					t.Fatalf("web %+v", c.Web)
				}
			}},
		{name: "web listen without port", json: `{` + base + `, "web": {"listen": "localhost"}}`, err: `web.listen: "localhost" must be a listen address`},
		{name: "web on the preview's port", json: `{"kiosk": "k", "broker": {"url": "tcp://h:1"}, "outputs": {"http": ":8080"}, "web": {"listen": ":8080"}}`, err: "web.listen: \":8080\" is also outputs.http"},
		{name: "public url not http", json: `{` + base + `, "web": {"public_url": "pitwall.local"}}`, err: `web.public_url: "pitwall.local" must be an http:// or https:// URL`},
		{name: "public url too long", json: `{` + base + `, "web": {"public_url": "http://x/` + strings.Repeat("a", 200) + `"}}`, err: "web.public_url: 209 bytes, at most 120"},
		{name: "unknown nested key", json: `{"kiosk": "k", "outputs": {"png": "/x.png"}, "broker": {"url": "tcp://h:1", "port": 2}}`, err: `broker.port: unknown key "port"`},
		{name: "missing event secret", json: `{"kiosk": "k", "outputs": {"png": "/x.png"}, "broker": {"url": "tcp://h:1", "secret_file": "/nonexistent/event.secret"}}`, err: "broker.secret_file: read event secret: open /nonexistent/event.secret"},
		{name: "missing password file", json: `{"kiosk": "k", "outputs": {"png": "/x.png"}, "broker": {"url": "tcp://h:1", "username": "u", "password_file": "/nonexistent/pw"}}`, err: "broker.password_file: open /nonexistent/pw"},
		{name: "duplicate key", json: `{` + base + `, "kiosk": "hall-b"}`, err: "kiosk: duplicate key"},
		{name: "negative duration", json: `{` + base + `, "rotate_every": "-20s"}`, err: `rotate_every: "-20s" is negative`},
		{name: "empty file", json: " \n", err: "the file is empty"},
		{name: "wrong type", json: `{` + base + `, "width": "wide"}`, err: "width: want int"},
		{name: "syntax error names the line", json: "{\n" + base + ",\n\"title\": }", err: "line 3"},
		{name: "trailing data", json: `{` + base + `} {}`, err: "trailing data"},
		{name: "no kiosk id", json: `{"broker": {"url": "tcp://h:1"}, "outputs": {"png": "/x.png"}}`, err: "kiosk:"},
		{name: "bad kiosk id", json: `{"kiosk": "Hall A", "broker": {"url": "tcp://h:1"}, "outputs": {"png": "/x.png"}}`, err: "kiosk:"},
		// No broker URL, or "auto": found on the network at start.
		{name: "no broker", json: `{"kiosk": "k", "outputs": {"png": "/x.png"}}`},
		{name: "auto broker", json: `{"kiosk": "k", "broker": {"url": "auto"}, "outputs": {"png": "/x.png"}}`},
		{name: "bad broker", json: `{"kiosk": "k", "broker": {"url": "http://x"}, "outputs": {"png": "/x.png"}}`, err: "broker: "},
		{name: "broker without port", json: `{"kiosk": "k", "broker": {"url": "tcp://h"}, "outputs": {"png": "/x.png"}}`, err: "broker:"},
		{name: "bad track", json: `{` + base + `, "tracks": ["1", "T 2"]}`, err: "tracks[1]"},
		{name: "track twice", json: `{` + base + `, "tracks": ["1", "1"]}`, err: "tracks[1]: \"1\" is listed twice"},
		{name: "board not in tracks", json: `{` + base + `, "tracks": ["1"], "board": "2"}`, err: "board: track \"2\" is not in tracks"},
		{name: "bad board", json: `{` + base + `, "board": "All"}`, err: "board:"},
		{name: "bad rotate entry", json: `{` + base + `, "rotate": ["combined", "X"]}`, err: "rotate[1]"},
		{name: "rotate too fast", json: `{` + base + `, "rotate": ["combined", "1"], "rotate_every": "1s"}`, err: "rotate_every"},
		{name: "bad duration", json: `{` + base + `, "rotate_every": "soon"}`, err: "rotate_every"},
		{name: "width without height", json: `{` + base + `, "width": 1920}`, err: "width, height"},
		{name: "too small", json: `{` + base + `, "width": 10, "height": 10}`, err: "width: 10"},
		{name: "no outputs", json: `{"kiosk": "k", "broker": {"url": "tcp://h:1"}}`, err: "outputs: none"},
		{name: "relative fb", json: `{"kiosk": "k", "broker": {"url": "tcp://h:1"}, "outputs": {"fb": "fb0"}}`, err: "outputs.fb"},
		{name: "relative png", json: `{"kiosk": "k", "broker": {"url": "tcp://h:1"}, "outputs": {"png": "b.png"}}`, err: "outputs.png"},
		{name: "bad http", json: `{"kiosk": "k", "broker": {"url": "tcp://h:1"}, "outputs": {"http": "8080"}}`, err: "outputs.http"},
		{name: "relative cache", json: `{` + base + `, "cache": "cache.json"}`, err: "cache:"},
		{name: "max_tracks", json: `{` + base + `, "max_tracks": 40}`, test: func(t *testing.T, c Config) {
			if c.maxTracks() != 40 {
				t.Fatalf("max_tracks %d", c.maxTracks())
			}
		}},
		{name: "max_tracks default", json: `{` + base + `}`, test: func(t *testing.T, c Config) {
			if c.maxTracks() != model.DefaultMaxTracks {
				t.Fatalf("max_tracks %d, want %d", c.maxTracks(), model.DefaultMaxTracks)
			}
		}},
		{name: "negative max_tracks", json: `{` + base + `, "max_tracks": -1}`, err: "max_tracks: -1 is outside 1..256"},
		{name: "huge max_tracks", json: `{` + base + `, "max_tracks": 5000}`, err: "max_tracks: 5000"},
		{name: "max_tracks below tracks", json: `{` + base + `, "tracks": ["1","2","3"], "max_tracks": 2}`, err: "max_tracks: 2 is fewer than the 3 tracks listed"},
		{name: "max_tracks below boards", json: `{` + base + `, "rotate": ["1","2","3"], "max_tracks": 2}`, err: "max_tracks: 2 is fewer than the 3 tracks named by board and rotate"},
		{name: "bad log level", json: `{` + base + `, "log_level": "loud"}`, err: "log_level"},
		{name: "fonts default", json: `{` + base + `}`, test: func(t *testing.T, c Config) {
			chain, err := c.Fonts.fontChain(nil)
			if err != nil || chain != display.DefaultFontChain() {
				t.Fatalf("fonts %v %v, want the default chain", chain, err)
			}
		}},
		{name: "fonts fallback", json: `{` + base + `, "fonts": {"fallback": ["/f/cjk.ttc#1", "/f/emoji.ttf"]}}`, test: func(t *testing.T, c Config) {
			chain, err := c.Fonts.fontChain(nil)
			if err != nil || strings.Join(chain.Paths(), ",") != "/f/cjk.ttc#1,/f/emoji.ttf" {
				t.Fatalf("fonts %v %v", chain.Paths(), err)
			}
		}},
		{name: "fonts fallback off", json: `{` + base + `, "fonts": {"fallback": []}}`, test: func(t *testing.T, c Config) {
			chain, err := c.Fonts.fontChain(nil)
			if err != nil || len(chain.Paths()) != 0 {
				t.Fatalf("fonts %v %v, want none", chain.Paths(), err)
			}
		}},
		{name: "relative font", json: `{` + base + `, "fonts": {"fallback": ["/f/a.ttf", "cjk.ttc"]}}`, err: `fonts.fallback[1]: font "cjk.ttc": want an absolute path`},
		{name: "bad font member", json: `{` + base + `, "fonts": {"fallback": ["/f/cjk.ttc#JP"]}}`, err: "fonts.fallback[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.json))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.test != nil {
					tc.test(t, c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func TestLoadConfigNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kiosk.json")
	if err := os.WriteFile(p, []byte(`{"kiosk": "k", "outputs": {"png": "/x.png"}, "broker": {"url": "tcp://x:99999"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "broker") {
		t.Fatalf("err %v, want one naming %s and the key", err, p)
	}
}
