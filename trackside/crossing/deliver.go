package crossing

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Deliver hands c to sink until it is recorded, waiting between attempts
// from lo doubling up to hi. A crossing that was read is never dropped while
// its input runs: Deliver gives up only when ctx is done, and then logs the
// crossing so it is not lost without a trace. A crossing the sink rejects
// as malformed (ErrRejected) is logged in full and not offered again —
// retrying could never succeed and would block the input for good; the
// sink counts it — and Deliver returns nil so the input reads on.
func Deliver(ctx context.Context, sink Sink, c Crossing, lo, hi time.Duration, log *slog.Logger) error {
	wait := lo
	for {
		err := sink(ctx, c)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrRejected) {
			log.Error("crossing rejected", "source", c.Source, "line", c.Line, "tx", c.Transponder,
				"seq", c.Seq, "mono_ns", c.MonoNS, "clock", c.Clock.String(), "err", err)
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
