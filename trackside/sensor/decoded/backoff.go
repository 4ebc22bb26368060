package decoded

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff yields exponentially growing delays between min and max. Each
// delay is drawn from [d/2, d] so that several units that lost the same
// venue network do not all retry in step.
type backoff struct {
	min, max time.Duration
	next     time.Duration
	jitter   func() float64 // in [0,1); rand.Float64 outside tests
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, next: min, jitter: rand.Float64}
}

// delay returns the next delay and doubles the one after it, up to max.
func (b *backoff) delay() time.Duration {
	d := b.next
	b.next = min(2*b.next, b.max)
	return d/2 + time.Duration(b.jitter()*float64(d-d/2))
}

// reset starts over from min, after a connection that worked.
func (b *backoff) reset() { b.next = b.min }

// sleep waits for d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
