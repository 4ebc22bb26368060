package unit

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"pitwall/trackside/crossing"
	"pitwall/trackside/sensor/decoded"
	"pitwall/trackside/sensor/gpio"
	"pitwall/trackside/sensor/sim"
)

// buildSources makes the timing inputs the config names. Nothing is opened
// here: each source opens its device in Run and retries while it is absent.
func (u *Unit) buildSources(log *slog.Logger) ([]crossing.Source, error) {
	onOffTrack := func(string) {
		select {
		case u.offTrack <- struct{}{}:
		default:
		}
	}
	var out []crossing.Source
	for i, s := range u.cfg.Sources {
		src, err := s.source(log, onOffTrack)
		if err != nil {
			return nil, fmt.Errorf("sources[%d]: %w", i, err)
		}
		out = append(out, src)
	}
	return out, nil
}

// source builds the input s describes. It opens nothing, so Config.Validate
// calls it too and start cannot refuse what -check accepted. The keys a
// config leaves out stay zero here and take the sensor package's default:
// each default has one owner.
func (s SourceSpec) source(log *slog.Logger, onOffTrack func(string)) (crossing.Source, error) {
	switch s.Type {
	case "serial", "tcp":
		proto, err := decoded.ProtocolByName(s.Protocol)
		if err != nil {
			return nil, fmt.Errorf("protocol: %w", err)
		}
		var tr decoded.Transport
		if s.Type == "serial" {
			tr = decoded.Serial{Path: s.Path, SerialNumber: s.SerialNumber, VID: s.VID, PID: s.PID, Baud: s.Baud}.WithDefaults(proto)
		} else {
			addr := s.Addr
			if _, _, err := net.SplitHostPort(addr); err != nil && proto.Port != 0 {
				addr = net.JoinHostPort(addr, strconv.Itoa(proto.Port))
			}
			tr = decoded.TCP{Addr: addr, DialTimeout: 3 * time.Second}
		}
		// Silence (how long the decoder may say nothing) is the
		// protocol's: decoded.Protocol.Silence.
		cfg := decoded.Config{Line: s.Line, Logger: log}
		if s.Debounce != nil {
			cfg.Debounce = time.Duration(*s.Debounce)
			if cfg.Debounce == 0 {
				cfg.Debounce = -1 // "0s" in the file: chatter filter off
			}
		}
		return decoded.New(s.Name, tr, proto, cfg), nil
	case "gpio":
		cfg := gpio.Config{ChipLabel: s.ChipLabel, ActiveLow: s.ActiveLow, Logger: log}
		if s.Debounce != nil {
			cfg.Debounce = time.Duration(*s.Debounce)
		}
		if s.HoldOff != nil {
			cfg.HoldOff = time.Duration(*s.HoldOff)
		}
		for _, l := range s.Lines {
			cfg.Lines = append(cfg.Lines, gpio.LineConfig{Line: l.Line, Offsets: l.Offsets})
		}
		return gpio.New(s.Name, &chipByLabel{label: s.ChipLabel}, cfg)
	case "sim":
		cfg := sim.Config{Line: s.Line, Cars: sim.RandomCars(s.Cars, s.Seed), Speed: s.Speed, OffTrack: s.OffTrack,
			Chatter: s.Chatter, Seed: s.Seed, Logger: log, OnOffTrack: onOffTrack}
		return sim.New(s.Name, cfg)
	}
	return nil, fmt.Errorf("type: %q is not gpio, serial, tcp or sim", s.Type)
}

// chipByLabel opens the GPIO chip on first use, so a unit starts (and says
// "down" in its status) even when the chip is missing, and finds it by
// label each time: Pi 4 and Pi 5 number their chips differently.
type chipByLabel struct{ label string }

func (c *chipByLabel) Request(offsets []int, activeLow bool, debounce time.Duration) (gpio.Lines, error) {
	chip, err := gpio.OpenChip(c.label)
	if err != nil {
		return nil, err
	}
	return chip.Request(offsets, activeLow, debounce)
}
