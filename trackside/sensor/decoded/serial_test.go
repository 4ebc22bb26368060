package decoded

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSerialPick(t *testing.T) {
	ports := []usbPort{
		{Name: "/dev/ttyUSB0", VID: "0403", PID: "6001", SerialNumber: "A1"},
		{Name: "/dev/ttyUSB1", VID: "0403", PID: "6001", SerialNumber: "B2"},
		{Name: "/dev/ttyACM0", VID: "2341", PID: "0043", SerialNumber: "C3"},
	}
	tests := []struct {
		name    string
		s       Serial
		want    string
		wantErr string
		config  bool
	}{
		{"serial number finds the re-plugged adapter", Serial{SerialNumber: "B2"}, "/dev/ttyUSB1", "", false},
		{"vid/pid match is case-insensitive", Serial{VID: "2341", PID: "0043"}, "/dev/ttyACM0", "", false},
		{"identity beats a stale path", Serial{Path: "/dev/ttyUSB0", SerialNumber: "C3"}, "/dev/ttyACM0", "", false},
		{"serial number and vid must both match", Serial{SerialNumber: "A1", VID: "2341"}, "", "no USB serial port", false},
		{"absent adapter is not found (yet)", Serial{SerialNumber: "Z9"}, "", "no USB serial port", false},
		{"two identical adapters are ambiguous", Serial{VID: "0403"}, "", "ambiguous", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.pick(ports)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("pick = %v, %v; want error containing %q", got, err, tt.wantErr)
				}
				if errors.Is(err, ErrConfig) != tt.config {
					t.Fatalf("error %v: ErrConfig=%v, want %v", err, errors.Is(err, ErrConfig), tt.config)
				}
				return
			}
			if err != nil || got.Name != tt.want {
				t.Fatalf("pick = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestSerialOpenRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		s    Serial
	}{
		{"no baud rate", Serial{Path: "/dev/ttyUSB0"}},
		{"neither path nor identity", Serial{Baud: 9600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rwc, _, err := tt.s.Open(context.Background())
			if err == nil {
				rwc.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Open error %v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestSerialOpenMissingDeviceIsRetryable(t *testing.T) {
	_, _, err := Serial{Path: "/dev/pitwall-no-such-tty", Baud: 9600}.Open(context.Background())
	if err == nil || errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "/dev/pitwall-no-such-tty") {
		t.Fatalf("Open of a missing device = %v; want a retryable error naming the path", err)
	}
}

func TestSerialWithDefaults(t *testing.T) {
	off := false
	p := Protocol{Name: "ilap", Baud: 9600, RTS: &off}
	s := Serial{Path: "/dev/ttyACM0"}.WithDefaults(p)
	if s.Baud != 9600 || s.RTS == nil || *s.RTS {
		t.Fatalf("WithDefaults = %+v, want baud 9600 and RTS off", s)
	}
	*s.RTS = true
	if *p.RTS {
		t.Fatal("WithDefaults shares the protocol's RTS setting")
	}
	on := true
	kept := Serial{Path: "/dev/ttyACM0", Baud: 19200, RTS: &on}.WithDefaults(p)
	if kept.Baud != 19200 || !*kept.RTS {
		t.Fatalf("WithDefaults overrode explicit settings: %+v", kept)
	}
}
