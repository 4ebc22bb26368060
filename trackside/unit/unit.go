// Package unit assembles a trackside unit from its config: the store, the
// track (race engine, single writer), the timing inputs, the MQTT client,
// the outbox publisher, the retained status and the health summary.
package unit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/heartbeat"
	"pitwall/internal/monoclock"
	"pitwall/internal/version"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
	"pitwall/trackside/admin"
	"pitwall/trackside/crossing"
	"pitwall/trackside/light"
	"pitwall/trackside/publish"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// Options are what a caller adds to the config file.
type Options struct {
	Logger *slog.Logger
	// Sources replaces the sources built from the config (tests, demo).
	Sources []crossing.Source
	// FreeSpace replaces statfs(2) for the storage health (tests).
	FreeSpace FreeSpace
	// StuckAfter replaces DefaultStuckAfter (tests).
	StuckAfter time.Duration
}

// Unit is a running trackside.
type Unit struct {
	healthBeat heartbeat.Beat                 // the health loop's passes
	pubBeat    atomic.Pointer[heartbeat.Beat] // the publisher's, once it runs
	stuckAfter time.Duration
	cfg        Config
	log        *slog.Logger
	store      *store.Store
	track      *track.Track
	sources    []crossing.Source
	boot       string
	led        *light.Light
	disk       *storageWatch
	// offTrack carries the simulator's off-track moments to the demo's
	// automatic official.
	offTrack chan struct{}

	statusSeq    atomic.Uint64
	trackStopped atomic.Bool // the writer stopped (store error): the console shows it

	mu     sync.Mutex
	client paho.Client
}

// New opens the store and recovers the track. It touches no sensor and no
// network: Run does.
func New(cfg Config, opt Options) (*Unit, error) {
	// The same validation as LoadConfig (and so "-check"): a Config built
	// in code gets it too.
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, "pitwall.db"), store.Options{LockTimeout: 2 * time.Second, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := applyOfficialsFile(st, cfg.Console.OfficialsFile, log); err != nil {
		st.Close()
		return nil, err
	}
	u := &Unit{cfg: cfg, log: log, store: st, boot: bootID(st.Boot()), offTrack: make(chan struct{}, 1)}
	u.noteEpochAt()
	u.track, err = track.Open(track.Config{ID: cfg.Track, Store: st, Rules: cfg.Rules.Race(), Boot: u.boot, Logger: log})
	if err != nil {
		st.Close()
		return nil, err
	}
	u.disk = newStorageWatch(cfg.DataDir, cfg.Storage, opt.FreeSpace, log)
	u.track.SetArmGuard(u.disk.armGuard)
	u.sources = opt.Sources
	if u.sources == nil {
		if u.sources, err = u.buildSources(log); err != nil {
			st.Close()
			return nil, err
		}
	}
	if cfg.StatusLED != "" {
		if u.led, err = light.Open(cfg.StatusLED); err != nil {
			// A missing LED must not stop timing: say so and go on.
			log.Warn("status LED unavailable", "pin", cfg.StatusLED, "err", err)
		}
	}
	u.stuckAfter = opt.StuckAfter
	if u.stuckAfter <= 0 {
		u.stuckAfter = DefaultStuckAfter
	}
	return u, nil
}

// Track is the unit's track: the API the officials' console and the admin
// commands call.
func (u *Unit) Track() *track.Track { return u.track }

// Store is the unit's store.
func (u *Unit) Store() *store.Store { return u.store }

// Boot is the id stamped on this run's payloads.
func (u *Unit) Boot() string { return u.boot }

// Run runs the unit until ctx is done or the track stops on a store error.
func (u *Unit) Run(ctx context.Context) error {
	defer u.store.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	trackErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := u.track.Run(ctx)
		u.trackStopped.Store(true)
		trackErr <- err
		cancel()
	}()
	for _, s := range u.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Run(ctx, u.track.Sink); err != nil && !errors.Is(err, context.Canceled) {
				u.log.Error("timing input stopped", "source", s.Name(), "err", err)
			}
		}()
	}
	if u.cfg.Broker.URL != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.runMQTT(ctx)
		}()
	} else {
		u.log.Warn("no broker.url: results are recorded but not published")
	}
	if u.cfg.Console.Socket != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.serveConsole(ctx)
		}()
	}
	if u.cfg.Official != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runAutoOfficial(ctx, u, *u.cfg.Official)
		}()
	}
	u.runHealth(ctx)
	wg.Wait()
	return <-trackErr
}

// Healthy reports whether the loops that make the unit work are going
// round: the writer (every crossing goes through it), the publisher (the
// outbox to the broker) and the health loop (status, LED, disk checks).
// The watchdog pings systemd only while it returns nil. A loop blocked for
// longer than its limit is a hung unit: a restart resumes from what is on
// disk, and nothing acknowledged is lost.
func (u *Unit) Healthy() error {
	return heartbeat.Stuck(
		heartbeat.Check{Name: "writer", Beat: u.track.Heartbeat(), Max: u.stuckAfter},
		heartbeat.Check{Name: "publisher", Beat: u.pubBeat.Load(), Max: u.stuckAfter},
		heartbeat.Check{Name: "health", Beat: &u.healthBeat, Max: u.stuckAfter},
	)
}

// DefaultStuckAfter is how long a loop may go without a pass before the unit
// counts as hung. The writer passes every tick (100 ms), the publisher every
// 200 ms and the health loop every 2 s; an fsync on a slow SD card takes
// well under a second.
const DefaultStuckAfter = 10 * time.Second

