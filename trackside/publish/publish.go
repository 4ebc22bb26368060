// Package publish drains a trackside's outbox to the MQTT broker.
//
// The guarantee it keeps is "no loss, duplicates allowed": a message leaves
// the outbox only after the broker acknowledged it (QoS 1 PUBACK), and
// anything not acknowledged, because of a timeout, an error or a dropped
// connection, is published again. Consumers drop the duplicates by the
// message ID carried in every payload.
package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/heartbeat"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// Outbox is the store's queue of messages waiting for the broker.
type Outbox interface {
	// Pending returns up to max messages still in the outbox, lowest ID
	// first.
	Pending(max int) ([]mqtt.Message, error)
	// Ack deletes the messages with these IDs, all in one transaction.
	// IDs no longer in the outbox are ignored: a message can complete
	// twice (a re-published copy), or be replaced by a newer retained
	// message on its topic while in flight.
	Ack(ids ...uint64) error
	// Notify returns a channel that receives after messages are added. A
	// send that would block may be dropped (a buffer of one is enough):
	// the publisher also polls.
	Notify() <-chan struct{}
}

// Defaults and limits of Config.
const (
	DefaultWindow     = 64
	DefaultAckTimeout = 10 * time.Second
	// MaxWindow keeps the in-flight count well inside MQTT's 65535 packet
	// IDs, which paho also needs for re-sent copies after a reconnect.
	MaxWindow = 4096
	// pollInterval bounds how long a missed Notify, a message due for a
	// retry, or a change of connection state goes unnoticed.
	pollInterval = 200 * time.Millisecond
)

// Config tunes a Publisher. The zero value is usable.
type Config struct {
	// Window is the most messages published and awaiting their PUBACK at
	// once; 0 means DefaultWindow.
	Window int
	// Logger receives connection changes and errors; nil means
	// slog.Default().
	Logger *slog.Logger
	// AckTimeout is how long a published message waits for its PUBACK
	// before it is published again; 0 means DefaultAckTimeout.
	AckTimeout time.Duration
}

// Validate reports the first problem with c, or nil.
func (c Config) Validate() error {
	switch {
	case c.Window < 0 || c.Window > MaxWindow:
		return fmt.Errorf("publish: window %d: want 0 (default %d) to %d", c.Window, DefaultWindow, MaxWindow)
	case c.AckTimeout < 0 || (c.AckTimeout > 0 && c.AckTimeout < 10*time.Millisecond):
		return fmt.Errorf("publish: ack timeout %v: want 0 (default %v) or at least 10ms", c.AckTimeout, DefaultAckTimeout)
	}
	return nil
}

// Stats is a snapshot of a Publisher's counters since New.
type Stats struct {
	// Published counts messages handed to the client, re-publishes
	// included.
	Published uint64
	// Acked counts message IDs passed to Outbox.Ack after their PUBACK. A
	// message published twice across a reconnect, both copies
	// acknowledged, can count twice.
	Acked uint64
	// Retries counts publishes given up without a PUBACK (error, ack
	// timeout, or connection lost); each such message is published again.
	Retries uint64
	// Dropped counts messages deleted unpublished because they can never
	// be published (invalid topic, oversized payload).
	Dropped uint64
	// InFlight is the number of messages awaiting their PUBACK.
	InFlight int
	// Connected is whether the client had an open connection when the
	// publisher last looked (at most pollInterval ago while it runs).
	Connected bool
	// LastError is the most recent failure (publish, outbox), nil if none;
	// LastErrorAt is when it happened.
	LastError   error
	LastErrorAt time.Time
}

// Publisher drains an Outbox to the broker. Create it with New; Run it
// once.
type Publisher struct {
	beat       heartbeat.Beat // one mark per pass of Run's loop (the watchdog)
	client     paho.Client
	box        Outbox
	cfg        Config
	cfgErr     error
	log        *slog.Logger
	reconnects client.ReconnectCounter
	running    atomic.Bool

	mu    sync.Mutex
	stats Stats
}

// New returns a Publisher that publishes box's messages through c.
// c should come from client.New or client.Connect: Run needs the
// client's reconnect count (client.ReconnectCounter) to tell a real PUBACK
// from paho completing a token at a reconnect. Problems with the arguments
// are reported by Run.
func New(c paho.Client, box Outbox, cfg Config) *Publisher {
	p := &Publisher{client: c, box: box, cfg: cfg, cfgErr: cfg.Validate(), log: cfg.Logger}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.log = p.log.With("component", "publish")
	if p.cfg.Window == 0 {
		p.cfg.Window = DefaultWindow
	}
	if p.cfg.AckTimeout == 0 {
		p.cfg.AckTimeout = DefaultAckTimeout
	}
	p.reconnects, _ = c.(client.ReconnectCounter)
	return p
}

