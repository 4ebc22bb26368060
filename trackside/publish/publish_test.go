package publish_test

import (
	"context"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
	"pitwall/trackside/publish"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     publish.Config
		wantErr string
	}{
		{"zero", publish.Config{}, ""},
		{"set", publish.Config{Window: 8, AckTimeout: time.Second}, ""},
		{"max window", publish.Config{Window: publish.MaxWindow}, ""},
		{"negative window", publish.Config{Window: -1}, "window"},
		{"huge window", publish.Config{Window: publish.MaxWindow + 1}, "window"},
		{"negative timeout", publish.Config{AckTimeout: -time.Second}, "ack timeout"},
		{"tiny timeout", publish.Config{AckTimeout: time.Millisecond}, "ack timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate: %v, want an error about %q", err, tt.wantErr)
			}
		})
	}
}

// bareClient is a paho client that does not count reconnects.
type bareClient struct{ paho.Client }

func TestRunRejectsUnusableArguments(t *testing.T) {
	url := startEmbedded(t).URL()
	client := connect(t, client.Config{Broker: url})
	box := newMemOutbox()
	tests := []struct {
		name    string
		p       *publish.Publisher
		wantErr string
	}{
		{"no client", publish.New(nil, box, publish.Config{}), "no MQTT client"},
		{"no outbox", publish.New(client, nil, publish.Config{}), "no outbox"},
		{"bad config", publish.New(client, box, publish.Config{Window: -3}), "window"},
		{"client without reconnect count", publish.New(bareClient{client}, box, publish.Config{}), "reconnects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			err := tt.p.Run(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run: %v, want an error about %q", err, tt.wantErr)
			}
		})
	}
	if box.pendingCalls.Load() != 0 || box.ackCalls.Load() != 0 {
		t.Fatalf("a rejected Run touched the outbox")
	}

	p := publish.New(client, box, publish.Config{})
	runPublisher(t, p)
	eventually(t, time.Second, "first Run reads the outbox", func() bool { return box.pendingCalls.Load() > 0 })
	if err := p.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second Run: %v, want 'already running'", err)
	}
}

// Messages reach a subscriber and leave the outbox, through either broker.
func TestDeliversAndAcks(t *testing.T) {
	for _, bk := range brokers {
		t.Run(bk.name, func(t *testing.T) {
			url := bk.start(t)
			sub := subscribe(t, url, mqtt.Root+"/track/t1/#", "")
			box := newMemOutbox()
			ids := box.addN(mqtt.TrackLaps("t1"), 150) // before Run: drained from a backlog
			p := publish.New(connect(t, client.Config{Broker: url}), box, publish.Config{Window: 16, Logger: quiet})
			runPublisher(t, p)
			ids = append(ids, box.addN(mqtt.TrackStatus("t1"), 150)...) // while running: woken by Notify

			eventually(t, 10*time.Second, "outbox drained", func() bool { return box.Len() == 0 })
			eventually(t, 10*time.Second, "all messages received", func() bool { return len(sub.missing(ids)) == 0 })
			st := p.Stats()
			if st.Acked != 300 || st.Published < 300 || !st.Connected || st.InFlight != 0 || st.Dropped != 0 {
				t.Fatalf("Stats = %+v; want 300 acked, ≥300 published, connected, none in flight", st)
			}
			acked := 0
			for _, b := range box.ackBatches() {
				acked += len(b)
			}
			if acked != 300 {
				t.Fatalf("Ack calls covered %d IDs, want 300", acked)
			}
		})
	}
}

// Acks are batched: PUBACKs that complete while an Ack call is busy are all
// deleted by the next single call.
func TestAcksAreBatched(t *testing.T) {
	url := startEmbedded(t).URL()
	box := newMemOutbox()
	box.ackGate = make(chan struct{})
	box.addN(mqtt.TrackLaps("t1"), 32)
	client := &countingClient{Client: connect(t, client.Config{Broker: url})}
	runPublisher(t, publish.New(client, box, publish.Config{Window: 64, Logger: quiet}))

	eventually(t, 5*time.Second, "first Ack call", func() bool { return box.ackCalls.Load() == 1 })
	eventually(t, 5*time.Second, "all PUBACKs", func() bool { return client.completed() == 32 })
	time.Sleep(100 * time.Millisecond) // let the waiters hand over their outcomes
	close(box.ackGate)

	eventually(t, 5*time.Second, "outbox drained", func() bool { return box.Len() == 0 })
	if n := box.ackCalls.Load(); n != 2 {
		t.Fatalf("%d Ack calls for 32 messages completed around one busy Ack, want 2 (batches %v)", n, box.ackBatches())
	}
}

