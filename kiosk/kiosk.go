// Package kiosk runs a leaderboard screen: the runtime around the kiosk's
// model (package kiosk/model) and its outputs.
//
//   - The model (kiosk/model) is pure: the tracks' retained standings,
//     race state and status with their ordering rules, the merge of tracks
//     into one board, and the scene that turns them into what is shown.
//   - The runtime (this package) subscribes read-only to the broker, feeds
//     the messages to the model from one goroutine, keeps a cache of the
//     inputs so that a reboot during a broker outage still shows the last
//     board, publishes the kiosk's status, and marks a heartbeat at every
//     pass of its render loop (the watchdog). After every change it
//     publishes one immutable model.Snapshot (Kiosk.Model).
//   - The outputs read that one snapshot: the screen is drawn by package
//     display to the framebuffer, a PNG file and an HTTP preview; the
//     public web pages, their live updates, the overlay and the
//     commentator view (package kiosk/web) serve it to browsers.
//
// Start opens the outputs and the web pages the config asks for and
// builds the kiosk on them; Run serves them until its context is done.
// cmd/kiosk, `pitwall demo` and `pitwall bench-web` all start a kiosk so.
// New builds a kiosk with only the outputs passed in Options (tests, and
// DrawOnce for `kiosk -once`).
package kiosk

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/display"
	"pitwall/display/fb"
	"pitwall/internal/heartbeat"
	"pitwall/internal/monoclock"
	"pitwall/kiosk/model"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// defaultSize is the frame size without a configured or detected one.
var defaultSize = image.Pt(1920, 1080)

// Cache write delays after a change: standings soon (they are what a
// rebooted kiosk must show), race state and status later (the broker
// repeats them anyway), so a running race does not rewrite the file every
// few seconds. While connected the file is also rewritten every
// cacheRefresh so that its last-contact time stays close to the truth.
const (
	cacheDelayStandings = 5 * time.Second
	cacheDelayOther     = time.Minute
	cacheRefresh        = 10 * time.Minute
)

// Options are what a caller adds to the config file.
type Options struct {
	Logger *slog.Logger
	// Outputs receive the frames: Start adds the config's outputs to
	// these (tests pass their own).
	Outputs []Output
	// OpenFB opens outputs.fb for Start; nil: fb.Open (the memory
	// benchmark opens a plain file laid out like a framebuffer).
	OpenFB func(path string, log *slog.Logger) (*fb.Framebuffer, error)
	// Size of the frame when the config gives none (the framebuffer's
	// mode); zero: defaultSize.
	Size image.Point
	// Synced reports whether the wall clock is right; nil:
	// monoclock.Synced. The clock is drawn only when it is.
	Synced func() bool
	// HighlightFor and OfflineGrace override the scene defaults (tests).
	HighlightFor time.Duration
	OfflineGrace time.Duration
	// OnFrame, when set, is called in the render loop after each frame
	// went to the outputs (tests, benchmarks). It must return quickly.
	OnFrame func(display.Board, *image.RGBA)
}

// Stats count what the kiosk did; all fields are totals since New.
type Stats struct {
	Received uint64 // messages taken from the broker
	Bad      uint64 // refused payloads (logged)
	Stale    uint64 // duplicates and older snapshots, dropped
	Dropped  uint64 // messages dropped by a full inbox
	// Oversized payloads were refused by their size in the MQTT handler,
	// before they were queued or decoded.
	Oversized uint64
	// HeldBack snapshots jumped implausibly far ahead in seq and wait
	// for corroboration (docs/kiosk.md, "Ordering").
	HeldBack uint64
	// OverTrackLimit messages named a new track while max_tracks were
	// held.
	OverTrackLimit uint64
	Frames         uint64 // frames that changed the screen
	CacheWrites    uint64
	CacheErrors    uint64
}

