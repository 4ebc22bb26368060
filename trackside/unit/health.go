package unit

import (
	"context"
	"encoding/json"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/version"
	"pitwall/mqtt"
	"pitwall/trackside/crossing"
)

// status builds the unit's retained status from the live health of its parts.
func (u *Unit) status() *mqtt.Status {
	h := u.header()
	a := u.track.Activity()
	st := &mqtt.Status{Header: h, Online: true, Version: version.Version, ClockSynced: h.At != 0,
		OutboxDepth: u.store.OutboxDepth(), Foreign: a.Foreign, Rejected: a.Rejected}
	for _, s := range u.sources {
		h := s.Health()
		st.Sensors = append(st.Sensors, mqtt.SensorStatus{
			Name: s.Name(), State: string(h.State), Detail: h.Detail, Crossings: h.Crossings,
			Rejects: h.Rejects, Lost: h.Lost, Chatter: h.Chatter, Reconnect: h.Reconnect,
			Foreign: a.ForeignBy[s.Name()],
		})
	}
	if !a.LastAt.IsZero() && st.ClockSynced {
		st.LastCrossingAt = a.LastAt.UnixMilli()
	}
	st.Storage = u.disk.status(u.store.LastWriteError())
	return st
}

// publishStatus sends the retained status now. It never waits for the
// broker: it may be called from paho's OnConnect handler.
func (u *Unit) publishStatus(c paho.Client) {
	b, err := mqtt.Encode(u.status())
	if err != nil {
		u.log.Error("encode status", "err", err)
		return
	}
	c.Publish(mqtt.TrackStatus(u.cfg.Track), 1, true, b)
}

// runHealth refreshes the retained status when something changes (checked
// every 2 s, and at least every 30 s) and logs a health summary.
func (u *Unit) runHealth(ctx context.Context) {
	check := time.NewTicker(2 * time.Second)
	defer check.Stop()
	var lastKey string
	var lastPub, lastLog time.Time
	for {
		u.healthBeat.Mark()
		select {
		case <-ctx.Done():
			return
		case <-check.C:
		}
		u.disk.check()
		u.noteEpochAt()
		st := u.status()
		key := statusKey(st)
		u.mu.Lock()
		client := u.client
		u.mu.Unlock()
		if client != nil && client.IsConnectionOpen() && (key != lastKey || time.Since(lastPub) >= 30*time.Second) {
			u.publishStatus(client)
			lastKey, lastPub = key, time.Now()
		}
		if time.Since(lastLog) >= time.Duration(u.cfg.Health) {
			lastLog = time.Now()
			u.logHealth(st, client)
		}
		u.showLED(st, client)
	}
}

// statusKey is the part of a status whose change is worth a publication
// (not the per-crossing counters, which would republish on every lap).
func statusKey(st *mqtt.Status) string {
	type sensor struct{ Name, State, Detail string }
	k := struct {
		Synced     bool
		Sensors    []sensor
		Backlog    bool
		Storage    string
		WriteError bool
	}{Synced: st.ClockSynced, Backlog: st.OutboxDepth > 100}
	if st.Storage != nil {
		k.Storage, k.WriteError = st.Storage.State, st.Storage.LastWriteError != ""
	}
	for _, s := range st.Sensors {
		k.Sensors = append(k.Sensors, sensor{s.Name, s.State, s.Detail})
	}
	b, _ := json.Marshal(k)
	return string(b)
}

func (u *Unit) logHealth(st *mqtt.Status, client paho.Client) {
	a := u.track.Activity()
	attrs := []any{"broker", brokerState(client), "outbox", st.OutboxDepth, "crossings", a.Recorded, "race", a.Race,
		"foreign", a.Foreign, "rejected", a.Rejected}
	if s := st.Storage; s != nil {
		attrs = append(attrs, "storage", s.State, "storage_free", ByteSize(s.FreeBytes).String())
		if s.LastWriteError != "" {
			attrs = append(attrs, "last_write_error", s.LastWriteError)
		}
	}
	if !a.LastAt.IsZero() {
		attrs = append(attrs, "last_crossing_ago", time.Since(a.LastAt).Round(time.Second).String(), "last_source", a.LastCrossing.Source)
	}
	for _, s := range st.Sensors {
		attrs = append(attrs, "sensor."+s.Name, s.State, "sensor."+s.Name+".rejects", s.Rejects, "sensor."+s.Name+".lost", s.Lost,
			"sensor."+s.Name+".foreign", s.Foreign)
	}
	u.log.Info("health", attrs...)
}

// BrokerConnected reports whether the unit's MQTT connection is up now.
func (u *Unit) BrokerConnected() bool {
	u.mu.Lock()
	c := u.client
	u.mu.Unlock()
	return brokerState(c) == "connected"
}

func brokerState(c paho.Client) string {
	switch {
	case c == nil:
		return "none"
	case c.IsConnectionOpen():
		return "connected"
	default:
		return "connecting"
	}
}

// showLED: steady when all is well, slow blink when degraded (broker away or
// a backlog), fast blink when a timing input is down.
func (u *Unit) showLED(st *mqtt.Status, client paho.Client) {
	if u.led == nil {
		return
	}
	state := "ok"
	if client == nil || !client.IsConnectionOpen() || st.OutboxDepth > 100 || (st.Storage != nil && st.Storage.State == mqtt.StorageLow) {
		state = "degraded"
	}
	if st.Storage != nil && st.Storage.State == mqtt.StorageFull {
		state = "down"
	}
	for _, s := range st.Sensors {
		if s.State != string(crossing.StateOK) {
			state = "down"
		}
	}
	u.led.Show(state)
}
