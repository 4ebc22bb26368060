package unit

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"pitwall/internal/jsonconf"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
	"pitwall/trackside/race"
)

// Config is the trackside unit's configuration file (JSON). Every field is
// validated at start; errors name the file and the key.
type Config struct {
	Track     string        `json:"track"`      // track id used in topics
	DataDir   string        `json:"data_dir"`   // where pitwall.db lives
	Broker    BrokerConfig  `json:"broker"`     // MQTT broker
	Rules     RulesConfig   `json:"rules"`      // race rules (defaults: DeepRacer standard)
	Sources   []SourceSpec  `json:"sources"`    // timing inputs
	StatusLED string        `json:"status_led"` // periph pin name ("GPIO23"), empty for none
	LogLevel  string        `json:"log_level"`  // debug | info | warn | error
	Health    Duration      `json:"health_interval"`
	Official  *AutoOfficial `json:"auto_official,omitempty"` // demo only: run races unattended
}

// BrokerConfig says how to reach the MQTT broker.
type BrokerConfig = mqtt.Broker

// SourceSpec is one timing input.
type SourceSpec struct {
	Type string `json:"type"` // gpio | serial | tcp | sim
	Name string `json:"name"`
	Line int    `json:"line"` // timing line for serial/tcp/sim (0 = start/finish)
	// serial and tcp decoders
	Protocol     string   `json:"protocol,omitempty"`      // zround | amb | ilap | p3
	Path         string   `json:"path,omitempty"`          // serial device
	SerialNumber string   `json:"serial_number,omitempty"` // USB serial number: found again after re-plugging
	VID          string   `json:"vid,omitempty"`           // USB vendor id (hex), optional
	PID          string   `json:"pid,omitempty"`           // USB product id (hex), optional
	Baud         int      `json:"baud,omitempty"`
	Addr         string   `json:"addr,omitempty"` // tcp host:port
	Debounce     Duration `json:"debounce,omitempty"`
	// gpio
	ChipLabel string     `json:"chip_label,omitempty"`
	Lines     []GPIOLine `json:"lines,omitempty"`
	ActiveLow bool       `json:"active_low,omitempty"`
	HoldOff   Duration   `json:"hold_off,omitempty"`
	// sim
	Cars     int     `json:"cars,omitempty"`
	Speed    float64 `json:"speed,omitempty"`
	Seed     int64   `json:"seed,omitempty"`
	OffTrack float64 `json:"off_track,omitempty"`
	Chatter  float64 `json:"chatter,omitempty"`
}

// GPIOLine is a timing line made of one or two strips (GPIO offsets).
type GPIOLine struct {
	Line    int   `json:"line"`
	Offsets []int `json:"offsets"`
}

// AutoOfficial runs races by itself (demo): it queues racers, submits races.
type AutoOfficial struct {
	Racers int `json:"racers"` // how many demo racers to create
}

// RulesConfig is race.Config in file form (durations as "3m", "2.5s").
type RulesConfig struct {
	Duration        *Duration `json:"duration,omitempty"`
	StartMode       string    `json:"start_mode,omitempty"`
	Expiry          string    `json:"expiry,omitempty"`
	Grace           *Duration `json:"grace,omitempty"`
	CrossingResumes *bool     `json:"crossing_resumes,omitempty"`
	ResetMode       string    `json:"reset_mode,omitempty"`
	MaxResetsPerLap *int      `json:"max_resets_per_lap,omitempty"`
	ResetPenalty    *Duration `json:"reset_penalty,omitempty"`
	MinLap          *Duration `json:"min_lap,omitempty"`
	MaxRuns         *int      `json:"max_runs,omitempty"`
	EnforceMaxRuns  *bool     `json:"enforce_max_runs,omitempty"`
	Ranking         string    `json:"ranking,omitempty"`
	RankLaps        *int      `json:"rank_laps,omitempty"`
}

// Race turns the file form into race rules over the defaults.
func (r RulesConfig) Race() race.Config {
	c := race.DefaultConfig()
	setD := func(dst *time.Duration, v *Duration) {
		if v != nil {
			*dst = time.Duration(*v)
		}
	}
	setS := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setD(&c.Duration, r.Duration)
	setS((*string)(&c.StartMode), r.StartMode)
	setS((*string)(&c.Expiry), r.Expiry)
	setD(&c.Grace, r.Grace)
	if r.CrossingResumes != nil {
		c.CrossingResumes = *r.CrossingResumes
	}
	setS((*string)(&c.ResetMode), r.ResetMode)
	if r.MaxResetsPerLap != nil {
		c.MaxResetsPerLap = *r.MaxResetsPerLap
	}
	setD(&c.ResetPenalty, r.ResetPenalty)
	setD(&c.MinLap, r.MinLap)
	if r.MaxRuns != nil {
		c.MaxRuns = *r.MaxRuns
	}
	if r.EnforceMaxRuns != nil {
		c.EnforceMaxRuns = *r.EnforceMaxRuns
	}
	setS((*string)(&c.Ranking), r.Ranking)
	if r.RankLaps != nil {
		c.RankLaps = *r.RankLaps
	}
	return c
}

