package p3

import (
	"fmt"

	"pitwall/trackside/decoder"
)

// Reject kinds. Every reject Feed reports wraps exactly one of these, and
// each of them wraps decoder.ErrFrame, so callers can test for either.
var (
	// ErrGarbage: bytes outside a record (before a start byte).
	ErrGarbage = fmt.Errorf("bytes outside a record: %w", decoder.ErrFrame)
	// ErrTruncated: a record cut short by a new start byte, or shorter
	// than the fixed header.
	ErrTruncated = fmt.Errorf("truncated record: %w", decoder.ErrFrame)
	// ErrEscape: an escape byte 0x8D not followed by 0xAD, 0xAE or 0xAF.
	ErrEscape = fmt.Errorf("bad escape: %w", decoder.ErrFrame)
	// ErrTooLong: a record longer than MaxRecord unescaped bytes.
	ErrTooLong = fmt.Errorf("record too long: %w", decoder.ErrFrame)
	// ErrLength: the header's length field disagrees with the record.
	ErrLength = fmt.Errorf("length field mismatch: %w", decoder.ErrFrame)
	// ErrCRC: the header's CRC disagrees with the record.
	ErrCRC = fmt.Errorf("bad CRC: %w", decoder.ErrFrame)
	// ErrTLV: a TLV runs past the end of the record.
	ErrTLV = fmt.Errorf("bad TLV: %w", decoder.ErrFrame)
	// ErrField: a field the codec reads is missing, repeated, of the
	// wrong width or out of range.
	ErrField = fmt.Errorf("bad field: %w", decoder.ErrFrame)
)

// reject builds a reject error of the given kind with a detail saying what
// exactly was wrong.
func reject(kind error, format string, args ...any) error {
	return fmt.Errorf("p3: %s: %w", fmt.Sprintf(format, args...), kind)
}
