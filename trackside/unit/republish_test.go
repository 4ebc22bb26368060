package unit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/trackside/race"
)

// retainedWatch is a fresh subscriber, as a kiosk that boots after the
// broker restarted: it keeps the last standings, race state and status it
// was given.
type retainedWatch struct {
	mu        sync.Mutex
	standings *mqtt.Standings
	race      *mqtt.RaceState
	status    *mqtt.Status
}

func watchRetained(t *testing.T, url, track string) *retainedWatch {
	t.Helper()
	w := &retainedWatch{}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("republish-watch").
		SetAutoReconnect(false).SetConnectRetry(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("watcher connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	handle := func(_ paho.Client, m paho.Message) {
		w.mu.Lock()
		defer w.mu.Unlock()
		var err error
		switch m.Topic() {
		case mqtt.TrackStandings(track):
			w.standings = new(mqtt.Standings)
			err = mqtt.Decode(m.Payload(), w.standings)
		case mqtt.TrackRace(track):
			w.race = new(mqtt.RaceState)
			err = mqtt.Decode(m.Payload(), w.race)
		case mqtt.TrackStatus(track):
			w.status = new(mqtt.Status)
			err = mqtt.Decode(m.Payload(), w.status)
		}
		if err != nil {
			t.Errorf("%s: %v", m.Topic(), err)
		}
	}
	topics := map[string]byte{mqtt.TrackStandings(track): 1, mqtt.TrackRace(track): 1, mqtt.TrackStatus(track): 1}
	if tok := c.SubscribeMultiple(topics, handle); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("watcher subscribe: %v", tok.Error())
	}
	return w
}

func (w *retainedWatch) get() (*mqtt.Standings, *mqtt.RaceState, *mqtt.Status) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.standings, w.race, w.status
}

// A broker that comes back without its retained store gets the board again
// from the trackside's reconnect: a kiosk connecting afterwards sees the
// standings and race state, with sequence numbers newer than any before.
func TestReconnectRepublishesRetainedState(t *testing.T) {
	b := mosquittotest.Start(t)
	dec := newDecoderEmulator(t)
	u, _ := startUnit(t, testConfig(t, "rp", b.URL(), dec.Addr()))
	ctx := context.Background()
	tr := u.Track()
	if err := tr.PutRacer(ctx, "test", race.Racer{ID: "r1", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.LoadRacer(ctx, "test", "r1"); err != nil {
		t.Fatal(err)
	}
	if !dec.waitConn(10 * time.Second) {
		t.Fatal("trackside never connected to the decoder")
	}
	for range 3 {
		time.Sleep(300 * time.Millisecond)
		if _, ok := dec.pass(1); !ok { // one car: the race learns its transponder
			t.Fatal("decoder write failed")
		}
	}
	waitFor(t, 5*time.Second, "2 laps recorded", func() bool {
		r := tr.Current()
		return r != nil && len(r.Laps) == 2
	})
	if _, err := tr.End(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Submit(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	before := watchRetained(t, b.URL(), "rp")
	waitFor(t, 10*time.Second, "standings at the broker", func() bool {
		st, _, _ := before.get()
		return st != nil && len(st.Entries) == 1
	})
	oldStandings, oldRace := tr.Standings().Seq, tr.RaceState().Seq

	b.RestartVolatile()
	w := watchRetained(t, b.URL(), "rp")
	// The status is published in the same OnConnect: it marks the reconnect.
	waitFor(t, 30*time.Second, "the trackside's status after its reconnect", func() bool {
		_, _, s := w.get()
		return s != nil && s.Online
	})
	waitFor(t, time.Second, "standings and race state republished after the reconnect", func() bool {
		st, rs, _ := w.get()
		return st != nil && rs != nil
	})
	st, rs, _ := w.get()
	if len(st.Entries) != 1 || st.Entries[0].Name != "Ada" || st.Entries[0].Laps != 2 {
		t.Fatalf("republished standings %+v, want Ada with 2 laps", st.Entries)
	}
	if st.Seq <= oldStandings || rs.Seq <= oldRace {
		t.Fatalf("republished seqs standings %d race %d, want above the earlier %d and %d", st.Seq, rs.Seq, oldStandings, oldRace)
	}
}
