package amb

import (
	"fmt"

	"pitwall/trackside/decoder"
)

// Reject kinds. Every reject Feed reports wraps exactly one of these, and
// each of them wraps decoder.ErrFrame, so callers can test for either.
var (
	// ErrLead: a line starting with neither '$' (passing) nor '#' (status).
	ErrLead = fmt.Errorf("unknown line type: %w", decoder.ErrFrame)
	// ErrLength: a passing or status line of the wrong length.
	ErrLength = fmt.Errorf("wrong line length: %w", decoder.ErrFrame)
	// ErrHex: a character that is not a hex digit where one belongs.
	ErrHex = fmt.Errorf("not hex: %w", decoder.ErrFrame)
	// ErrTooLong: more than decoder.MaxFrame bytes without a line end.
	ErrTooLong = fmt.Errorf("line too long: %w", decoder.ErrFrame)
)

// reject builds a reject error of the given kind with a detail saying what
// exactly was wrong.
func reject(kind error, format string, args ...any) error {
	return fmt.Errorf("amb: %s: %w", fmt.Sprintf(format, args...), kind)
}