// Kiosk is a running leaderboard screen. Create it with Start (or New),
// run it with Run.
type Kiosk struct {
	beat     heartbeat.Beat // one mark per pass of the render loop (the watchdog)
	cfg      Config
	opt      Options
	log      *slog.Logger
	size     image.Point
	scene    *model.Scene
	inbox    *inbox
	renderer *display.Renderer
	boots    uint64
	boot     string
	start    time.Time

	// frameCopy is the copy of the frame that detached outputs and an
	// HTTP preview read; it holds memory only once one does.
	frameCopy *display.FrameCopy
	// redraw asks the render loop for a pass: a sink that a reader held
	// through a change can catch up (display.FrameCopy.Stale).
	redraw chan struct{}

	// link is set by paho's callbacks and read by the kiosk goroutine.
	link     atomic.Bool
	linkWake chan struct{}

	shows      atomic.Pointer[string]
	statusKick chan struct{}
	statusSeq  atomic.Uint64

	received, bad, stale, frames, cacheWrites, cacheErrors atomic.Uint64
	oversized, heldBack, overTrackLimit                    atomic.Uint64
	// oversizedLogged is when (Unix ns) an oversized payload was last
	// logged: the handler runs on paho's goroutines, so not in badLog.
	oversizedLogged atomic.Int64

	// model is the snapshot of the scene that the screen and the web
	// pages read; the loop publishes a new one after changes (dirty).
	model published
	dirty bool

	// served are the HTTP servers Start set up, which Run serves;
	// closers close what Start opened, when Run returns.
	served  []*served
	closers []func()

	mu        sync.Mutex
	lastBoard display.Board
	badLog    map[string]time.Time // topic → last logged refusal
}

// New builds a kiosk: it loads the cache (so the first frame shows the
// last board before the broker answers) and prepares the renderer. It
// opens no connection: Run does.
func New(cfg Config, opt Options) (*Kiosk, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kiosk config: %w", err)
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	if opt.Synced == nil {
		opt.Synced = monoclock.Synced
	}
	for _, o := range opt.Outputs {
		if err := o.validate(); err != nil {
			return nil, err
		}
	}
	size := image.Pt(cfg.Width, cfg.Height)
	if size == (image.Point{}) {
		size = opt.Size
	}
	if size == (image.Point{}) {
		size = defaultSize
	}
	fonts, err := cfg.Fonts.fontChain(log)
	if err != nil {
		return nil, fmt.Errorf("kiosk: fonts.fallback: %w", err)
	}
	r, err := display.NewRenderer(size.X, size.Y, display.WithFonts(fonts))
	if err != nil {
		return nil, fmt.Errorf("kiosk: %w", err)
	}
	now := time.Now()
	k := &Kiosk{
		cfg: cfg, opt: opt, log: log.With("kiosk", cfg.Kiosk), size: size, renderer: r,
		frameCopy: display.NewFrameCopy(), redraw: make(chan struct{}, 1),
		inbox: newInbox(), linkWake: make(chan struct{}, 1), statusKick: make(chan struct{}, 1),
		badLog: map[string]time.Time{}, start: now,
	}
	k.scene = model.NewScene(model.SceneConfig{
		Title: cfg.Title, Tracks: cfg.Tracks, MaxTracks: cfg.MaxTracks, Boards: cfg.Boards(), RotateEvery: time.Duration(cfg.RotateEvery),
		Focus: cfg.Focus, HighlightFor: opt.HighlightFor, OfflineGrace: opt.OfflineGrace, QR: cfg.Web.PublicURL,
	}, now)
	k.loadCache()
	k.publish(now)
	k.boots++
	k.boot = fmt.Sprintf("%s-%d", kernelBootID(), k.boots)
	empty := ""
	k.shows.Store(&empty)
	return k, nil
}

// loadCache applies the cached inputs, as if the broker had sent them.
func (k *Kiosk) loadCache() {
	f, err := readCache(k.cfg.Cache)
	switch {
	case errors.Is(err, errNoCache):
		k.log.Info("no cached board yet", "cache", k.cfg.Cache)
		return
	case err != nil:
		// A damaged cache must not keep the screen dark: start empty,
		// the broker fills the board.
		k.log.Error("cached board unreadable; starting empty", "err", err)
		return
	}
	k.boots = f.Boots
	applied := 0
	for _, m := range f.Messages() {
		if _, err := k.scene.Apply(m); err != nil {
			k.log.Error("cached payload refused", "topic", m.Topic, "err", err)
			continue
		}
		applied++
	}
	k.scene.SetLastContact(f.LastContact())
	lastContact := "unknown (clock was not synced)"
	if lc := f.LastContact(); !lc.IsZero() {
		lastContact = lc.Format(time.RFC3339)
	}
	k.log.Info("cached board loaded", "cache", k.cfg.Cache, "payloads", applied, "tracks", len(f.Tracks),
		"last_contact", lastContact)
}

