package kiosk

import (
	"context"
	"image"
	"time"

	"pitwall/display"
)

// onceQuiet is how long DrawOnce waits after the last message once
// subscribed: the broker sends the retained state right after SUBACK.
const onceQuiet = 300 * time.Millisecond

// DrawOnce draws one frame from the cache and what the broker holds: it
// connects (read-only: no will, no status), takes the retained state until
// the broker has been quiet for a moment or wait has passed, and renders.
// When the broker did not answer, the frame shows the cached board marked
// offline. It is for `kiosk -once`; it writes no cache. It must not be
// called on a kiosk that is running.
func (k *Kiosk) DrawOnce(ctx context.Context, wait time.Duration) (display.Board, *image.RGBA, error) {
	subscribed := make(chan struct{}, 1)
	client := k.newClient(nil, func() { kick(subscribed) })
	defer client.Disconnect(100)

	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	quiet := time.NewTimer(time.Hour)
	defer quiet.Stop()
	ready := false
loop:
	for {
		select {
		case <-ctx.Done():
			return display.Board{}, nil, ctx.Err()
		case <-deadline.C:
			break loop
		case <-quiet.C:
			break loop
		case <-subscribed:
			ready = true
			quiet.Reset(onceQuiet)
		case <-k.inbox.ready:
			for _, m := range k.inbox.take() {
				k.apply(m)
			}
			if ready {
				quiet.Reset(onceQuiet)
			}
		case <-k.linkWake:
			if k.link.Load() {
				k.scene.SetConnected(time.Now())
			} else {
				k.scene.SetDisconnected(time.Now())
			}
		}
	}
	// A one-shot frame has waited long enough to call the broker offline.
	k.scene.SetOfflineGrace(time.Nanosecond)
	now := time.Now()
	k.publish(now)
	snap, _ := k.model.get()
	b := snap.Screen(k.scene.Link(), now, now, k.opt.Synced())
	k.renderer.Render(b)
	k.mu.Lock()
	k.lastBoard = b
	k.mu.Unlock()
	return b, k.renderer.Frame(), nil
}
