package crossing

import (
	"context"
	"log/slog"
	"time"
)

// Deliver hands c to sink until it is recorded, waiting between attempts
// from lo doubling up to hi. A crossing that was read is never dropped while
// its input runs: Deliver gives up only when ctx is done, and then logs the
// crossing so it is not lost without a trace.
func Deliver(ctx context.Context, sink Sink, c Crossing, lo, hi time.Duration, log *slog.Logger) error {
	wait := lo
	for {
		err := sink(ctx, c)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil {
			log.Warn("crossing not recorded, retrying", "source", c.Source, "line", c.Line, "tx", c.Transponder,
				"seq", c.Seq, "retry_in", wait, "err", err)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				wait = min(2*wait, hi)
				continue
			case <-ctx.Done():
				t.Stop()
			}
		}
		log.Error("crossing not recorded at shutdown", "source", c.Source, "line", c.Line, "tx", c.Transponder,
			"seq", c.Seq, "mono_ns", c.MonoNS, "err", err)
		return ctx.Err()
	}
}