// Duration is a time.Duration written as "300ms", "3m" in config files.
type Duration = jsonconf.Duration

// LoadConfig reads and validates a config file. The error names the file
// and the offending key.
func LoadConfig(path string) (Config, error) { return jsonconf.Load(path, ParseConfig) }

// ParseConfig decodes and validates a config; unknown keys are errors (a
// typo must not silently fall back to a default at a live event).
func ParseConfig(b []byte) (Config, error) {
	c := Config{DataDir: "/var/lib/pitwall", LogLevel: "info", Health: Duration(30 * time.Second)}
	if err := jsonconf.Decode(b, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate reports the first invalid key.
func (c Config) Validate() error {
	if err := mqtt.ValidID(c.Track); err != nil {
		return fmt.Errorf("track: %w", err)
	}
	if c.DataDir == "" || !filepath.IsAbs(c.DataDir) {
		return fmt.Errorf("data_dir: %q must be an absolute path", c.DataDir)
	}
	if c.Broker.URL != "" {
		bc := client.Config{Broker: c.Broker.URL, ClientID: c.Broker.ClientID, Username: c.Broker.Username}
		if bc.ClientID == "" {
			bc.ClientID = "pitwall-trackside-" + c.Track
		}
		if err := bc.Validate(); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
	}
	if err := c.Rules.Race().Validate(); err != nil {
		return fmt.Errorf("rules.%w", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if time.Duration(c.Health) < time.Second {
		return fmt.Errorf("health_interval: %v is shorter than 1s", time.Duration(c.Health))
	}
	if len(c.Sources) == 0 {
		return errors.New("sources: at least one timing input is needed")
	}
	names := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		if err := s.validate(); err != nil {
			return fmt.Errorf("%s.%w", key, err)
		}
		if names[s.Name] {
			return fmt.Errorf("%s.name: %q is used twice", key, s.Name)
		}
		names[s.Name] = true
	}
	if c.Official != nil && (c.Official.Racers < 1 || c.Official.Racers > 10000) {
		return fmt.Errorf("auto_official.racers: %d is outside 1..10000", c.Official.Racers)
	}
	return nil
}

func (s SourceSpec) validate() error {
	if s.Name == "" {
		return errors.New("name: empty")
	}
	if s.Line < 0 || s.Line > 15 {
		return fmt.Errorf("line: %d is outside 0..15", s.Line)
	}
	switch s.Type {
	case "serial", "tcp":
		switch s.Protocol {
		case "zround", "amb", "ilap", "p3":
		default:
			return fmt.Errorf("protocol: %q is not zround, amb, ilap or p3", s.Protocol)
		}
		if s.Type == "serial" && s.Path == "" && s.SerialNumber == "" && s.VID == "" {
			return errors.New("path: a serial source needs path, serial_number or vid/pid")
		}
		if s.Type == "serial" && s.Baud != 0 && (s.Baud < 1200 || s.Baud > 921600) {
			return fmt.Errorf("baud: %d is outside 1200..921600", s.Baud)
		}
		if s.Type == "tcp" && (s.Addr == "" || (!strings.Contains(s.Addr, ":") && s.Protocol != "p3")) {
			return fmt.Errorf("addr: %q must be host:port (the port may be left out for p3: 5403)", s.Addr)
		}
	case "gpio":
		if s.ChipLabel == "" {
			return errors.New("chip_label: empty (pinctrl-bcm2711 on a Pi 4, pinctrl-rp1 on a Pi 5)")
		}
		if len(s.Lines) == 0 {
			return errors.New("lines: at least one timing line")
		}
		for j, l := range s.Lines {
			if len(l.Offsets) < 1 || len(l.Offsets) > 2 {
				return fmt.Errorf("lines[%d].offsets: want 1 or 2 strips, got %d", j, len(l.Offsets))
			}
			for _, o := range l.Offsets {
				if o < 0 || o > 511 {
					return fmt.Errorf("lines[%d].offsets: %d is outside 0..511", j, o)
				}
			}
		}
	case "sim":
		if s.Cars < 1 || s.Cars > 100 {
			return fmt.Errorf("cars: %d is outside 1..100", s.Cars)
		}
		if s.Speed < 0 || s.Speed > 1000 {
			return fmt.Errorf("speed: %v is outside 0..1000", s.Speed)
		}
	default:
		return fmt.Errorf("type: %q is not gpio, serial, tcp or sim", s.Type)
	}
	return nil
}