// Size is the frame size.
func (k *Kiosk) Size() image.Point { return k.size }

// FrameCopy is the copy of the screen's frame that the detached outputs
// read. An HTTP preview serving it (preview.NewShared) adds no frame of
// its own: at 1080p each frame is 8.3 MB, most of a kiosk's memory.
func (k *Kiosk) FrameCopy() *display.FrameCopy { return k.frameCopy }

// Boot is the id stamped on the kiosk's status: kernel boot id and start count.
func (k *Kiosk) Boot() string { return k.boot }

// Connected reports whether the kiosk's MQTT connection is up now.
func (k *Kiosk) Connected() bool { return k.link.Load() }

// Board returns the board last drawn.
func (k *Kiosk) Board() display.Board {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastBoard
}

// Stats returns the kiosk's counters.
func (k *Kiosk) Stats() Stats {
	return Stats{
		Received: k.received.Load(), Bad: k.bad.Load(), Stale: k.stale.Load(), Dropped: k.inbox.dropped.Load(),
		Oversized: k.oversized.Load(), HeldBack: k.heldBack.Load(), OverTrackLimit: k.overTrackLimit.Load(),
		Frames: k.frames.Load(), CacheWrites: k.cacheWrites.Load(), CacheErrors: k.cacheErrors.Load(),
	}
}

// Run shows the cached board at once, then connects to the broker and
// keeps the screen and the other outputs current until ctx is done; it
// serves the HTTP preview and web pages that Start set up, and closes
// them when it returns. It returns nil on a clean stop.
func (k *Kiosk) Run(ctx context.Context) error {
	stopServing := k.serve(ctx)
	defer stopServing() // last: after the goroutines below stopped
	var wg sync.WaitGroup
	defer wg.Wait() // runs after cancel: the goroutines below stop on ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	sinks := &frameSinks{log: k.log, failing: map[string]bool{}}
	var detachedOuts []*detached
	var detachedRunning sync.WaitGroup
	for _, o := range k.opt.Outputs {
		if !o.Detached {
			sinks.add(o.Name, o.Sink)
			continue
		}
		d := &detached{out: o, frames: k.frameCopy, log: k.log}
		detachedOuts = append(detachedOuts, d)
		detachedRunning.Add(1)
		go func() { defer detachedRunning.Done(); d.run(ctx) }()
	}
	sinks.add("frame copy", k.frameCopy)
	// A sink that a reader held through a change (the kiosk's FrameCopy,
	// an HTTP preview's own) asks for a pass to catch up.
	for _, s := range sinks.sinks {
		if st, ok := s.(interface{ Stale() <-chan struct{} }); ok {
			wg.Add(1)
			go func() { defer wg.Done(); forwardKicks(ctx, st.Stale(), k.redraw) }()
		}
	}

	cache := newCacheWriter(k.cfg.Cache, k.log, &k.cacheWrites, &k.cacheErrors)
	wg.Add(1)
	go func() { defer wg.Done(); cache.run(ctx) }()

	// The first frame: the cached board (or the empty state), before any
	// network.
	k.draw(time.Now(), sinks)
	cache.save(k.cacheFile(time.Now()), 0) // persists the start count

	client := k.connect()
	wg.Add(1)
	go func() { defer wg.Done(); k.publishStatus(ctx, client) }()

	err := k.loop(ctx, sinks, cache)

	// The detached outputs get the last board (the PNG on disk then shows
	// it): once they have stopped, the copy catches up and each output
	// that has not had it yet gets it.
	detachedRunning.Wait()
	k.frameCopy.Show(k.renderer.Frame(), nil)
	for _, d := range detachedOuts {
		fctx, fcancel := context.WithTimeout(context.Background(), time.Second)
		d.show(fctx)
		fcancel()
	}

	// Clean stop: the last inputs to disk, "offline" to the broker (the
	// LWT is only sent for unclean disconnects), then leave.
	cache.flush(k.cacheFile(time.Now()))
	if client.IsConnectionOpen() {
		if p, perr := k.statusPayload(false); perr == nil {
			client.Publish(mqtt.KioskStatus(k.cfg.Kiosk), 1, true, p).WaitTimeout(time.Second)
		}
	}
	client.Disconnect(250)
	return err
}

// Heartbeat is marked at every pass of the render loop: at least every
// IdleTick while it runs.
func (k *Kiosk) Heartbeat() *heartbeat.Beat { return &k.beat }

