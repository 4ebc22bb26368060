package decoded

import (
	"fmt"
	"strings"

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
