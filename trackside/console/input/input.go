package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"
)

// Input finds touchscreens and keyboards, reads them and delivers their
// high-level events on Events. Devices are found by capability, and found
// again after they are unplugged and plugged back in (under any name).
type Input struct {
	cfg Config
	src Source
	log *slog.Logger
	hot hotkeyMap
	q   *queue
	out chan Event

	rescan chan struct{}
	scanMu sync.Mutex // one scan at a time, so a device is opened once

	mu      sync.Mutex
	open    map[string]*reader
	skipped map[string]bool   // neither touch nor keyboard: not opened again while listed
	failed  map[string]string // last open error, logged when it changes; retried every scan
	gone    counters          // counters of devices already closed
	unplugs uint64
	readers sync.WaitGroup
}

// New checks cfg (errors name the config key) and prepares an Input over
// src; Run starts it.
func New(cfg Config, src Source, log *slog.Logger) (*Input, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	hot, err := buildHotkeys(cfg.Hotkeys)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Input{
		cfg: cfg, src: src, log: log.With("component", "console-input"), hot: hot,
		q: newQueue(cfg.QueueSize), out: make(chan Event),
		rescan: make(chan struct{}, 1),
		open:   make(map[string]*reader), skipped: make(map[string]bool), failed: make(map[string]string),
	}, nil
}

// Events delivers the high-level events. It is closed when Run returns.
func (in *Input) Events() <-chan Event { return in.out }

// DeviceStatus is one device in use.
type DeviceStatus struct {
	Path, Name string
	Kind       Kind
}

// Stats are the figures for the console's health screen.
type Stats struct {
	Devices []DeviceStatus
	// Dropped events found the queue full (the console is not keeping up);
	// Coalesced drag moves were merged into one still waiting.
	Dropped, Coalesced uint64
	// SynDropped counts kernel buffer overflows (SYN_DROPPED); the touch
	// state is read back after each and the gesture in progress cancelled.
	SynDropped uint64
	// Malformed events could not be right (touch slot out of range, a
	// stream ending inside a record).
	Malformed uint64
	// OffPanel touches were outside the controller's range and ignored.
	OffPanel uint64
	// Unplugs counts devices that went away (read error such as ENODEV).
	Unplugs uint64
}

func (in *Input) Stats() Stats {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := Stats{Unplugs: in.unplugs}
	c := in.gone
	for path, r := range in.open {
		s.Devices = append(s.Devices, DeviceStatus{Path: path, Name: r.name, Kind: r.p.caps.Kind})
		r.mu.Lock()
		c.add(r.p.c)
		r.mu.Unlock()
	}
	sort.Slice(s.Devices, func(i, j int) bool { return s.Devices[i].Path < s.Devices[j].Path })
	s.SynDropped, s.Malformed, s.OffPanel = c.synDropped, c.malformed, c.offPanel
	s.Dropped, s.Coalesced = in.q.counts()
	return s
}

func (c *counters) add(o counters) {
	c.synDropped += o.synDropped
	c.malformed += o.malformed
	c.offPanel += o.offPanel
	c.resyncFail += o.resyncFail
}

// Rescan asks Run to list the devices now rather than at the next
// Config.Rescan tick.
func (in *Input) Rescan() {
	select {
	case in.rescan <- struct{}{}:
	default:
	}
}

// Run scans for devices and reads them until ctx ends, then closes them
// and Events. An Input runs once.
func (in *Input) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var pump sync.WaitGroup
	pump.Add(1)
	go func() {
		defer pump.Done()
		in.deliver(ctx)
	}()

	tick := time.NewTicker(in.cfg.Rescan)
	defer tick.Stop()
	for {
		in.scan()
		select {
		case <-ctx.Done():
			in.mu.Lock()
			for _, r := range in.open {
				r.dev.Close() // unblocks its Read
			}
			in.mu.Unlock()
			in.readers.Wait()
			pump.Wait()
			close(in.out)
			return nil
		case <-tick.C:
		case <-in.rescan:
		}
	}
}

