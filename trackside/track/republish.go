package track

import (
	"context"

	"pitwall/trackside/race"
	"pitwall/trackside/store"
)

// Republish enqueues the current race state and standings again, each with
// a fresh sequence number, so that a broker that lost its retained messages
// (restarted without persistence, or crashed before its autosave) has them
// back: a kiosk connecting later would otherwise see no board until the
// next change. The unit calls it on every (re)connect to the broker.
//
// It goes through the single writer and the outbox like every other
// message, so ordering and durability are those of any change: the
// messages follow everything enqueued before, and a pending retained
// message of the same topic is replaced rather than sent twice. It is not
// an official's action and is not audited. It returns once the messages
// are committed to the outbox (not once they are published).
func (t *Track) Republish(ctx context.Context) error {
	_, err := t.submit(ctx, request{act: &action{
		name:    "republish",
		unaudit: true,
		fn: func(_ *store.Tx, _ int64, out *outbound) (race.Effect, error) {
			out.race, out.standings = true, true
			return race.Effect{}, nil
		},
	}})
	return err
}