// Stats returns a snapshot of the counters.
func (p *Publisher) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// errAckTimeout is the LastError of a publish whose PUBACK did not come
// within AckTimeout.
var errAckTimeout = errors.New("no PUBACK within the ack timeout")

// errReconnected marks a token that completed across a reconnect: paho
// completes those without a PUBACK (see client.ReconnectCounter).
var errReconnected = errors.New("connection lost before the PUBACK")

// flight is one publish of one message awaiting its PUBACK.
type flight struct {
	id      uint64
	attempt uint64 // distinguishes a message's successive publishes
}

// outcome is how a flight ended.
type outcome struct {
	flight
	err error // nil: PUBACK received
}

// Run publishes until ctx is done, then returns nil. It returns an error at
// once if the arguments given to New are unusable, or if Run is already
// running.
//
// Each pass: take the outcomes of finished publishes, delete the
// acknowledged messages from the outbox in one call, then, if the
// connection is open, publish pending messages (lowest ID first) until
// Window are in flight. While the connection is down it publishes nothing
// and forgets its flights; after the reconnect it starts again from the
// outbox, so a message in flight at the disconnect is published again. It
// sleeps until a publish finishes, the outbox notifies, or pollInterval
// passes: it never spins.
// Heartbeat is marked at every pass of Run's loop: at least every 200 ms
// while it runs.
func (p *Publisher) Heartbeat() *heartbeat.Beat { return &p.beat }

func (p *Publisher) Run(ctx context.Context) error {
	switch {
	case p.client == nil:
		return errors.New("publish: no MQTT client")
	case p.box == nil:
		return errors.New("publish: no outbox")
	case p.reconnects == nil:
		return fmt.Errorf("publish: client %T does not count reconnects (build it with client.New): without that a token paho completes at a reconnect would look like a PUBACK", p.client)
	case p.cfgErr != nil:
		return p.cfgErr
	}
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("publish: Run is already running")
	}
	defer p.running.Store(false)

	r := run{
		Publisher: p,
		done:      make(chan struct{}),
		outcomes:  make(chan outcome, p.cfg.Window),
		inFlight:  make(map[uint64]uint64),
		acked:     make(map[uint64]bool),
		failed:    make(map[uint64]bool),
	}
	defer close(r.done)
	return r.loop(ctx)
}

// run is the state of one Run call, owned by its goroutine.
type run struct {
	*Publisher
	done     chan struct{} // closed when Run returns: waiters stop
	outcomes chan outcome
	// inFlight maps a message ID to the attempt now awaiting its PUBACK.
	inFlight map[uint64]uint64
	attempt  uint64
	// toAck holds IDs acknowledged by the broker whose deletion from the
	// outbox has not succeeded yet; acked is the same set for lookups.
	toAck []uint64
	acked map[uint64]bool
	// failed holds messages whose publish failed since the last poll:
	// they wait for the next one, so that a message failing at once
	// cannot make the loop spin.
	failed map[uint64]bool
	// exhausted: the last Pending call returned everything in the
	// outbox, so there is nothing new to read until a Notify or a poll.
	exhausted bool
	connected bool // as last seen; valid once looked is set
	looked    bool
	failing   bool // the outbox is failing; logged once per episode
}

func (r *run) loop(ctx context.Context) error {
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	for {
		r.beat.Mark()
		r.collect()
		r.ackBatch()
		if ctx.Err() != nil {
			return nil
		}
		if r.checkConnection() {
			r.fill()
		}
		select {
		case <-ctx.Done():
		case o := <-r.outcomes:
			r.settle(o)
		case <-r.box.Notify():
			r.exhausted = false
		case <-poll.C:
			r.exhausted = false
			clear(r.failed)
		}
	}
}

// collect takes every outcome already waiting, so that one Ack call covers
// them all.
func (r *run) collect() {
	for {
		select {
		case o := <-r.outcomes:
			r.settle(o)
		default:
			return
		}
	}
}

func (r *run) settle(o outcome) {
	current := r.inFlight[o.id] == o.attempt
	if current {
		delete(r.inFlight, o.id)
	}
	if o.err == nil {
		// A PUBACK counts even for a flight forgotten at a disconnect:
		// the broker has the message.
		if !r.acked[o.id] {
			r.acked[o.id] = true
			r.toAck = append(r.toAck, o.id)
		}
		return
	}
	if current {
		// The message stays in the outbox and is published again after
		// the next poll.
		r.failed[o.id] = true
		r.record(func(s *Stats) { s.Retries++ }, fmt.Errorf("publish message %d: %w", o.id, o.err))
	}
}

