// Package admin runs signed admin commands on a trackside: it takes what
// arrives on the unit's admin request topic and on the event's, verifies
// it (mqtt.Verifier), runs it through the track's API — whose writer checks
// and records the key's sequence number in the transaction of the effect —
// and answers on the unit's admin reply topic. Every refused command gets
// an error reply and an audit entry and changes nothing else.
//
// Personal data (email, phone, full name) leaves the trackside only in
// replies to admin keys; log lines here name the key, the command and the
// code, never arguments or messages.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"pitwall/internal/jsonconf"
	"pitwall/mqtt"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// Config is the trackside config's "admin" section.
//
//	"admin": {"keys": [{"id":"alice","role":"admin","public_key":"<base64>"}], "clock_window": "2m"}
type Config struct {
	Keys []mqtt.AuthorizedKey `json:"keys"`
	// ClockWindow: how far a command's issued_at may be from this unit's
	// clock, once the clock is synced; default 2m.
	ClockWindow jsonconf.Duration `json:"clock_window,omitempty"`
}

// Validate reports the first invalid key, named as in the config file.
func (c Config) Validate() error {
	if w := time.Duration(c.ClockWindow); w < 0 || (w != 0 && w < time.Second) || w > 24*time.Hour {
		return fmt.Errorf("clock_window: %v is outside 1s..24h", w)
	}
	_, err := mqtt.NewVerifier("x", c.Keys, 0)
	return err
}

// Publish sends one reply (QoS 1, not retained) and returns once the broker
// has it or it failed.
type Publish func(topic string, payload []byte) error

// Options of a Handler.
type Options struct {
	Track   *track.Track
	Store   *store.Store
	Config  Config
	Publish Publish
	Logger  *slog.Logger
	Version string
	// Now and Synced are the unit's wall clock and whether it is synced;
	// defaults time.Now and track.ClockSynced.
	Now    func() time.Time
	Synced func() bool
	// MaxRefusalAudits bounds the audit entries written for refused
	// commands per minute, so a flood of forgeries cannot fill the card;
	// 0 means 600. Refusals beyond it are still answered and counted in
	// the log.
	MaxRefusalAudits int
}

// Handler verifies and runs commands for one trackside.
type Handler struct {
	o      Options
	v      *mqtt.Verifier
	log    *slog.Logger
	in     chan delivery
	mu     sync.Mutex
	window time.Time // start of the current refusal-audit minute
	audits int       // refusal audits in it
	unlog  int       // refusals not audited in it
}

type delivery struct {
	topic   string
	payload []byte
}

// Topics are the topics a unit subscribes to for commands.
func Topics(trackID string) []string { return []string{mqtt.AdminReq(trackID), mqtt.EventAdminReq} }

// New builds a handler.
func New(o Options) (*Handler, error) {
	if o.Track == nil || o.Store == nil || o.Publish == nil {
		return nil, errors.New("admin: track, store and publish are needed")
	}
	v, err := mqtt.NewVerifier(o.Track.ID(), o.Config.Keys, time.Duration(o.Config.ClockWindow))
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Synced == nil {
		o.Synced = track.ClockSynced
	}
	if o.MaxRefusalAudits <= 0 {
		o.MaxRefusalAudits = 600
	}
	return &Handler{o: o, v: v, log: o.Logger.With("track", o.Track.ID()), in: make(chan delivery, 64)}, nil
}

// Deliver queues a message from a request topic; it never blocks (the MQTT
// client's goroutine calls it). When 64 commands are waiting, the message
// is dropped and logged: the admin sees no reply and sends it again.
func (h *Handler) Deliver(topic string, payload []byte) {
	if len(payload) > mqtt.MaxCommand {
		// Refused as too large by its length alone: keep no more of it
		// than that takes.
		payload = payload[:mqtt.MaxCommand+1]
	}
	select {
	case h.in <- delivery{topic: topic, payload: append([]byte(nil), payload...)}:
	default:
		h.log.Warn("admin command dropped: queue full", "topic", topic, "bytes", len(payload))
	}
}

