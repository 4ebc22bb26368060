package ilap

import (
	"strconv"
	"time"
)

// ResetClock returns the host command that zeroes the decoder's clock (and
// selects 7-digit transponder mode); the decoder acks it.
func ResetClock() []byte { return []byte("\x01%\r\n") }

// EncodeAck returns the decoder's ack of a clock reset.
func EncodeAck(decoderID string) []byte {
	b := make([]byte, 0, len(decoderID)+10)
	b = append(b, "\x01%\t"...)
	b = append(b, decoderID...)
	return append(b, "\t0\t0\r\n"...)
}

// EncodePassing returns a passing line as a real I-Lap sends it: the
// transponder zero-padded to 7 digits and the time in seconds with the
// trailing zeros of the millisecond fraction dropped (324.620 s is "324.62",
// 12.000 s is "12"). t is truncated to whole milliseconds; a negative t is
// sent as 0 since the clock cannot be negative. Neither tx nor decoderID is
// validated, so tests can build lines the decoder must reject.
func EncodePassing(decoderID string, tx uint32, t time.Duration) []byte {
	b := make([]byte, 0, len(decoderID)+40)
	b = append(b, "\x01@\t"...)
	b = append(b, decoderID...)
	b = append(b, '\t')
	for place := uint32(1_000_000); place > 1 && tx < place; place /= 10 {
		b = append(b, '0')
	}
	b = strconv.AppendUint(b, uint64(tx), 10)
	b = append(b, '\t')
	ms := max(int64(t/time.Millisecond), 0)
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		digits := []byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		for digits[len(digits)-1] == '0' {
			digits = digits[:len(digits)-1]
		}
		b = append(b, digits...)
	}
	return append(b, "\r\n"...)
}
