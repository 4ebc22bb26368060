package decoded

import (
	"context"
	"errors"
	"io"
	"time"
)

// Transport opens the byte stream of one decoder.
//
// Read on the stream may return (0, nil) when no data arrived for a while
// (a serial read timeout): that is "no data yet", not end of stream. Any
// error, io.EOF included, means the link is gone and the Source reopens it.
type Transport interface {
	// Open connects to the decoder. The string describes the device opened,
	// e.g. "/dev/ttyUSB0 (USB 0403:6001 serial 12345)", for health and logs.
	Open(ctx context.Context) (io.ReadWriteCloser, string, error)
}

// ErrConfig is wrapped by a Transport's Open error that retrying cannot fix
// (no address, no baud rate): Run returns it instead of retrying forever.
var ErrConfig = errors.New("decoder input misconfigured")

// pollInterval bounds how long one Read blocks, so that a reader notices a
// cancelled context and a silent link without depending on Close alone.
const pollInterval = 500 * time.Millisecond