// loop is the kiosk's own goroutine: it alone touches the scene and the
// renderer.
func (k *Kiosk) loop(ctx context.Context, sinks *frameSinks, cache *cacheWriter) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	refresh := time.NewTicker(cacheRefresh)
	defer refresh.Stop()
	linkUp := false
	// syncLink brings the scene in line with the connection; it reports
	// whether the link changed, and a loss records the last contact.
	syncLink := func(cacheDelay *time.Duration) bool {
		up := k.link.Load()
		if up == linkUp {
			return false
		}
		linkUp = up
		now := time.Now()
		if up {
			k.scene.SetConnected(now)
		} else {
			k.scene.SetDisconnected(now)
			*cacheDelay = 0 // record the last contact
		}
		return true
	}
	for {
		k.beat.Mark()
		var cacheDelay time.Duration = -1
		select {
		case <-ctx.Done():
			return nil
		case <-k.inbox.ready:
			// Messages come on a connection: its news is taken first, or
			// a board received just after connecting could be cached
			// (and the loop stopped) before the contact was recorded
			// (select picks among ready cases at random).
			syncLink(&cacheDelay)
			for _, m := range k.inbox.take() {
				if d := k.apply(m); d >= 0 && (cacheDelay < 0 || d < cacheDelay) {
					cacheDelay = d
				}
			}
			if k.dirty {
				k.publish(time.Now())
				k.dirty = false
			}
		case <-k.linkWake:
			if !syncLink(&cacheDelay) {
				continue
			}
		case <-refresh.C:
			if linkUp {
				cacheDelay = 0
			}
		case <-k.redraw:
		case <-timer.C:
		}
		now := time.Now()
		k.draw(now, sinks)
		if cacheDelay >= 0 {
			cache.save(k.cacheFile(now), cacheDelay)
		}
		snap, _ := k.model.get()
		if s := snap.Shows(now); s != *k.shows.Load() {
			k.shows.Store(&s)
			kick(k.statusKick)
		}
		// The next tick: on the tick grid, so the race clock's tenths
		// advance evenly however long this pass took.
		every := snap.TickEvery(now)
		next := every - now.Sub(k.start)%every
		timer.Reset(next)
	}
}

// apply takes one message into the scene and counts it. It returns the
// cache delay the change calls for, or -1 when nothing changed.
func (k *Kiosk) apply(m model.Message) time.Duration {
	k.received.Add(1)
	u, err := k.scene.Apply(m)
	switch {
	case errors.Is(err, model.ErrTooManyTracks):
		k.overTrackLimit.Add(1)
		if now := time.Now(); now.Sub(k.badLog["max_tracks"]) >= 10*time.Second {
			k.badLog["max_tracks"] = now
			k.log.Warn("new track ignored: max_tracks reached (list the tracks in the config to choose them)",
				"topic", m.Topic, "max_tracks", k.cfg.maxTracks(), "ignored_total", k.overTrackLimit.Load())
		}
		return -1
	case errors.Is(err, model.ErrIgnored):
		return -1
	case err != nil:
		k.bad.Add(1)
		k.logBad(m.Topic, err)
		return -1
	case u.HeldBack:
		k.heldBack.Add(1)
		k.log.Warn("snapshot held back: its seq jumps far ahead of the track's others; taken once another snapshot corroborates it",
			"topic", m.Topic, "held_back_total", k.heldBack.Load())
		return -1
	case !u.Changed:
		k.stale.Add(1)
		return -1
	}
	k.dirty = true
	if strings.HasSuffix(m.Topic, "/standings") {
		return cacheDelayStandings
	}
	return cacheDelayOther
}

// logBad logs a refused payload, at most once per topic every 10 s: a
// misbehaving publisher must not flood the log (the count is in Stats).
func (k *Kiosk) logBad(topic string, err error) {
	now := time.Now()
	if last, ok := k.badLog[topic]; ok && now.Sub(last) < 10*time.Second {
		return
	}
	k.badLog[topic] = now
	k.log.Error("payload refused; board unchanged", "topic", topic, "err", err, "refused_total", k.bad.Load())
}

