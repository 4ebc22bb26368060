package decoded

import (
	"fmt"
	"strings"
	"time"

	"pitwall/trackside/decoder"
)

// Protocol is one decoder family: how to decode its stream and what it
// expects from the host.
type Protocol struct {
	// Name as used in configuration: "zround", "amb", "ilap", "p3".
	Name string
	// New returns a fresh codec; each connection gets its own, so a frame
	// cut by a disconnect cannot merge with the next link's bytes.
	New func() decoder.Codec
	// Hello is written right after every open, nil for none. It must not
	// disturb a running race (no clock reset).
	Hello []byte
	// Start is written after Hello on every open, nil for none: the
	// command without which the decoder reports nothing (ZRound's race
	// start, "%I&"). It may zero the decoder clock, so the Source takes a
	// fresh anchor from the link's first event whatever that event's time
	// (see decoderClock.linkOpened).
	Start []byte
	// Silence is how long the decoder may send nothing at all before its
	// link counts as dead and is reopened, 0 for decoders that may be
	// silent between passings. It is the protocol's to say: P3 and AMB
	// decoders send status every few seconds, so their silence means a
	// dead link that TCP or the USB adapter has not noticed.
	Silence time.Duration
	// Baud is the serial speed the decoder uses, 0 when it has no serial
	// link. RTS is the RTS level it needs, nil for the driver default.
	// Serial.WithDefaults applies them.
	Baud int
	RTS  *bool
	// Port is the TCP port the decoder listens on, 0 when it has none.
	Port int
}

// ProtocolByName finds a protocol of Protocols by name, case-insensitively.
func ProtocolByName(name string) (Protocol, error) {
	var names []string
	for _, p := range Protocols() {
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Protocol{}, fmt.Errorf("unknown decoder protocol %q (known: %s)", name, strings.Join(names, ", "))
}
