package kiosk

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"pitwall/display"
	"pitwall/internal/discovery"
	"pitwall/internal/jsonconf"
	"pitwall/kiosk/model"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// BoardCombined is the board that merges every track into one ranking
// (Config.Board, Config.Rotate); any other board is a track id.
const BoardCombined = model.BoardCombined

// defaultCachePath is where a kiosk keeps its last board across reboots.
const defaultCachePath = "/var/lib/pitwall/kiosk-cache.json"

// Limits of the configured resolution: a 64 px board is useless, and 8K is
// the largest HDMI mode a Pi drives.
const (
	minSide   = 64
	maxWidth  = 7680
	maxHeight = 4320
)

// Config is the kiosk's configuration file (JSON). Every key is checked at
// start; errors name the file and the key, and unknown keys are errors (a
// typo must not silently fall back to a default at a live event).
type Config struct {
	Kiosk  string       `json:"kiosk"`  // kiosk id, used in its status topic
	Broker BrokerConfig `json:"broker"` // MQTT broker
	// Tracks lists the tracks to show, in display order; empty means every
	// track the broker knows (ordered by id).
	Tracks []string `json:"tracks"`
	// MaxTracks bounds how many tracks a kiosk with an empty Tracks list
	// takes (0: model.DefaultMaxTracks). Tracks named by Board and Rotate
	// always have a place; the others are taken first come (the cache's
	// first, at boot) and a new track beyond the limit is ignored.
	MaxTracks int `json:"max_tracks"`
	// Board is "combined" (all tracks merged, the default) or a track id.
	Board string `json:"board"`
	// Rotate, when set, cycles the screen through these boards ("combined"
	// or track ids) every RotateEvery; Board is then ignored.
	Rotate      []string `json:"rotate"`
	RotateEvery Duration `json:"rotate_every"`
	Title       string   `json:"title"` // event title in the header
	// Focus is a racer id kept in the footer whenever they rank below the
	// rows shown (a team's booth screen). Empty: the footer shows the most
	// recent change below the rows shown.
	Focus string `json:"focus"`
	// Width and Height of the frame; 0 takes the framebuffer's mode, or
	// 1920×1080 without a framebuffer output.
	Width   int     `json:"width"`
	Height  int     `json:"height"`
	Outputs Outputs `json:"outputs"`
	// Web serves the public pages (kiosk/web): leaderboard, racers, live
	// race, stream overlay and commentator view.
	Web WebConfig `json:"web"`
	// Cache is the file holding the last inputs, shown at boot before the
	// broker answers.
	Cache    string `json:"cache"`
	LogLevel string `json:"log_level"` // debug | info | warn | error
	Fonts    Fonts  `json:"fonts"`
}

// Fonts configures the fonts names are drawn with (docs/kiosk.md, "Fonts").
type Fonts struct {
	// Fallback lists font files (.ttf, .otf, .ttc; "path#N" for one
	// member of a collection) tried in order for a rune the embedded font
	// lacks. Absent: display.DefaultFallbackFonts; [] turns fallback off.
	Fallback []string `json:"fallback"`
}

// fontChain is the display fallback chain the config asks for.
func (f Fonts) fontChain(log *slog.Logger) (*display.FontChain, error) {
	if f.Fallback == nil {
		return display.DefaultFontChain(), nil
	}
	return display.NewFontChain(f.Fallback, log)
}

// BrokerConfig says how to reach the MQTT broker.
type BrokerConfig = mqtt.Broker

// Outputs are where frames go; at least one is needed.
type Outputs struct {
	FB   string `json:"fb"`   // framebuffer device, /dev/fb0
	PNG  string `json:"png"`  // PNG file rewritten on every change
	HTTP string `json:"http"` // listen address of the HTTP preview, ":8080"
}

