package decoded

import (
	"strings"
	"testing"
	"time"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/amb"
	"pitwall/trackside/decoder/ilap"
	"pitwall/trackside/decoder/p3"
	"pitwall/trackside/decoder/zround"
)

// TestProtocolsDecodeTheirOwnPassings checks every registered protocol is
// wired to the codec of its name: a passing in that protocol's wire form
// decodes to the transponder and time it was encoded with.
func TestProtocolsDecodeTheirOwnPassings(t *testing.T) {
	const at = 107187 * time.Millisecond
	tests := []struct {
		name   string
		wire   []byte
		wantTx string
		want   time.Duration
	}{
		{"zround", zround.EncodePassing(3, at), "3", at},
		{"amb", amb.EncodePassing(1234567, at, 12, 80), "1234567", at},
		{"ilap", ilap.EncodePassing("01", 2097152, at), "2097152", at},
		{"p3", p3.EncodePassing(p3.Passing{Number: 1, Transponder: 4242, RTC: 1_700_000_000*time.Second + at}), "4242", 1_700_000_000*time.Second + at},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ProtocolByName(strings.ToUpper(tt.name))
			if err != nil {
				t.Fatal(err)
			}
			events, rejects := p.New().Feed(tt.wire)
			if len(rejects) != 0 || len(events) != 1 {
				t.Fatalf("Feed(%q) = %v, %v; want one passing", tt.wire, events, rejects)
			}
			ev := events[0]
			if ev.Kind != decoder.Passing || ev.Transponder != tt.wantTx || ev.Time != tt.want {
				t.Fatalf("decoded %+v, want passing of %s at %v", ev, tt.wantTx, tt.want)
			}
		})
	}
}

func TestProtocolDefaults(t *testing.T) {
	tests := []struct {
		name      string
		baud      int
		rtsOff    bool
		port      int
		withHello bool
		start     string
	}{
		{"zround", zround.Baud, false, 0, true, "%I&"},
		{"amb", amb.Baud, false, 0, false, ""},
		{"ilap", ilap.Baud, true, 0, false, ""},
		{"p3", 0, false, p3.Port, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ProtocolByName(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Baud != tt.baud || p.Port != tt.port || (p.RTS != nil && !*p.RTS) != tt.rtsOff || (len(p.Hello) > 0) != tt.withHello || string(p.Start) != tt.start {
				t.Fatalf("%s = baud %d port %d rts %v hello %q start %q", tt.name, p.Baud, p.Port, p.RTS, p.Hello, p.Start)
			}
		})
	}
}

func TestProtocolByNameUnknown(t *testing.T) {
	_, err := ProtocolByName("tranx9000")
	if err == nil || !strings.Contains(err.Error(), "tranx9000") || !strings.Contains(err.Error(), "zround") {
		t.Fatalf("ProtocolByName(unknown) = %v; want an error naming it and the known ones", err)
	}
}

func TestProtocolsAreFresh(t *testing.T) {
	a, _ := ProtocolByName("zround")
	a.Hello[0] = 'X'
	b, _ := ProtocolByName("zround")
	if b.Hello[0] != '%' {
		t.Fatal("changing one Protocol's Hello changed the registry")
	}
}