// deliver moves events from the queue to the unbuffered Events channel, so
// events waiting for a slow console stay in the queue where drag moves can
// still be merged.
func (in *Input) deliver(ctx context.Context) {
	for {
		e, ok := in.q.pop()
		if !ok {
			select {
			case <-in.q.ready:
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case in.out <- e:
		case <-ctx.Done():
			return
		}
	}
}

// scan opens every listed device not yet open or skipped.
func (in *Input) scan() {
	in.scanMu.Lock()
	defer in.scanMu.Unlock()
	paths, err := in.src.List()
	if err != nil {
		in.log.Warn("listing input devices", "err", err)
		return
	}
	listed := make(map[string]bool, len(paths))
	for _, path := range paths {
		listed[path] = true
		in.mu.Lock()
		_, isOpen := in.open[path]
		_, isSkipped := in.skipped[path]
		in.mu.Unlock()
		if isOpen || isSkipped {
			continue
		}
		in.start(path)
	}
	in.mu.Lock()
	for path := range in.skipped {
		if !listed[path] {
			delete(in.skipped, path) // a device plugged in later may get this name
		}
	}
	for path := range in.failed {
		if !listed[path] {
			delete(in.failed, path)
		}
	}
	in.mu.Unlock()
}

// fail records why path could not be used. It is tried again at the next
// scan: right after a plug-in udev may not yet have given the node its
// group, so the first open can fail with EACCES. Logged once per reason.
func (in *Input) fail(path string, err error) {
	in.mu.Lock()
	repeated := in.failed[path] == err.Error()
	in.failed[path] = err.Error()
	in.mu.Unlock()
	if !repeated {
		in.log.Warn("input device not usable; retrying every scan", "path", path, "err", err)
	}
}

func (in *Input) start(path string) {
	dev, err := in.src.Open(path)
	if err != nil {
		in.fail(path, err)
		return
	}
	r, err := in.setup(path, dev)
	if err != nil {
		dev.Close()
		in.fail(path, err)
		return
	}
	if r == nil {
		dev.Close()
		in.mu.Lock()
		in.skipped[path] = true
		delete(in.failed, path)
		in.mu.Unlock()
		in.log.Debug("input device is neither a touchscreen nor a keyboard", "path", path)
		return
	}
	in.mu.Lock()
	in.open[path] = r
	delete(in.failed, path)
	in.mu.Unlock()
	in.log.Info("input device opened", "path", path, "name", r.name, "kind", r.p.caps.Kind.String())
	in.readers.Add(1)
	go func() {
		defer in.readers.Done()
		err := r.run()
		r.mu.Lock()
		r.p.gone()
		if r.timer != nil {
			r.timer.Stop()
		}
		c := r.p.c
		r.mu.Unlock()
		r.dev.Close()
		in.mu.Lock()
		delete(in.open, path)
		in.gone.add(c)
		if !errors.Is(err, errClosed) { // closed by Run's shutdown: not an unplug
			in.unplugs++
		}
		in.mu.Unlock()
		if !errors.Is(err, syscall.ENODEV) && !errors.Is(err, io.EOF) && !errors.Is(err, errClosed) {
			in.log.Warn("input device read failed; reopening", "path", path, "name", r.name, "err", err)
		} else {
			in.log.Info("input device gone", "path", path, "name", r.name, "err", err)
		}
		// No immediate rescan: a device that fails at once after opening
		// would be reopened in a tight loop. The next periodic scan finds it
		// (or its replacement after a replug) again.
	}()
}

// setup probes a device and builds its pipeline; nil, nil for a device
// that is neither a touchscreen nor a keyboard.
func (in *Input) setup(path string, dev Device) (*reader, error) {
	caps, err := probe(dev)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", path, err)
	}
	if caps.Kind == 0 {
		return nil, nil
	}
	name, err := dev.Name()
	if err != nil {
		return nil, fmt.Errorf("EVIOCGNAME %s: %w", path, err)
	}
	if err := dev.Layout().valid(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &reader{dev: dev, name: name}
	r.p, err = newPipeline(dev, caps, in.cfg, in.hot, in.q.push)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", path, name, err)
	}
	return r, nil
}

// errClosed is what a reader's run ends with once Run closed its device.
var errClosed = errors.New("device closed")

// reader reads one device.
type reader struct {
	dev  Device
	name string

	mu    sync.Mutex // guards p and timer: the read loop and the long-press timer share them
	p     *pipeline
	timer *time.Timer
}

// run reads until the device fails: an unplug (ENODEV), Close, or the end
// of a replayed stream.
func (r *reader) run() error {
	d := newDecoder(r.dev, r.dev.Layout())
	var evs []RawEvent
	for {
		var err error
		evs, err = d.read(evs[:0])
		r.mu.Lock()
		for _, e := range evs {
			r.p.feed(e)
		}
		if errors.Is(err, ErrTruncated) {
			r.p.c.malformed++
		}
		r.armLongPress()
		r.mu.Unlock()
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return errClosed
			}
			return err
		}
	}
}

// armLongPress sets a timer for a pending long-press when the device's
// clock can be read; r.mu is held.
func (r *reader) armLongPress() {
	clock, ok := r.dev.(eventClock)
	if !ok {
		return
	}
	at, pending := r.p.deadline()
	if !pending {
		if r.timer != nil {
			r.timer.Stop()
		}
		return
	}
	wait := at - clock.Now()
	if r.timer == nil {
		r.timer = time.AfterFunc(wait, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.p.tick(clock.Now())
			r.armLongPress() // still pending if the clocks disagree slightly: wait again
		})
		return
	}
	r.timer.Reset(wait)
}