// WebConfig configures the public web pages.
type WebConfig struct {
	// Listen is the pages' listen address (":8080"); "" serves none. A
	// kiosk with no screen may serve only these.
	Listen string `json:"listen"`
	// PublicURL is the address spectators reach the pages at (the venue
	// Wi-Fi's, known only on site); the board shows it as a QR code. ""
	// draws no code.
	PublicURL string `json:"public_url"`
}

// Duration is a time.Duration written as "20s" in config files.
type Duration = jsonconf.Duration

// LoadConfig reads and validates a config file. The error names the file
// and the offending key.
func LoadConfig(path string) (Config, error) { return jsonconf.Load(path, ParseConfig) }

// ParseConfig decodes a config over the defaults and validates it.
func ParseConfig(b []byte) (Config, error) {
	c := Config{
		Board:       BoardCombined,
		RotateEvery: Duration(20 * time.Second),
		Title:       "pitwall",
		Cache:       defaultCachePath,
		LogLevel:    "info",
	}
	if err := jsonconf.Decode(b, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate reports the first invalid key.
func (c Config) Validate() error {
	if err := mqtt.ValidID(c.Kiosk); err != nil {
		return fmt.Errorf("kiosk: %w", err)
	}
	// The client id is checked here only for its shape; the real one is
	// made at start when client_id is empty.
	probe := client.Config{Broker: c.Broker.URL, ClientID: c.Broker.ClientID, Username: c.Broker.Username}
	if discovery.Wanted(c.Broker.URL) {
		// Found on the network at start (docs/venue.md): check the rest.
		probe.Broker = discovery.Placeholder
	}
	if probe.ClientID == "" {
		probe.ClientID = "kiosk"
	}
	// A configured password or secret file (and CA file) must be readable
	// now: found missing at start, the kiosk would connect without a
	// password and be refused.
	user, pw, err := c.Broker.Credentials(mqtt.KioskUser(c.Kiosk))
	if err != nil {
		return err
	}
	if _, err := client.TLSConfig(c.Broker.CAFile); err != nil {
		return err
	}
	probe.Username, probe.Password = user, pw
	if err := probe.Validate(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	seen := map[string]bool{}
	for i, t := range c.Tracks {
		if err := mqtt.ValidID(t); err != nil {
			return fmt.Errorf("tracks[%d]: %w", i, err)
		}
		if seen[t] {
			return fmt.Errorf("tracks[%d]: %q is listed twice", i, t)
		}
		seen[t] = true
	}
	if c.MaxTracks < 0 || c.MaxTracks > maxMaxTracks {
		return fmt.Errorf("max_tracks: %d is outside 1..%d (0: the default, %d)", c.MaxTracks, maxMaxTracks, model.DefaultMaxTracks)
	}
	if c.MaxTracks > 0 && len(c.Tracks) > c.MaxTracks {
		return fmt.Errorf("max_tracks: %d is fewer than the %d tracks listed", c.MaxTracks, len(c.Tracks))
	}
	if n := len(c.boardTracks()); len(c.Tracks) == 0 && n > c.maxTracks() {
		return fmt.Errorf("max_tracks: %d is fewer than the %d tracks named by board and rotate", c.maxTracks(), n)
	}
	if err := c.validBoard(c.Board); err != nil {
		return fmt.Errorf("board: %w", err)
	}
	for i, b := range c.Rotate {
		if err := c.validBoard(b); err != nil {
			return fmt.Errorf("rotate[%d]: %w", i, err)
		}
	}
	if d := time.Duration(c.RotateEvery); d < 2*time.Second || d > time.Hour {
		return fmt.Errorf("rotate_every: %v is outside 2s..1h", d)
	}
	if len(c.Title) > 200 {
		return fmt.Errorf("title: %d bytes, at most 200", len(c.Title))
	}
	if len(c.Focus) > 200 {
		return fmt.Errorf("focus: %d bytes, at most 200", len(c.Focus))
	}
	if (c.Width == 0) != (c.Height == 0) {
		return fmt.Errorf("width, height: give both or neither (got %d×%d)", c.Width, c.Height)
	}
	if c.Width != 0 && (c.Width < minSide || c.Width > maxWidth) {
		return fmt.Errorf("width: %d is outside %d..%d", c.Width, minSide, maxWidth)
	}
	if c.Height != 0 && (c.Height < minSide || c.Height > maxHeight) {
		return fmt.Errorf("height: %d is outside %d..%d", c.Height, minSide, maxHeight)
	}
	if len(c.Fonts.Fallback) > 32 {
		return fmt.Errorf("fonts.fallback: %d fonts, at most 32", len(c.Fonts.Fallback))
	}
	for i, p := range c.Fonts.Fallback {
		if _, _, err := display.ParseFontPath(p); err != nil {
			return fmt.Errorf("fonts.fallback[%d]: %w", i, err)
		}
	}
	if c.Outputs.FB == "" && c.Outputs.PNG == "" && c.Outputs.HTTP == "" && c.Web.Listen == "" {
		return errors.New("outputs: none configured (fb, png or http, or web.listen)")
	}
	if c.Web.Listen != "" && !strings.Contains(c.Web.Listen, ":") {
		return fmt.Errorf("web.listen: %q must be a listen address such as :8080", c.Web.Listen)
	}
	if c.Web.Listen != "" && c.Web.Listen == c.Outputs.HTTP {
		return fmt.Errorf("web.listen: %q is also outputs.http; give each its own port", c.Web.Listen)
	}
	if u := c.Web.PublicURL; u != "" {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return fmt.Errorf("web.public_url: %q must be an http:// or https:// URL", u)
		}
		if len(u) > display.MaxQRLength {
			return fmt.Errorf("web.public_url: %d bytes, at most %d (a longer URL makes a QR code too dense to read from a distance)", len(u), display.MaxQRLength)
		}
	}
	if c.Outputs.FB != "" && !filepath.IsAbs(c.Outputs.FB) {
		return fmt.Errorf("outputs.fb: %q must be an absolute device path such as /dev/fb0", c.Outputs.FB)
	}
	if c.Outputs.PNG != "" && !filepath.IsAbs(c.Outputs.PNG) {
		return fmt.Errorf("outputs.png: %q must be an absolute path", c.Outputs.PNG)
	}
	if c.Outputs.HTTP != "" && !strings.Contains(c.Outputs.HTTP, ":") {
		return fmt.Errorf("outputs.http: %q must be a listen address such as :8080", c.Outputs.HTTP)
	}
	if c.Cache == "" || !filepath.IsAbs(c.Cache) {
		return fmt.Errorf("cache: %q must be an absolute path", c.Cache)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// validBoard accepts "combined" or a track id (one of Tracks when Tracks
// is set: a board of a track the kiosk does not subscribe to would stay
// empty forever).
func (c Config) validBoard(b string) error {
	if b == BoardCombined {
		return nil
	}
	if err := mqtt.ValidID(b); err != nil {
		return fmt.Errorf("want %q or a track id: %w", BoardCombined, err)
	}
	if len(c.Tracks) > 0 {
		for _, t := range c.Tracks {
			if t == b {
				return nil
			}
		}
		return fmt.Errorf("track %q is not in tracks %v", b, c.Tracks)
	}
	return nil
}

// maxMaxTracks bounds max_tracks: a board merges at most this many tracks.
const maxMaxTracks = 256

func (c Config) maxTracks() int {
	if c.MaxTracks > 0 {
		return c.MaxTracks
	}
	return model.DefaultMaxTracks
}

// boardTracks lists the distinct track ids named by board and rotate.
func (c Config) boardTracks() []string {
	var out []string
	seen := map[string]bool{BoardCombined: true}
	for _, b := range c.Boards() {
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	return out
}

// Boards lists the boards the screen shows: Rotate, or Board alone.
func (c Config) Boards() []string {
	if len(c.Rotate) > 0 {
		return append([]string(nil), c.Rotate...)
	}
	return []string{c.Board}
}