// ackBatch deletes the acknowledged messages in one outbox call. If that
// fails they stay in toAck, are not published again, and the deletion is
// retried on the next pass.
func (r *run) ackBatch() {
	if len(r.toAck) == 0 {
		return
	}
	if err := r.box.Ack(r.toAck...); err != nil {
		r.outboxFailed(fmt.Errorf("ack %d messages: %w", len(r.toAck), err))
		return
	}
	r.outboxRecovered()
	n := len(r.toAck)
	for _, id := range r.toAck {
		delete(r.acked, id)
	}
	r.toAck = r.toAck[:0]
	r.record(func(s *Stats) { s.Acked += uint64(n) }, nil)
}

// checkConnection reports whether the connection is open, handling a
// change: on loss every flight is forgotten (its message will be published
// again from the outbox after the reconnect).
func (r *run) checkConnection() bool {
	up := r.client.IsConnectionOpen()
	if r.looked && up == r.connected {
		return up
	}
	first := !r.looked
	r.looked, r.connected = true, up
	switch {
	case up && first:
		r.exhausted = false
	case up:
		r.log.Info("broker connected; publishing from the outbox")
		r.exhausted = false
	default:
		r.log.Warn("broker connection down; waiting for the reconnect", "in_flight", len(r.inFlight))
		n := uint64(len(r.inFlight))
		clear(r.inFlight)
		r.record(func(s *Stats) { s.Retries += n }, nil)
	}
	r.record(func(s *Stats) { s.Connected = up }, nil)
	return up
}

// fill publishes pending messages until Window are in flight.
func (r *run) fill() {
	room := r.cfg.Window - len(r.inFlight)
	if room <= 0 || r.exhausted {
		return
	}
	// The outbox still holds the messages in flight and those awaiting
	// deletion; ask for enough to see room messages beyond them.
	want := r.cfg.Window + len(r.toAck)
	msgs, err := r.box.Pending(want)
	if err != nil {
		r.outboxFailed(fmt.Errorf("read pending messages: %w", err))
		return
	}
	r.outboxRecovered()
	r.exhausted = len(msgs) < want
	var invalid []uint64
	for _, m := range msgs {
		if room == 0 {
			r.exhausted = false
			break
		}
		if _, busy := r.inFlight[m.ID]; busy || r.acked[m.ID] || r.failed[m.ID] {
			continue
		}
		if err := m.Validate(); err != nil {
			// Publishing it would make the broker drop the connection,
			// after every reconnect: delete it instead of wedging.
			r.log.Error("dropping a message that cannot be published", "err", err)
			invalid = append(invalid, m.ID)
			continue
		}
		r.publish(m)
		room--
	}
	if len(invalid) > 0 {
		if err := r.box.Ack(invalid...); err != nil {
			r.outboxFailed(fmt.Errorf("drop %d invalid messages: %w", len(invalid), err))
			return
		}
		n := uint64(len(invalid))
		r.record(func(s *Stats) { s.Dropped += n }, fmt.Errorf("dropped %d invalid messages (first: %d)", n, invalid[0]))
	}
}

func (r *run) publish(m mqtt.Message) {
	r.attempt++
	f := flight{id: m.ID, attempt: r.attempt}
	r.inFlight[m.ID] = f.attempt
	before := r.reconnects.Reconnects()
	tok := r.client.Publish(m.Topic, 1, m.Retained, m.Payload)
	r.record(func(s *Stats) { s.Published++ }, nil)
	go r.await(f, tok, before)
}

// await reports how a flight ends. A token completing without error is a
// PUBACK only if no reconnect began since the publish: paho completes the
// tokens of publishes it re-sends after a reconnect without one.
func (r *run) await(f flight, tok paho.Token, reconnectsBefore uint64) {
	timer := time.NewTimer(r.cfg.AckTimeout)
	defer timer.Stop()
	o := outcome{flight: f}
	select {
	case <-tok.Done():
		o.err = tok.Error()
		if o.err == nil && r.reconnects.Reconnects() != reconnectsBefore {
			o.err = errReconnected
		}
	case <-timer.C:
		o.err = errAckTimeout
	case <-r.done:
		return
	}
	select {
	case r.outcomes <- o:
	case <-r.done:
	}
}

func (r *run) outboxFailed(err error) {
	if !r.failing {
		r.log.Error("outbox failing", "err", err)
		r.failing = true
	}
	r.record(nil, err)
}

func (r *run) outboxRecovered() {
	if r.failing {
		r.log.Info("outbox working again")
		r.failing = false
	}
}

// record updates the shared counters with edit (if any) and notes err (if
// any) as the last error.
func (r *run) record(edit func(*Stats), err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if edit != nil {
		edit(&r.stats)
	}
	if err != nil {
		r.stats.LastError, r.stats.LastErrorAt = err, time.Now()
	}
	r.stats.InFlight = len(r.inFlight)
}
