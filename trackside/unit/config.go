package unit

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"pitwall/internal/discovery"
	"pitwall/internal/jsonconf"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
	"pitwall/trackside/admin"
	"pitwall/trackside/race"
	"pitwall/trackside/sensor/decoded"
	"pitwall/trackside/sensor/gpio"
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
	Storage   StorageConfig `json:"storage"`                 // free-space floor (storage.go)
	Admin     admin.Config  `json:"admin"`                   // keys allowed to sign admin commands (docs/admin.md)
	Console   ConsoleConfig `json:"console"`                 // the officials' console
}

// ConsoleConfig is the trackside's side of the officials' console.
type ConsoleConfig struct {
	// Socket is the Unix socket the console process talks to (mode 0660:
	// the unit's group); "" serves no console.
	Socket string `json:"socket,omitempty"`
	// OfficialsFile holds officials' PINs as "Name: PIN" lines
	// (officials.go); read at start, a missing file is none.
	OfficialsFile string `json:"officials_file,omitempty"`
}

// BrokerConfig says how to reach the MQTT broker.
type BrokerConfig = mqtt.Broker

// SourceSpec is one timing input. Which keys a source takes depends on its
// type: a key of another type is an error in the file (the jsonconf "for"
// tags below), not silently ignored. Defaults are not set here: a key left
// out (zero, or nil for the durations) takes the default of the package
// that reads the input, so each default has one owner (docs/trackside.md
// lists them).
type SourceSpec struct {
	Type string `json:"type" jsonconf:"variant"` // gpio | serial | tcp | sim
	Name string `json:"name"`
	// Line is the timing line of the input's crossings (0 = start/finish);
	// gpio inputs give it per strip group in Lines.
	Line int `json:"line,omitempty" jsonconf:"for=serial|tcp|sim"`
	// serial and tcp decoders
	Protocol     string `json:"protocol,omitempty" jsonconf:"for=serial|tcp"`  // zround | amb | ilap | p3
	Path         string `json:"path,omitempty" jsonconf:"for=serial"`          // serial device
	SerialNumber string `json:"serial_number,omitempty" jsonconf:"for=serial"` // USB serial number: found again after re-plugging
	VID          string `json:"vid,omitempty" jsonconf:"for=serial"`           // USB vendor id (hex), optional
	PID          string `json:"pid,omitempty" jsonconf:"for=serial"`           // USB product id (hex), optional
	Baud         int    `json:"baud,omitempty" jsonconf:"for=serial"`          // 0: the protocol's speed
	Addr         string `json:"addr,omitempty" jsonconf:"for=tcp"`             // host:port
	// Debounce is, for a decoder, the window in which a second passing of
	// the same transponder is chatter (nil: decoded's default, "0s": off);
	// for gpio, the kernel debounce period (nil or "0s": off).
	Debounce *Duration `json:"debounce,omitempty" jsonconf:"for=gpio|serial|tcp"`
	// gpio
	ChipLabel string     `json:"chip_label,omitempty" jsonconf:"for=gpio"`
	Lines     []GPIOLine `json:"lines,omitempty" jsonconf:"for=gpio"`
	ActiveLow bool       `json:"active_low,omitempty" jsonconf:"for=gpio"`
	HoldOff   *Duration  `json:"hold_off,omitempty" jsonconf:"for=gpio"` // nil: gpio.DefaultHoldOff
	// sim
	Cars     int     `json:"cars,omitempty" jsonconf:"for=sim"`
	Speed    float64 `json:"speed,omitempty" jsonconf:"for=sim"`
	Seed     int64   `json:"seed,omitempty" jsonconf:"for=sim"`
	OffTrack float64 `json:"off_track,omitempty" jsonconf:"for=sim"`
	Chatter  float64 `json:"chatter,omitempty" jsonconf:"for=sim"`
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
// and the offending key. It is all that "trackside -check" runs, and start
// runs it too (New validates again), so the two cannot disagree.
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

// Validate reports the first invalid key. It checks everything start
// depends on that does not need the store: the rules as the race engine
// checks them, the broker settings as the MQTT client checks them (and the
// password file is read), and every timing input is built the way New
// builds it (building opens nothing).
func (c Config) Validate() error {
	if err := mqtt.ValidID(c.Track); err != nil {
		return fmt.Errorf("track: %w", err)
	}
	if c.DataDir == "" || !filepath.IsAbs(c.DataDir) {
		return fmt.Errorf("data_dir: %q must be an absolute path", c.DataDir)
	}
	if err := c.validateBroker(); err != nil {
		return err
	}
	if err := c.Rules.Race().Validate(); err != nil {
		return fmt.Errorf("rules.%w", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if err := c.Storage.validate(); err != nil {
		return fmt.Errorf("storage.%w", err)
	}
	if time.Duration(c.Health) < time.Second {
		return fmt.Errorf("health_interval: %v is shorter than 1s", time.Duration(c.Health))
	}
	if len(c.Sources) == 0 {
		return errors.New("sources: at least one timing input is needed")
	}
	names := map[string]bool{}
	discard := slog.New(slog.DiscardHandler)
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		if err := s.validate(); err != nil {
			return fmt.Errorf("%s.%w", key, err)
		}
		if names[s.Name] {
			return fmt.Errorf("%s.name: %q is used twice", key, s.Name)
		}
		names[s.Name] = true
		// The package that reads the input has the last word: whatever it
		// would refuse at start is refused here.
		if _, err := s.source(discard, nil); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	if err := c.Admin.Validate(); err != nil {
		return fmt.Errorf("admin.%w", err)
	}
	if c.Console.Socket != "" && !filepath.IsAbs(c.Console.Socket) {
		return fmt.Errorf("console.socket: %q must be an absolute path", c.Console.Socket)
	}
	if c.Console.OfficialsFile != "" && !filepath.IsAbs(c.Console.OfficialsFile) {
		return fmt.Errorf("console.officials_file: %q must be an absolute path", c.Console.OfficialsFile)
	}
	if _, err := LoadOfficials(c.Console.OfficialsFile); c.Console.OfficialsFile != "" && err != nil {
		return err
	}
	if c.Official != nil && (c.Official.Racers < 1 || c.Official.Racers > 10000) {
		return fmt.Errorf("auto_official.racers: %d is outside 1..10000", c.Official.Racers)
	}
	return nil
}

// validateBroker checks broker.* as the MQTT client will use them. A
// configured password or secret file (and CA file) must be readable now:
// found missing at start, the unit would connect without a password and be
// refused by the broker.
func (c Config) validateBroker() error {
	user, pw, err := c.Broker.Credentials(mqtt.TracksideUser(c.Track))
	if err != nil {
		return err
	}
	if _, err := client.TLSConfig(c.Broker.CAFile); err != nil {
		return err
	}
	if c.Broker.URL == "" {
		if c.Broker.ClientID != "" || c.Broker.Username != "" || c.Broker.PasswordFile != "" || c.Broker.SecretFile != "" || c.Broker.CAFile != "" {
			return errors.New("broker.url: empty, but other broker keys are set (no url means no publishing)")
		}
		return nil
	}
	bc := client.Config{Broker: c.Broker.URL, ClientID: c.Broker.ClientID, Username: user, Password: pw}
	if discovery.Wanted(c.Broker.URL) {
		// "auto": found on the network at start (docs/venue.md).
		bc.Broker = discovery.Placeholder
	}
	if bc.ClientID == "" {
		bc.ClientID = "pitwall-trackside-" + c.Track
	}
	if err := bc.Validate(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	return nil
}

// maxLine is the highest timing line (splits) an input may report.
const maxLine = 15

// validate checks the keys of one source, naming them; the sensor packages
// then check what they build from them (see Config.Validate).
func (s SourceSpec) validate() error {
	if s.Name == "" {
		return errors.New("name: empty")
	}
	if s.Line < 0 || s.Line > maxLine {
		return fmt.Errorf("line: %d is outside 0..%d", s.Line, maxLine)
	}
	switch s.Type {
	case "serial", "tcp":
		if _, err := decoded.ProtocolByName(s.Protocol); err != nil || s.Protocol != strings.ToLower(s.Protocol) {
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
			if l.Line < 0 || l.Line > maxLine {
				return fmt.Errorf("lines[%d].line: %d is outside 0..%d", j, l.Line, maxLine)
			}
			if len(l.Offsets) < 1 || len(l.Offsets) > 2 {
				return fmt.Errorf("lines[%d].offsets: want 1 or 2 strips, got %d", j, len(l.Offsets))
			}
			for _, o := range l.Offsets {
				if o < 0 || o > 511 {
					return fmt.Errorf("lines[%d].offsets: %d is outside 0..511", j, o)
				}
			}
		}
		if s.HoldOff != nil && *s.HoldOff == 0 {
			return fmt.Errorf("hold_off: 0s: leave it out for the default %v", gpio.DefaultHoldOff)
		}
	case "sim":
		if s.Cars < 1 || s.Cars > 100 {
			return fmt.Errorf("cars: %d is outside 1..100", s.Cars)
		}
		if s.Speed < 0 || s.Speed > 1000 {
			return fmt.Errorf("speed: %v is outside 0..1000", s.Speed)
		}
		if s.OffTrack < 0 || s.OffTrack > 1 {
			return fmt.Errorf("off_track: %v is outside 0..1 (a probability per lap)", s.OffTrack)
		}
		if s.Chatter < 0 || s.Chatter > 1 {
			return fmt.Errorf("chatter: %v is outside 0..1 (a probability per crossing)", s.Chatter)
		}
	default:
		return fmt.Errorf("type: %q is not gpio, serial, tcp or sim", s.Type)
	}
	return nil
}
