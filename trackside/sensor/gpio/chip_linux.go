//go:build linux

package gpio

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warthog618/go-gpiocdev"
)

// edgeBuffer is how many edges wait between gpiocdev's event goroutine and
// Run. Run only falls behind while the sink waits for an fsync; at a few
// crossings a second 256 edges is minutes of slack.
const edgeBuffer = 256

// kernelEventBuffer asks the kernel to keep more events per request than its
// default (16 per line) while user space is descheduled.
const kernelEventBuffer = 64

// consumer is the name the kernel shows for our lines (gpioinfo).
const consumer = "pitwall"

// systemChips lists the real GPIO character devices.
type systemChips struct{}

func (systemChips) Chips() []string { return gpiocdev.Chips() }

func (systemChips) Label(name string) (string, error) {
	c, err := gpiocdev.NewChip(name, gpiocdev.WithConsumer(consumer))
	if err != nil {
		return "", fmt.Errorf("open %s: %w", devPath(name), err)
	}
	defer c.Close()
	return c.Label, nil
}

// FindChip returns the /dev/gpiochipN path of the GPIO chip labelled label,
// scanning every /dev/gpiochip* in numeric order.
func FindChip(label string) (string, error) { return findChip(systemChips{}, label) }

// cdevChip is a Chip on the Linux GPIO character device (uAPI v2).
type cdevChip struct {
	label string
	log   *slog.Logger
}

// OpenChip returns the GPIO chip labelled label. The label is resolved at
// every Request, not here: a trackside that boots before the GPIO driver
// has probed (or whose chip number changed) finds the chip on Run's next
// retry instead of failing for good.
func OpenChip(label string) (Chip, error) {
	if label == "" {
		return nil, errors.New("open gpio chip: empty label")
	}
	return &cdevChip{label: label, log: slog.Default()}, nil
}

func (c *cdevChip) String() string { return "gpio chip " + c.label }

// Request asks the kernel for edge events on offsets. Only the edge to the
// active level is requested: the release of a beam or strip is no crossing,
// and not asking for it halves the events that could overflow the kernel's
// buffer. The idle level gets the matching internal pull (pull-up for
// active-low), which open-collector beam-break receivers and switch-type
// pressure strips need and push-pull sensors override.
func (c *cdevChip) Request(offsets []int, activeLow bool, debounce time.Duration) (Lines, error) {
	path, err := FindChip(c.label)
	if err != nil {
		return nil, err
	}
	l := &cdevLines{ch: make(chan Edge, edgeBuffer), log: c.log.With("chip", path)}
	opts := []gpiocdev.LineReqOption{
		gpiocdev.WithConsumer(consumer),
		gpiocdev.AsInput,
		gpiocdev.WithRisingEdge,
		gpiocdev.WithMonotonicEventClock,
		gpiocdev.WithEventBufferSize(kernelEventBuffer),
		gpiocdev.WithEventHandler(l.handle),
	}
	if activeLow {
		opts = append(opts, gpiocdev.AsActiveLow, gpiocdev.WithPullUp)
	} else {
		opts = append(opts, gpiocdev.AsActiveHigh, gpiocdev.WithPullDown)
	}
	req, err := gpiocdev.RequestLines(path, offsets, append(opts, debounceOpts(debounce)...)...)
	var abi gpiocdev.ErrUapiIncompatibility
	if debounce > 0 && errors.As(err, &abi) {
		// Kernel debounce needs uAPI v2 (Linux 5.10); the software hold-off
		// still removes chatter without it.
		c.log.Warn("gpio: kernel debounce unavailable, relying on the hold-off alone",
			"chip", path, "err", err)
		req, err = gpiocdev.RequestLines(path, offsets, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("request gpio lines %v on %s: %w", offsets, path, err)
	}
	l.req = req
	return l, nil
}

func debounceOpts(d time.Duration) []gpiocdev.LineReqOption {
	if d <= 0 {
		return nil
	}
	return []gpiocdev.LineReqOption{gpiocdev.WithDebounce(d)}
}

// cdevLines adapts a gpiocdev request to Lines.
type cdevLines struct {
	req     *gpiocdev.Lines
	ch      chan Edge
	log     *slog.Logger
	dropped atomic.Uint64
	once    sync.Once
}

func (l *cdevLines) Edges() <-chan Edge { return l.ch }

// handle runs on gpiocdev's event goroutine, which is also what drains the
// kernel's buffer, so it must never block. An edge that finds the channel
// full is dropped here; it is counted once, by Run, as the gap it leaves in
// the line's sequence numbers when the next edge arrives.
func (l *cdevLines) handle(le gpiocdev.LineEvent) {
	e := Edge{
		Offset:      le.Offset,
		Rising:      le.Type == gpiocdev.LineEventRisingEdge,
		TimestampNS: int64(le.Timestamp),
		Seqno:       le.Seqno,
		LineSeqno:   le.LineSeqno,
	}
	select {
	case l.ch <- e:
	default:
		n := l.dropped.Add(1)
		if n&(n-1) == 0 { // 1, 2, 4, 8…: noted without flooding the log
			l.log.Warn("gpio: edge buffer full, edge dropped", "offset", e.Offset,
				"line_seqno", e.LineSeqno, "dropped_total", n)
		}
	}
}

// Close releases the lines. gpiocdev's Close waits for the event handler to
// return and never calls it again, so closing the channel afterwards is safe.
func (l *cdevLines) Close() error {
	var err error
	l.once.Do(func() {
		if cerr := l.req.Close(); cerr != nil {
			err = fmt.Errorf("release gpio lines %v: %w", l.req.Offsets(), cerr)
		}
		close(l.ch)
	})
	return err
}
