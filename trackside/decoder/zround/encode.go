package zround

import "time"

// Host commands. Each call returns a fresh slice the caller may keep.

// Hello asks the decoder whether it is there; it answers with an ack.
func Hello() []byte { return []byte("%C&") }

// StartRace starts the race: the decoder zeroes its clock and reports
// detections from then on, until StopRace or a power loss. A decoder that
// has not had it says nothing, so the decoded Source sends it every time
// the link opens (see decoded.Protocols).
func StartRace() []byte { return []byte("%I&") }

// StopRace stops the race: the decoder sends no more detections.
func StopRace() []byte { return []byte("%F&") }

// Decoder-side frames, for simulators and tests.

// EncodeAck returns the decoder's ack frame.
func EncodeAck() []byte { return []byte("%A&") }

// EncodeClock returns a clock-sync frame for decoder time t, truncated to
// whole milliseconds; a negative t is sent as 0 since the clock cannot be
// negative.
func EncodeClock(t time.Duration) []byte {
	b := make([]byte, 0, 20)
	b = append(b, "%T"...)
	b = appendHex(b, millis(t), 1)
	return append(b, frameEnd)
}

// EncodePassing returns a detection frame in the comma form with uppercase
// hex: transponder tx (at least two digits, "%L03,..."), decoder time t
// truncated to whole milliseconds (negative t is sent as 0).
func EncodePassing(tx uint32, t time.Duration) []byte {
	b := make([]byte, 0, 30)
	b = append(b, "%L"...)
	b = appendHex(b, uint64(tx), 2)
	b = append(b, ',')
	b = appendHex(b, millis(t), 1)
	return append(b, frameEnd)
}

func millis(t time.Duration) uint64 {
	if t < 0 {
		return 0
	}
	return uint64(t / time.Millisecond)
}

// appendHex appends v in uppercase hex, zero-padded to at least minDigits.
func appendHex(b []byte, v uint64, minDigits int) []byte {
	const digits = "0123456789ABCDEF"
	var tmp [16]byte
	i := len(tmp)
	for v > 0 || len(tmp)-i < minDigits {
		i--
		tmp[i] = digits[v&0xF]
		v >>= 4
	}
	return append(b, tmp[i:]...)
}