// draw renders the published snapshot at now and sends the changed parts
// to the outputs.
func (k *Kiosk) draw(now time.Time, sinks *frameSinks) {
	snap, _ := k.model.get()
	b := snap.Screen(k.scene.Link(), now, now, k.opt.Synced())
	damaged := k.renderer.Render(b)
	k.mu.Lock()
	k.lastBoard = b
	k.mu.Unlock()
	// Outputs are shown every pass, with no damage when nothing changed:
	// a FrameCopy that a reader held through a change catches up then.
	sinks.show(k.renderer.Frame(), damaged)
	if len(damaged) == 0 {
		return
	}
	k.frames.Add(1)
	if k.opt.OnFrame != nil {
		k.opt.OnFrame(b, k.renderer.Frame())
	}
}

// cacheFile is the cache's content at now.
func (k *Kiosk) cacheFile(now time.Time) cacheFile {
	f := cacheFile{Boots: k.boots, Tracks: cachedTracks(k.scene.Inputs())}
	if k.opt.Synced() {
		f.SavedMS = now.UnixMilli()
		if lc := k.scene.LastContact(now, now); !lc.IsZero() {
			f.LastContactMS = lc.UnixMilli()
		}
	} else if lc := k.scene.RecordedContact(); !lc.IsZero() {
		// Not synced now: keep what an earlier run recorded.
		f.LastContactMS = lc.UnixMilli()
	}
	return f
}

// topicPayloadLimit is the payload limit of a topic the kiosk reads.
func topicPayloadLimit(topic string) int {
	if _, kind, err := model.ParseTopic(topic); err == nil {
		return model.MaxPayload(kind)
	}
	return mqtt.MaxPayload
}

// refuseOversized counts a payload refused by its size and logs it, at
// most every 10 s. It runs on paho's goroutines.
func (k *Kiosk) refuseOversized(topic string, n int) {
	k.oversized.Add(1)
	now := time.Now().UnixNano()
	if last := k.oversizedLogged.Load(); now-last >= int64(10*time.Second) && k.oversizedLogged.CompareAndSwap(last, now) {
		k.log.Error("payload refused: too large; board unchanged", "topic", topic, "bytes", n,
			"limit", topicPayloadLimit(topic), "oversized_total", k.oversized.Load())
	}
}

// topics are the kiosk's subscriptions: every track or the configured ones.
func (k *Kiosk) topics() map[string]byte {
	if len(k.cfg.Tracks) == 0 {
		return map[string]byte{mqtt.AllTrackStatus: 1, mqtt.AllTrackStandings: 1, mqtt.AllTrackRace: 1}
	}
	t := map[string]byte{}
	for _, id := range k.cfg.Tracks {
		t[mqtt.TrackStatus(id)], t[mqtt.TrackStandings(id)], t[mqtt.TrackRace(id)] = 1, 1, 1
	}
	return t
}

// handle is paho's message handler: it copies the message into the inbox
// and returns at once.
//
// A payload over its kind's limit (MaxPayload) was cut on the connection
// (topicPayloadLimit) and arrives empty; an empty payload is also what a
// broker sends when a retained message is cleared. Neither is a state: the
// kiosk keeps what it shows. The size is checked here again, before the
// message is queued or decoded, for a client built without the cut.
func (k *Kiosk) handle(_ paho.Client, m paho.Message) {
	if len(m.Payload()) == 0 {
		return
	}
	if n, limit := len(m.Payload()), topicPayloadLimit(m.Topic()); n > limit {
		k.refuseOversized(m.Topic(), n)
		return
	}
	k.inbox.put(model.Message{Topic: m.Topic(), Payload: m.Payload(), Retained: m.Retained(), At: time.Now()})
}

// connect starts the MQTT client; it keeps retrying in the background.
func (k *Kiosk) connect() paho.Client {
	will, _ := k.statusPayloadSeq(false, 0)
	return k.newClient(&mqtt.Message{Topic: mqtt.KioskStatus(k.cfg.Kiosk), Payload: will, Retained: true},
		func() { kick(k.statusKick) })
}

