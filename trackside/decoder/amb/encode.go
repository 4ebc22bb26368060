package amb

import (
	"fmt"
	"time"
)

// EncodePassing builds a passing line, CRLF included. The fields are as
// wide as the line has room for: tx is sent as its low 24 bits, and t as
// whole milliseconds modulo 2^32 (the decoder's counter wraps the same
// way); a negative t is sent as 0. Prefix and trailing byte are zero.
func EncodePassing(tx uint32, t time.Duration, hits, strength uint8) []byte {
	var ms uint64
	if t > 0 {
		ms = uint64(t/time.Millisecond) & 0xFFFFFFFF
	}
	return fmt.Appendf(make([]byte, 0, passingLen+2), "$0000%06X%08X%02X%02X00\r\n", tx&0xFFFFFF, ms, hits, strength)
}

// EncodeStatus builds a status line with the given loop noise, CRLF
// included.
func EncodeStatus(noise uint16) []byte {
	return fmt.Appendf(make([]byte, 0, statusLen+2), "#%04X\r\n", noise)
}