// runMQTT connects (retrying forever), drains the outbox and keeps the
// retained status current. The LWT marks the unit offline if it vanishes.
func (u *Unit) runMQTT(ctx context.Context) {
	will, _ := mqtt.Encode(&mqtt.Status{Header: mqtt.Header{Track: u.cfg.Track, Boot: u.boot, Epoch: u.store.Epoch()}, Online: false, Version: version.Version})
	adm := u.adminHandler()
	if adm != nil {
		go adm.Run(ctx)
	}
	clientID := u.cfg.Broker.ClientID
	if clientID == "" {
		clientID = client.UniqueID("pitwall-trackside-" + u.cfg.Track)
	}
	cc := client.Config{
		Broker: u.cfg.Broker.URL, ClientID: clientID, Username: u.cfg.Broker.Username,
		Will:   &mqtt.Message{Topic: mqtt.TrackStatus(u.cfg.Track), Payload: will, Retained: true},
		Logger: u.log,
		OnConnect: func(c paho.Client) {
			u.log.Info("broker connected", "broker", u.cfg.Broker.URL)
			u.publishStatus(c) // replaces the LWT's "offline"
			if adm != nil {
				u.subscribeAdmin(c, adm)
			}
			// The broker may have lost its retained messages (restarted
			// without persistence, or crashed before its autosave): put
			// the board back for kiosks that connect from now on.
			if err := u.track.Republish(ctx); err != nil && ctx.Err() == nil {
				u.log.Warn("race state and standings not republished", "err", err)
			}
		},
		OnLost: func(err error) { u.log.Warn("broker connection lost", "err", err) },
	}
	if user, pw, err := u.cfg.Broker.Credentials(mqtt.TracksideUser(u.cfg.Track)); err != nil {
		u.log.Error("connecting without password", "err", err)
	} else {
		cc.Username, cc.Password = user, pw
	}
	if tc, err := client.TLSConfig(u.cfg.Broker.CAFile); err != nil {
		u.log.Error("connecting without the configured CA", "err", err)
	} else {
		cc.TLS = tc
	}
	client := client.New(cc)
	client.Connect() // ConnectRetry: keeps trying in the background
	pub := publish.New(client, u.store, publish.Config{Logger: u.log})
	u.pubBeat.Store(pub.Heartbeat())
	u.mu.Lock()
	u.client = client
	u.mu.Unlock()
	if err := pub.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		u.log.Error("publisher stopped", "err", err)
	}
	// Clean shutdown: say offline ourselves (the broker sends the LWT only
	// for unclean disconnects), then leave.
	if client.IsConnectionOpen() {
		off, _ := mqtt.Encode(&mqtt.Status{Header: u.header(), Online: false, Version: version.Version})
		client.Publish(mqtt.TrackStatus(u.cfg.Track), 1, true, off).WaitTimeout(time.Second)
	}
	client.Disconnect(250)
}

// adminHandler builds the signed-command handler, or nil when no admin key
// is configured (nothing subscribes to the admin topics then).
func (u *Unit) adminHandler() *admin.Handler {
	if len(u.cfg.Admin.Keys) == 0 {
		u.log.Info("admin commands off: no admin.keys in the config")
		return nil
	}
	adm, err := admin.New(admin.Options{Track: u.track, Store: u.store, Config: u.cfg.Admin, Version: version.Version, Logger: u.log,
		Publish: func(topic string, payload []byte) error {
			u.mu.Lock()
			c := u.client
			u.mu.Unlock()
			if c == nil {
				return errors.New("not connected")
			}
			tok := c.Publish(topic, 1, false, payload)
			if !tok.WaitTimeout(10 * time.Second) {
				return fmt.Errorf("publish %s: no PUBACK within 10s", topic)
			}
			return tok.Error()
		}})
	if err != nil { // the config was validated: not expected
		u.log.Error("admin commands off", "err", err)
		return nil
	}
	return adm
}

// subscribeAdmin subscribes to the track's and the event's admin request
// topics (again on every connect: the session is clean).
func (u *Unit) subscribeAdmin(c paho.Client, adm *admin.Handler) {
	for _, topic := range admin.Topics(u.cfg.Track) {
		tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { adm.Deliver(m.Topic(), m.Payload()) })
		if !tok.WaitTimeout(10 * time.Second) {
			u.log.Warn("admin subscribe: no SUBACK within 10s", "topic", topic)
		} else if err := tok.Error(); err != nil {
			u.log.Warn("admin subscribe failed", "topic", topic, "err", err)
		}
	}
}

func (u *Unit) header() mqtt.Header {
	// Status does not go through the outbox, so its sequence comes from a
	// counter under the store's boot count: increasing across restarts.
	h := mqtt.Header{Track: u.cfg.Track, Boot: u.boot, Seq: u.store.Boot()<<32 | u.statusSeq.Add(1), Epoch: u.store.Epoch(), EpochAt: u.store.EpochAt()}
	if track.ClockSynced() {
		h.At = time.Now().UnixMilli()
	}
	return h
}

// noteEpochAt records the store's creation time once the clock is synced
// (store.NoteEpochAt): payload headers carry it so kiosks tell this
// database's retained messages from those of the one it replaced.
func (u *Unit) noteEpochAt() {
	if u.store.EpochAt() != 0 || !track.ClockSynced() {
		return
	}
	if err := u.store.NoteEpochAt(time.Now().UnixMilli()); err != nil {
		u.log.Warn("store creation time not recorded; retried at the next status check", "err", err)
	}
}

func bootID(n uint64) string {
	id, err := monoclock.Boot()
	if err != nil || len(id) < 8 {
		id = "00000000"
	}
	return fmt.Sprintf("%s-%d", id[:8], n)
}

// Sources are the unit's timing inputs.
func (u *Unit) Sources() []crossing.Source { return u.sources }
