package discovery

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// A discovered broker can move: a trackside replaced by its spare, or given
// another address by the venue's DHCP server after a reboot. A unit that
// resolved "auto" once at start would then retry the old address forever,
// so Follow watches the connection and asks the network again while it is
// down.

// Follower watches a discovered broker (Follow).
type Follower struct {
	Current   string      // the URL in use
	Connected func() bool // whether the client is connected now
	// Find is one discovery round; nil: Resolve of "auto" with the event
	// secret in SecretFile.
	Find       func(ctx context.Context) (string, error)
	SecretFile string
	// After is how long the connection must have been down before the
	// network is asked again (default 20 s: a broker restarting on the
	// same address is back well within it); Every is how often that is
	// checked (default 1 s); Wait bounds one round (default 5 s).
	After, Every, Wait time.Duration
	Log                *slog.Logger
}

// Follow returns the URL of a broker found at another address than Current
// after the connection had been down for After, or "" when ctx ends. A
// round that finds nothing or finds Current again waits another After.
func Follow(ctx context.Context, f Follower) string {
	after, every, wait := f.After, f.Every, f.Wait
	if after <= 0 {
		after = 20 * time.Second
	}
	if every <= 0 {
		every = time.Second
	}
	if wait <= 0 {
		wait = 5 * time.Second
	}
	log := f.Log
	if log == nil {
		log = slog.Default()
	}
	find := f.Find
	if find == nil {
		find = func(ctx context.Context) (string, error) { return Resolve(ctx, "auto", f.SecretFile, wait, log) }
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var downSince time.Time
	for {
		select {
		case <-ctx.Done():
			return ""
		case now := <-tick.C:
			if f.Connected() {
				downSince = time.Time{}
				continue
			}
			if downSince.IsZero() {
				downSince = now
				continue
			}
			if now.Sub(downSince) < after {
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, wait)
			url, err := find(rctx)
			cancel()
			switch {
			case err != nil:
				log.Info("discovery: broker still unreachable and none answered", "url", f.Current, "down", now.Sub(downSince).Round(time.Second), "err", err)
			case url != f.Current:
				log.Warn("discovery: the venue broker moved", "from", f.Current, "to", url)
				return url
			}
			downSince = time.Now()
		}
	}
}

// Run runs run (a unit's main loop) while following the broker: when it
// moves, run's context ends and Run returns an error naming the new
// address, so that the unit exits and its service manager starts it again,
// which discovers the broker anew. Otherwise it returns what run returns.
func (f Follower) Run(ctx context.Context, run func(context.Context) error) error {
	runCtx, moved := context.WithCancelCause(ctx)
	defer moved(nil)
	go func() {
		if url := Follow(runCtx, f); url != "" {
			moved(fmt.Errorf("the venue broker moved from %s to %s: restarting to use it", f.Current, url))
		}
	}()
	err := run(runCtx)
	if cause := context.Cause(runCtx); ctx.Err() == nil && cause != nil {
		return cause
	}
	return err
}
