package decoded

import (
	"context"
	"fmt"
	"io"
	"strings"

	"go.bug.st/serial"
)

// Serial reaches a decoder on a serial port (RS-232 adapter or a USB
// virtual COM port), 8N1.
//
// A USB decoder may come back under another /dev name after it is
// re-plugged (ttyUSB0 becomes ttyUSB1). Give its USB identity (SerialNumber
// and/or VID/PID) and the port is looked up anew on every open; the
// identity then takes precedence over Path.
type Serial struct {
	// Path of the device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/….
	Path string
	// SerialNumber is the USB serial number of the adapter ("" = any).
	SerialNumber string
	// VID and PID are the USB vendor and product ids in hex, e.g. "0403"
	// and "6001" ("" = any).
	VID, PID string
	// Baud rate the decoder speaks (see Protocol.Baud).
	Baud int
	// RTS sets the RTS line at open; nil leaves the driver default (on).
	// I-Lap needs it off. A pseudo-terminal has no modem lines, so opening
	// one with RTS set fails.
	RTS *bool
}

// WithDefaults fills the serial settings the configuration left open (Baud
// 0, RTS nil) from the protocol's.
func (s Serial) WithDefaults(p Protocol) Serial {
	if s.Baud == 0 {
		s.Baud = p.Baud
	}
	if s.RTS == nil && p.RTS != nil {
		rts := *p.RTS
		s.RTS = &rts
	}
	return s
}

// byUSB reports whether the port is chosen by its USB identity.
func (s Serial) byUSB() bool { return s.SerialNumber != "" || s.VID != "" || s.PID != "" }

// Open finds and opens the port. Reads on it time out after pollInterval
// with (0, nil).
func (s Serial) Open(ctx context.Context) (io.ReadWriteCloser, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if s.Baud <= 0 {
		return nil, "", fmt.Errorf("%w: serial baud rate %d", ErrConfig, s.Baud)
	}
	path, desc := s.Path, s.Path
	if s.byUSB() {
		ports, err := usbSerialPorts()
		if err != nil {
			return nil, "", fmt.Errorf("list serial ports: %w", err)
		}
		p, err := s.pick(ports)
		if err != nil {
			return nil, "", err
		}
		path, desc = p.Name, p.String()
	} else if path == "" {
		return nil, "", fmt.Errorf("%w: serial port has neither a path nor a USB identity", ErrConfig)
	}
	mode := &serial.Mode{BaudRate: s.Baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}
	if s.RTS != nil {
		// Set at open rather than after, so the decoder sees as short an
		// RTS pulse as the OS allows.
		mode.InitialStatusBits = &serial.ModemOutputBits{RTS: *s.RTS, DTR: true}
	}
	port, err := serial.Open(path, mode)
	if err != nil {
		return nil, "", fmt.Errorf("open serial %s at %d baud: %w", path, s.Baud, err)
	}
	if err := port.SetReadTimeout(pollInterval); err != nil {
		port.Close()
		return nil, "", fmt.Errorf("set read timeout on %s: %w", path, err)
	}
	return port, desc, nil
}

// usbPort is one USB serial port as the enumerator reports it.
type usbPort struct {
	Name, VID, PID, SerialNumber string
}

func (p usbPort) String() string {
	return fmt.Sprintf("%s (USB %s:%s serial %s)", p.Name, p.VID, p.PID, p.SerialNumber)
}

// pick chooses the one port matching s's USB identity.
func (s Serial) pick(ports []usbPort) (usbPort, error) {
	var found []usbPort
	for _, p := range ports {
		if (s.SerialNumber == "" || p.SerialNumber == s.SerialNumber) &&
			(s.VID == "" || strings.EqualFold(p.VID, s.VID)) &&
			(s.PID == "" || strings.EqualFold(p.PID, s.PID)) {
			found = append(found, p)
		}
	}
	want := fmt.Sprintf("USB serial port vid %q pid %q serial %q", s.VID, s.PID, s.SerialNumber)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		names := make([]string, len(ports))
		for i, p := range ports {
			names[i] = p.String()
		}
		return usbPort{}, fmt.Errorf("no %s among %d USB serial ports [%s]", want, len(ports), strings.Join(names, ", "))
	}
	names := make([]string, len(found))
	for i, p := range found {
		names[i] = p.String()
	}
	return usbPort{}, fmt.Errorf("%w: %s is ambiguous, it matches %s; give the serial number", ErrConfig, want, strings.Join(names, ", "))
}