// newClient builds and starts the client: with a will (a running kiosk) or
// without (DrawOnce, which publishes nothing). subscribed runs after
// each successful subscription.
func (k *Kiosk) newClient(will *mqtt.Message, subscribed func()) paho.Client {
	cc := client.Config{
		Broker:   k.cfg.Broker.URL,
		ClientID: k.cfg.Broker.ClientID,
		Username: k.cfg.Broker.Username,
		Will:     will,
		Logger:   k.log,
		// Oversized payloads are cut on the connection, before paho
		// reads them into memory (a 10 MB one would cost 20 MB there).
		MaxPayload:  topicPayloadLimit,
		OnOversized: k.refuseOversized,
		OnConnect: func(c paho.Client) {
			k.setLink(true)
			if k.subscribe(c) {
				subscribed()
			}
		},
		OnLost: func(error) { k.setLink(false) },
	}
	if cc.ClientID == "" || will == nil {
		// A one-shot frame must not take over the running kiosk's client id.
		cc.ClientID = client.UniqueID("pitwall-kiosk-" + k.cfg.Kiosk)
	}
	if user, pw, err := k.cfg.Broker.Credentials(mqtt.KioskUser(k.cfg.Kiosk)); err != nil {
		k.log.Error("connecting without password", "err", err)
	} else {
		cc.Username, cc.Password = user, pw
	}
	if tc, err := client.TLSConfig(k.cfg.Broker.CAFile); err != nil {
		k.log.Error("connecting without the configured CA", "err", err)
	} else {
		cc.TLS = tc
	}
	client := client.New(cc)
	client.Connect() // ConnectRetry: keeps trying in the background
	return client
}

// subscribe runs in paho's OnConnect goroutine (so it may wait): with a
// clean session the broker forgot the subscriptions, and the retained
// state arrives right after SUBACK. A failed SUBSCRIBE is retried while
// the connection stands: without it the screen would silently freeze.
func (k *Kiosk) subscribe(c paho.Client) bool {
	for attempt := 1; c.IsConnectionOpen(); attempt++ {
		tok := c.SubscribeMultiple(k.topics(), k.handle)
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			k.log.Info("subscribed", "topics", len(k.topics()))
			return true
		}
		k.log.Error("subscribe failed; retrying", "attempt", attempt, "err", tok.Error())
		time.Sleep(time.Second)
	}
	return false
}

func (k *Kiosk) setLink(up bool) {
	k.link.Store(up)
	kick(k.linkWake)
}

// forwardKicks kicks to whenever from receives, until ctx is done.
func forwardKicks(ctx context.Context, from <-chan struct{}, to chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-from:
			kick(to)
		}
	}
}

func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// cacheWriter writes the cache from its own goroutine: an fsync on an SD
// card may take long, and the screen must not wait for it. Saves are
// merged: the file gets the latest content, at the earliest deadline asked.
type cacheWriter struct {
	path          string
	log           *slog.Logger
	writes, fails *atomic.Uint64

	mu       sync.Mutex
	want     *cacheFile
	deadline time.Time
	wake     chan struct{}
	writing  sync.Mutex
}

func newCacheWriter(path string, log *slog.Logger, writes, fails *atomic.Uint64) *cacheWriter {
	return &cacheWriter{path: path, log: log, writes: writes, fails: fails, wake: make(chan struct{}, 1)}
}

// save asks for f to be written within delay.
func (w *cacheWriter) save(f cacheFile, delay time.Duration) {
	w.mu.Lock()
	d := time.Now().Add(delay)
	if w.want == nil || d.Before(w.deadline) {
		w.deadline = d
	}
	w.want = &f
	w.mu.Unlock()
	kick(w.wake)
}

func (w *cacheWriter) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
		w.mu.Lock()
		f, due := w.want, w.deadline
		if f != nil && !time.Now().Before(due) {
			w.want = nil
		}
		w.mu.Unlock()
		if f == nil {
			continue
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			continue
		}
		w.write(*f)
	}
}

// flush writes f now (at shutdown), after any write in progress.
func (w *cacheWriter) flush(f cacheFile) {
	w.mu.Lock()
	w.want = nil
	w.mu.Unlock()
	w.write(f)
}

func (w *cacheWriter) write(f cacheFile) {
	w.writing.Lock()
	defer w.writing.Unlock()
	if err := os.MkdirAll(filepath.Dir(w.path), 0o755); err != nil {
		w.fails.Add(1)
		w.log.Error("cache directory", "err", err)
		return
	}
	if err := writeCache(w.path, f); err != nil {
		w.fails.Add(1)
		w.log.Error("cache not saved", "err", err)
		return
	}
	w.writes.Add(1)
}

// kernelBootID is the first 8 characters of the kernel's boot id, as the
// trackside stamps it.
func kernelBootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	id := strings.TrimSpace(string(b))
	if err != nil || len(id) < 8 {
		return "00000000"
	}
	return id[:8]
}
