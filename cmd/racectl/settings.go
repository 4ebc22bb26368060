package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pitwall/internal/jsonconf"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// envFunc reads an environment variable (os.Getenv, or a test's map).
type envFunc func(string) string

// fileSettings is racectl.json: every key optional.
//
//	{"broker": "tcp://192.168.1.10:1883", "username": "admin-alice",
//	 "secret_file": "event.secret", "key": "alice", "tracks": ["1", "2"],
//	 "timeout": "5s"}
//
// Relative paths are relative to the file's directory.
type fileSettings struct {
	Broker       string            `json:"broker"`
	Username     string            `json:"username"`
	PasswordFile string            `json:"password_file"`
	SecretFile   string            `json:"secret_file"`
	Key          string            `json:"key"`
	Tracks       []string          `json:"tracks"`
	Timeout      jsonconf.Duration `json:"timeout"`
}

// settings are the resolved connection settings; each value remembers
// where it came from, for error messages.
type settings struct {
	Broker, Username, Password string
	KeyPath                    string
	Tracks                     []string
	Timeout                    time.Duration

	from map[string]string // setting -> "--broker", "PITWALL_BROKER" or "broker in <file>"
}

// globalFlags are the flags every command accepts.
type globalFlags struct {
	config, broker, username, passwordFile, secretFile, key string
	tracks                                                  string
	timeout                                                 time.Duration
	json, quiet                                             bool
}

const defaultTimeout = 5 * time.Second

// defaultAdminUser is the broker user racectl logs in as with the event
// secret and no username: the one admin name the shipped users list
// (packaging/mosquitto/mqtt-users.txt) has.
const defaultAdminUser = mqtt.AdminUser

// resolveSettings merges flags over environment over the config file and
// validates the result; errors name the flag, variable or file key at fault.
func resolveSettings(g globalFlags, env envFunc, needKey bool) (settings, error) {
	s := settings{from: map[string]string{}}
	var fs fileSettings
	cfgPath, cfgFrom := g.config, "--config"
	if cfgPath == "" {
		cfgPath, cfgFrom = env("PITWALL_CONFIG"), "PITWALL_CONFIG"
	}
	explicit := cfgPath != ""
	if !explicit {
		if base, err := userConfigDir(env); err == nil {
			cfgPath = filepath.Join(base, "pitwall", "racectl.json")
		}
	}
	if cfgPath != "" {
		b, err := os.ReadFile(cfgPath)
		switch {
		case err == nil:
			if err := jsonconf.Decode(b, &fs); err != nil {
				return s, fmt.Errorf("config file %s: %w", cfgPath, err)
			}
		case errors.Is(err, os.ErrNotExist) && !explicit:
		default:
			return s, fmt.Errorf("config file (%s): %w", cfgFrom, err)
		}
	}
	inFile := func(key string) string { return key + " in " + cfgPath }
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(cfgPath), p)
	}
	pick := func(name, flagVal, flagName, envName, fileVal, fileKey string) string {
		switch {
		case flagVal != "":
			s.from[name] = flagName
			return flagVal
		case env(envName) != "":
			s.from[name] = envName
			return env(envName)
		case fileVal != "":
			s.from[name] = inFile(fileKey)
			return fileVal
		}
		return ""
	}
	s.Broker = pick("broker", g.broker, "--broker", "PITWALL_BROKER", fs.Broker, "broker")
	s.Username = pick("username", g.username, "--username", "PITWALL_USERNAME", fs.Username, "username")
	passFile := pick("password", g.passwordFile, "--password-file", "PITWALL_PASSWORD_FILE", rel(fs.PasswordFile), "password_file")
	secretFile := pick("secret", g.secretFile, "--secret-file", "PITWALL_SECRET_FILE", rel(fs.SecretFile), "secret_file")
	key := pick("key", g.key, "--key", "PITWALL_KEY", fs.Key, "key")
	if s.from["key"] == inFile("key") && strings.ContainsRune(key, os.PathSeparator) {
		key = rel(key)
	}
	tracks := pick("tracks", g.tracks, "--tracks", "PITWALL_TRACKS", strings.Join(fs.Tracks, ","), "tracks")

	if s.Broker == "" {
		return s, fmt.Errorf("no broker: pass --broker tcp://host:1883, set PITWALL_BROKER, or put \"broker\" in %s", cfgPath)
	}
	if err := (client.Config{Broker: s.Broker, ClientID: "racectl"}).Validate(); err != nil {
		return s, fmt.Errorf("broker (from %s): %w", s.from["broker"], err)
	}
	if passFile != "" && secretFile != "" {
		return s, fmt.Errorf("a password file (from %s) and an event secret (from %s): set one of them, not both", s.from["password"], s.from["secret"])
	}
	if secretFile != "" {
		secret, err := mqtt.ReadSecret(secretFile)
		if err != nil {
			return s, fmt.Errorf("event secret (from %s): %w", s.from["secret"], err)
		}
		if s.Username == "" {
			s.Username, s.from["username"] = defaultAdminUser, "the default for an event secret"
		}
		user, err := mqtt.ParseUser(s.Username)
		if err != nil || user.Kind != mqtt.KindAdmin {
			return s, fmt.Errorf("username %q (from %s): racectl logs in as an admin, want admin or admin-<name>", s.Username, s.from["username"])
		}
		s.Password = mqtt.DerivePassword(secret, s.Username)
	}
	if passFile != "" {
		b, err := os.ReadFile(passFile)
		if err != nil {
			return s, fmt.Errorf("password file (from %s): %w", s.from["password"], err)
		}
		s.Password = strings.TrimRight(string(b), "\r\n")
		if s.Password == "" {
			return s, fmt.Errorf("password file %s (from %s) is empty", passFile, s.from["password"])
		}
		if s.Username == "" {
			return s, fmt.Errorf("a password (from %s) needs a username: pass --username, set PITWALL_USERNAME or put \"username\" in %s", s.from["password"], cfgPath)
		}
	}
	if tracks != "" {
		for _, t := range strings.Split(tracks, ",") {
			t = strings.TrimSpace(t)
			if err := mqtt.ValidID(t); err != nil {
				return s, fmt.Errorf("tracks (from %s): track %w", s.from["tracks"], err)
			}
			s.Tracks = append(s.Tracks, t)
		}
	}
	switch {
	case g.timeout < 0:
		return s, fmt.Errorf("--timeout %v: want a positive duration", g.timeout)
	case g.timeout > 0:
		s.Timeout = g.timeout
	case env("PITWALL_TIMEOUT") != "":
		d, err := time.ParseDuration(env("PITWALL_TIMEOUT"))
		if err != nil || d <= 0 {
			return s, fmt.Errorf("PITWALL_TIMEOUT %q: want a duration such as 5s", env("PITWALL_TIMEOUT"))
		}
		s.Timeout = d
	case fs.Timeout > 0:
		s.Timeout = time.Duration(fs.Timeout)
	case fs.Timeout < 0:
		return s, fmt.Errorf("config file %s: timeout: want a positive duration", cfgPath)
	default:
		s.Timeout = defaultTimeout
	}
	if needKey {
		dir, err := keyDir(env)
		if err != nil {
			return s, err
		}
		if s.KeyPath, err = resolveKey(dir, key); err != nil {
			if s.from["key"] != "" {
				return s, fmt.Errorf("key (from %s): %w", s.from["key"], err)
			}
			return s, err
		}
	}
	return s, nil
}