// Nothing leaves the outbox without its PUBACK: the broker here withholds
// them, drops the connection (paho then completes the old tokens without
// a PUBACK), and only acknowledges at the end. Window limits what is in
// flight.
func TestAckOnlyAfterPubackWithheld(t *testing.T) {
	raw := startRawBroker(t)
	box := newMemOutbox()
	ids := box.addN(mqtt.TrackLaps("t1"), 10)
	client := connect(t, client.Config{Broker: raw.URL(), RetryInterval: 200 * time.Millisecond})
	p := publish.New(client, box, publish.Config{Window: 4, AckTimeout: time.Minute, Logger: quiet})
	runPublisher(t, p)

	eventually(t, 5*time.Second, "a window of publishes", func() bool { return len(raw.received()) == 4 })
	time.Sleep(300 * time.Millisecond)
	got := raw.received()
	if len(got) != 4 {
		t.Fatalf("%d publishes with Window 4 and no PUBACK, want 4", len(got))
	}
	for i, pk := range got {
		if id := decodeID(t, pk.Payload).ID; id != ids[i] || pk.Qos != 1 || pk.Retain {
			t.Fatalf("publish %d: message %d qos %d retain %v; want message %d, QoS 1, not retained", i, id, pk.Qos, pk.Retain, ids[i])
		}
	}

	raw.dropConnections()
	eventually(t, 5*time.Second, "reconnect and re-publish", func() bool {
		return raw.connections() == 1 && len(raw.received()) >= 8
	})
	time.Sleep(500 * time.Millisecond)
	if n := box.Len(); n != 10 || box.ackCalls.Load() != 0 {
		t.Fatalf("after a reconnect without PUBACKs: %d of 10 messages left, %d Ack calls; want all left, none", n, box.ackCalls.Load())
	}
	if st := p.Stats(); st.Acked != 0 || st.Retries == 0 {
		t.Fatalf("Stats = %+v; want nothing acked and retries counted", st)
	}

	raw.ackAll()
	eventually(t, 5*time.Second, "outbox drained after PUBACKs", func() bool { return box.Len() == 0 })
	if st := p.Stats(); st.Acked != 10 {
		t.Fatalf("Stats = %+v; want 10 acked", st)
	}
}

// A publish that gets no PUBACK within AckTimeout is published again.
func TestAckTimeoutRepublishes(t *testing.T) {
	raw := startRawBroker(t)
	box := newMemOutbox()
	id := box.add(mqtt.TrackLaps("t1"), false, 0)
	client := connect(t, client.Config{Broker: raw.URL()})
	p := publish.New(client, box, publish.Config{AckTimeout: 200 * time.Millisecond, Logger: quiet})
	runPublisher(t, p)

	eventually(t, 5*time.Second, "published again after the ack timeout", func() bool { return len(raw.received()) >= 2 })
	for _, pk := range raw.received() {
		if got := decodeID(t, pk.Payload).ID; got != id {
			t.Fatalf("published message %d, want only %d", got, id)
		}
	}
	st := p.Stats()
	if st.Retries == 0 || st.LastError == nil || !strings.Contains(st.LastError.Error(), "PUBACK") || !box.has(id) {
		t.Fatalf("Stats = %+v, in outbox %v; want retries, a PUBACK error, message kept", st, box.has(id))
	}
	raw.ackAll()
	eventually(t, 5*time.Second, "acked once acknowledged", func() bool { return !box.has(id) })
}

// Through a real broker outage: messages enqueued while Mosquitto is down
// stay in the outbox, and all arrive once it is back.
func TestMosquittoOutage(t *testing.T) {
	m := mosquittotest.Start(t)
	// A persistent session: Mosquitto keeps the subscription and queues
	// for the subscriber across its own restart.
	sub := subscribe(t, m.URL(), mqtt.AllTrackLaps, client.UniqueID("outage-viewer"))
	box := newMemOutbox()
	p := publish.New(connect(t, client.Config{Broker: m.URL()}), box, publish.Config{Logger: quiet})
	runPublisher(t, p)

	before := box.addN(mqtt.TrackLaps("t1"), 10)
	eventually(t, 5*time.Second, "delivered before the outage", func() bool { return box.Len() == 0 && len(sub.missing(before)) == 0 })
	acks := box.ackCalls.Load()

	m.Stop()
	eventually(t, 5*time.Second, "publisher sees the outage", func() bool { return !p.Stats().Connected })
	during := box.addN(mqtt.TrackLaps("t1"), 20)
	time.Sleep(time.Second)
	if n := box.Len(); n != 20 || box.ackCalls.Load() != acks {
		t.Fatalf("during the outage %d of 20 messages left and %d new Ack calls; want all left, none\n%s",
			n, box.ackCalls.Load()-acks, m.Log())
	}

	m.Restart()
	eventually(t, 20*time.Second, "outbox drained after the restart", func() bool { return box.Len() == 0 })
	eventually(t, 20*time.Second, "all received after the restart", func() bool { return len(sub.missing(during)) == 0 })
	if st := p.Stats(); st.Acked != 30 || !st.Connected {
		t.Fatalf("Stats = %+v; want 30 acked and connected", st)
	}
}

