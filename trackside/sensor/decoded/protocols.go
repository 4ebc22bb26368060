package decoded

import (
	"time"

	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/amb"
	"pitwall/trackside/decoder/ilap"
	"pitwall/trackside/decoder/p3"
	"pitwall/trackside/decoder/zround"
)

// statusSilence is the silence after which a decoder that sends status
// every few seconds (P3, AMB) counts as gone: several missed status
// messages, never a quiet moment of a race.
const statusSilence = 15 * time.Second

// Protocols lists the decoder families pitwall reads. Each call returns
// fresh values, so a caller cannot alter another's Hello bytes or RTS.
//
// No Hello may reset a decoder clock. A command that does (ZRound "%I&")
// goes in Start, and only when the decoder reports nothing without it: the
// Source then re-anchors the clock on every open, and a lap running across
// the reopen is timed from host arrival times. I-Lap's reset
// ("\x01%\r\n") is not needed for it to report, so it is never sent.
func Protocols() []Protocol {
	rtsOff := false
	return []Protocol{
		{
			// "%C&" asks whether the decoder is there; its ack proves the link.
			// A ZRound decoder reports detections only between the host's
			// race start "%I&" and stop "%F&", and forgets a start when it
			// is powered down (a USB-powered one on every unplug): the start
			// is sent on every open, not once per race, because pitwall's
			// races are the engine's, on the host timeline, while the
			// decoder just has to keep reporting.
			Name:  "zround",
			New:   func() decoder.Codec { return zround.New() },
			Hello: zround.Hello(),
			Start: zround.StartRace(),
			Baud:  zround.Baud,
		},
		{
			// TranX-2 / AMBrc legacy ASCII streams on its own, status
			// included.
			Name:    "amb",
			New:     func() decoder.Codec { return amb.New() },
			Baud:    amb.Baud,
			Silence: statusSilence,
		},
		{
			// The I-Lap USB virtual COM port needs RTS off to talk.
			Name: "ilap",
			New:  func() decoder.Codec { return ilap.New() },
			Baud: ilap.Baud,
			RTS:  &rtsOff,
		},
		{
			// P3 decoders stream passings and status to any client.
			Name:    "p3",
			New:     func() decoder.Codec { return p3.New() },
			Port:    p3.Port,
			Silence: statusSilence,
		},
	}
}
