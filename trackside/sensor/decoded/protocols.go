package decoded

import (
	"pitwall/trackside/decoder"
	"pitwall/trackside/decoder/amb"
	"pitwall/trackside/decoder/ilap"
	"pitwall/trackside/decoder/p3"
	"pitwall/trackside/decoder/zround"
)

// Protocols lists the decoder families pitwall reads. Each call returns
// fresh values, so a caller cannot alter another's Hello bytes or RTS.
//
// No Hello may reset a decoder clock: the Source sends it on every reopen,
// and zeroing the clock mid-race would cut the running lap in two (ZRound
// "%I&", I-Lap "\x01%\r\n" belong to race start, not to connecting).
func Protocols() []Protocol {
	rtsOff := false
	return []Protocol{
		{
			// "%C&" asks whether the decoder is there; its ack proves the link.
			Name:  "zround",
			New:   func() decoder.Codec { return zround.New() },
			Hello: zround.Hello(),
			Baud:  zround.Baud,
		},
		{
			// TranX-2 / AMBrc legacy ASCII streams on its own.
			Name: "amb",
			New:  func() decoder.Codec { return amb.New() },
			Baud: amb.Baud,
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
			Name: "p3",
			New:  func() decoder.Codec { return p3.New() },
			Port: p3.Port,
		},
	}
}
