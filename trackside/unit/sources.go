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
	var out []crossing.Source
	for i, s := range u.cfg.Sources {
		src, err := u.buildSource(s, log)
		if err != nil {
			return nil, fmt.Errorf("sources[%d] (%s): %w", i, s.Name, err)
		}
		out = append(out, src)
	}
	return out, nil
}

func (u *Unit) buildSource(s SourceSpec, log *slog.Logger) (crossing.Source, error) {
	switch s.Type {
	case "serial", "tcp":
		proto, err := decoded.ProtocolByName(s.Protocol)
		if err != nil {
			return nil, err
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
		cfg := decoded.Config{Line: s.Line, Debounce: time.Duration(s.Debounce), Logger: log}
		if s.Protocol == "p3" || s.Protocol == "amb" {
			// These decoders send status every few seconds: a link silent for
			// 15 s is dead even if TCP or the USB adapter has not noticed.
			cfg.Silence = 15 * time.Second
		}
		return decoded.New(s.Name, tr, proto, cfg), nil
	case "gpio":
		// Kernel debounce is off unless asked for: with it, the kernel stamps
		// the event in a workqueue once the line has been stable, a jiffy-
		// granular delay (4 ms steps at HZ=250) that would leak into lap
		// times. Without it the stamp is taken in the interrupt handler and
		// the software hold-off (and the race's minimum lap) absorb chatter.
		debounce := time.Duration(s.Debounce)
		if debounce == 0 {
			debounce = -1
		}
		cfg := gpio.Config{ChipLabel: s.ChipLabel, ActiveLow: s.ActiveLow, Debounce: debounce,
			HoldOff: time.Duration(s.HoldOff), Logger: log}
		for _, l := range s.Lines {
			cfg.Lines = append(cfg.Lines, gpio.LineConfig{Line: l.Line, Offsets: l.Offsets})
		}
		return gpio.New(s.Name, &chipByLabel{label: s.ChipLabel}, cfg)
	case "sim":
		cfg := sim.Config{Line: s.Line, Cars: sim.RandomCars(s.Cars, s.Seed), Speed: s.Speed, OffTrack: s.OffTrack,
			Chatter: s.Chatter, Seed: s.Seed, Logger: log}
		cfg.OnOffTrack = func(string) {
			select {
			case u.offTrack <- struct{}{}:
			default:
			}
		}
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