// Retained messages stay on the broker for late subscribers (the latest
// one per topic); events do not.
func TestRetainedForLateSubscribers(t *testing.T) {
	for _, bk := range brokers {
		t.Run(bk.name, func(t *testing.T) {
			url := bk.start(t)
			box := newMemOutbox()
			status, laps := mqtt.TrackStatus("t1"), mqtt.TrackLaps("t1")
			for n := 1; n <= 3; n++ {
				box.add(status, true, n)
				box.add(laps, false, n)
			}
			runPublisher(t, publish.New(connect(t, client.Config{Broker: url}), box, publish.Config{Logger: quiet}))
			eventually(t, 5*time.Second, "outbox drained", func() bool { return box.Len() == 0 })

			late := subscribe(t, url, mqtt.Root+"/track/t1/#", "")
			eventually(t, 5*time.Second, "retained status", func() bool { return late.lastOn(status) != nil })
			time.Sleep(200 * time.Millisecond)
			m := late.lastOn(status)
			if p := decodeID(t, m.Payload()); p.N != 3 || !m.Retained() || late.received.Load() != 1 {
				t.Fatalf("late subscriber: status n=%d retained=%v, %d messages; want only the latest status (n=3), retained",
					p.N, m.Retained(), late.received.Load())
			}
		})
	}
}

// A message that cannot be published is dropped instead of disconnecting
// the publisher over and over; the others go through.
func TestInvalidMessageDropped(t *testing.T) {
	url := startEmbedded(t).URL()
	sub := subscribe(t, url, mqtt.AllTrackLaps, "")
	box := newMemOutbox()
	good1 := box.add(mqtt.TrackLaps("t1"), false, 0)
	bad := box.addRaw(mqtt.Message{Topic: mqtt.AllTrackLaps, Payload: []byte(`{"v":1}`)})
	good2 := box.add(mqtt.TrackLaps("t1"), false, 0)
	c := connect(t, client.Config{Broker: url})
	p := publish.New(c, box, publish.Config{Logger: quiet})
	runPublisher(t, p)

	eventually(t, 5*time.Second, "outbox drained", func() bool { return box.Len() == 0 })
	eventually(t, 5*time.Second, "valid messages received", func() bool { return len(sub.missing([]uint64{good1, good2})) == 0 })
	st := p.Stats()
	if st.Dropped != 1 || st.Acked != 2 || st.LastError == nil || !strings.Contains(st.LastError.Error(), "invalid") {
		t.Fatalf("Stats = %+v; want 1 dropped (message %d), 2 acked", st, bad)
	}
	if n := c.(client.ReconnectCounter).Reconnects(); n != 0 {
		t.Fatalf("%d reconnects: the invalid message reached the broker", n)
	}
}

// A failing Ack is retried without publishing the messages again.
func TestAckFailureRetried(t *testing.T) {
	url := startEmbedded(t).URL()
	box := newMemOutbox()
	box.failAcks = 2
	box.addN(mqtt.TrackLaps("t1"), 5)
	p := publish.New(connect(t, client.Config{Broker: url}), box, publish.Config{Logger: quiet})
	runPublisher(t, p)

	eventually(t, 5*time.Second, "outbox drained", func() bool { return box.Len() == 0 })
	st := p.Stats()
	if st.Published != 5 || st.Acked != 5 || st.LastError == nil || !strings.Contains(st.LastError.Error(), "disk full") {
		t.Fatalf("Stats = %+v; want 5 published once each, 5 acked, the Ack error noted", st)
	}
}

// Idle, the publisher only polls: a few outbox reads a second, and none
// while the broker is away.
func TestIdleDoesNotSpin(t *testing.T) {
	b := startEmbedded(t)
	box := newMemOutbox()
	client := &countingClient{Client: connect(t, client.Config{Broker: b.URL(), RetryInterval: 5 * time.Second})}
	p := publish.New(client, box, publish.Config{Logger: quiet})
	runPublisher(t, p)
	eventually(t, time.Second, "first read", func() bool { return box.pendingCalls.Load() > 0 })

	reads, looks := box.pendingCalls.Load(), client.openCalls.Load()
	time.Sleep(time.Second)
	if n := box.pendingCalls.Load() - reads; n > 10 {
		t.Fatalf("%d outbox reads in 1s idle, want ≤ 10", n)
	}
	if n := client.openCalls.Load() - looks; n > 10 {
		t.Fatalf("%d connection checks in 1s idle, want ≤ 10", n)
	}

	b.Close()
	eventually(t, 5*time.Second, "publisher sees the broker gone", func() bool { return !p.Stats().Connected })
	box.add(mqtt.TrackLaps("t1"), false, 0)
	reads, looks = box.pendingCalls.Load(), client.openCalls.Load()
	time.Sleep(time.Second)
	if n := box.pendingCalls.Load() - reads; n != 0 {
		t.Fatalf("%d outbox reads in 1s without a broker, want 0", n)
	}
	if n := client.openCalls.Load() - looks; n > 10 {
		t.Fatalf("%d connection checks in 1s without a broker, want ≤ 10", n)
	}
}