// Run handles queued commands one at a time, in arrival order, until ctx is done.
func (h *Handler) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case d := <-h.in:
			h.Handle(ctx, d.topic, d.payload)
		}
	}
}

// Handle verifies and runs one command and sends its reply (or replies).
func (h *Handler) Handle(ctx context.Context, topic string, payload []byte) {
	cmd, err := h.v.Verify(topic, payload, h.o.Now(), h.o.Synced())
	if err != nil {
		h.refuse(ctx, cmd, "unverified", err)
		return
	}
	exec, err := prepare(h, cmd)
	if err != nil {
		h.refuse(ctx, cmd, cmd.Key, err)
		return
	}
	start := time.Now()
	res, err := exec(track.WithCommandSeq(ctx, cmd.Key, cmd.Seq))
	if err != nil {
		ce := classify(err)
		h.log.Info("admin command failed", "key", cmd.Key, "cmd", cmd.Name, "id", cmd.ID, "code", ce.Code)
		h.reply(mqtt.Reply{ID: cmd.ID, Cmd: cmd.Name, Error: ce, Result: res.raw})
		return
	}
	h.log.Info("admin command", "key", cmd.Key, "cmd", cmd.Name, "id", cmd.ID, "took", time.Since(start))
	if res.streamed {
		return // the chunks were the reply
	}
	h.reply(mqtt.Reply{ID: cmd.ID, Cmd: cmd.Name, OK: true, Result: res.raw})
}

// refuse answers and audits a command that did not reach the track.
func (h *Handler) refuse(ctx context.Context, cmd mqtt.Command, who string, err error) {
	ce := classify(err)
	if who == "unverified" && cmd.Key != "" {
		who = "unverified:" + clip(cmd.Key, 100)
	}
	name := clip(cmd.Name, 64)
	if name == "" {
		name = "?"
	}
	h.log.Warn("admin command refused", "who", who, "cmd", name, "id", clip(cmd.ID, 64), "code", ce.Code)
	if h.auditAllowed() {
		if aerr := h.o.Track.Refuse(ctx, who, "admin.refused", name, ce); aerr != nil {
			h.log.Error("audit of a refused command failed", "err", aerr)
		}
	}
	var withResult refusal
	errors.As(err, &withResult)
	h.reply(mqtt.Reply{ID: clip(cmd.ID, 64), Cmd: name, Error: ce, Result: withResult.raw})
}

func (h *Handler) auditAllowed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	if now.Sub(h.window) >= time.Minute {
		if h.unlog > 0 {
			h.log.Warn("refused commands not audited (over the per-minute limit)", "count", h.unlog)
		}
		h.window, h.audits, h.unlog = now, 0, 0
	}
	if h.audits >= h.o.MaxRefusalAudits {
		h.unlog++
		return false
	}
	h.audits++
	return true
}

func (h *Handler) reply(r mqtt.Reply) {
	r.Track = h.o.Track.ID()
	b, err := mqtt.EncodeReply(r)
	if err != nil {
		h.log.Error("admin reply not encoded", "id", r.ID, "err", err)
		return
	}
	if err := h.o.Publish(mqtt.AdminResp(r.Track), b); err != nil {
		h.log.Warn("admin reply not sent", "id", r.ID, "err", err)
	}
}

// classify gives an error its wire code. Messages of failed commands come
// from the track (they may name a racer id, never contact details).
func classify(err error) *mqtt.CommandError {
	var ce *mqtt.CommandError
	if errors.As(err, &ce) {
		return ce
	}
	var re *track.ReplayError
	switch {
	case errors.As(err, &re):
		return mqtt.Errorf(mqtt.CodeReplay, "%s", re.Error())
	case errors.Is(err, track.ErrStopped), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return mqtt.Errorf(mqtt.CodeInternal, "%v", err)
	}
	return mqtt.Errorf(mqtt.CodeFailed, "%v", err)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
