package kiosk

import (
	"context"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/version"
	"pitwall/mqtt"
)

// statusEvery is how often the kiosk repeats its status while nothing
// changes, like a trackside: a monitor sees it is alive.
const statusEvery = 30 * time.Second

// statusPayload encodes the kiosk's retained status with the next seq.
// Seq is Boots<<32 | n: it increases across restarts (Boots is kept in the
// cache file), as the contract asks.
func (k *Kiosk) statusPayload(online bool) ([]byte, error) {
	return k.statusPayloadSeq(online, k.boots<<32|k.statusSeq.Add(1))
}

// statusPayloadSeq encodes a status with a given seq. The LWT is encoded
// once at connect with seq 0, as the trackside's is: readers take an
// offline status with seq 0 as a last will.
func (k *Kiosk) statusPayloadSeq(online bool, seq uint64) ([]byte, error) {
	synced := k.opt.Synced()
	st := mqtt.Status{Header: mqtt.Header{Boot: k.boot, Seq: seq}, Online: online, Version: version.Version, ClockSynced: synced}
	if synced && seq != 0 {
		st.At = time.Now().UnixMilli()
	}
	if online {
		st.Shows = *k.shows.Load()
	}
	return mqtt.Encode(&st)
}

// publishStatus keeps the kiosk's retained status current: on every
// connect (replacing the LWT), when what the screen shows changes, and
// every statusEvery. It runs in its own goroutine because a publish on a
// dying connection may wait for seconds.
func (k *Kiosk) publishStatus(ctx context.Context, c paho.Client) {
	tick := time.NewTicker(statusEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.statusKick:
		case <-tick.C:
		}
		if !c.IsConnectionOpen() {
			continue
		}
		p, err := k.statusPayload(true)
		if err != nil {
			k.log.Error("kiosk status", "err", err)
			continue
		}
		tok := c.Publish(mqtt.KioskStatus(k.cfg.Kiosk), 1, true, p)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			k.log.Warn("kiosk status not published", "err", tok.Error())
		}
	}
}
