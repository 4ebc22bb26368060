package gpio

import (
	"errors"
	"sync"
	"time"
)

// fakeLines is a granted request whose edges the test feeds.
type fakeLines struct {
	ch     chan Edge
	mu     sync.Mutex
	closed bool
}

func newFakeLines() *fakeLines { return &fakeLines{ch: make(chan Edge, 64)} }

func (l *fakeLines) Edges() <-chan Edge { return l.ch }

func (l *fakeLines) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed { // idempotent, as the real Lines is
		l.closed = true
		close(l.ch)
	}
	return nil
}

func (l *fakeLines) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// request records one call of fakeChip.Request.
type request struct {
	offsets   []int
	activeLow bool
	debounce  time.Duration
}

// fakeChip fails its first len(fail) requests with those errors, then
// grants lines that it hands to the test on granted.
type fakeChip struct {
	mu       sync.Mutex
	fail     []error
	requests []request
	granted  chan *fakeLines
}

func newFakeChip(fail ...error) *fakeChip {
	return &fakeChip{fail: fail, granted: make(chan *fakeLines, 8)}
}

func (c *fakeChip) Request(offsets []int, activeLow bool, debounce time.Duration) (Lines, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, request{append([]int(nil), offsets...), activeLow, debounce})
	if len(c.fail) > 0 {
		err := c.fail[0]
		c.fail = c.fail[1:]
		return nil, err
	}
	l := newFakeLines()
	c.granted <- l
	return l, nil
}

func (c *fakeChip) calls() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]request(nil), c.requests...)
}

// fakeChips is a chipLister over a fixed /dev layout.
type fakeChips struct {
	labels map[string]string // name → label
	broken map[string]error  // name → error opening it
}

func (f fakeChips) Chips() []string {
	var names []string
	for n := range f.labels {
		names = append(names, n)
	}
	for n := range f.broken {
		names = append(names, n)
	}
	return names
}

func (f fakeChips) Label(name string) (string, error) {
	if err, ok := f.broken[name]; ok {
		return "", err
	}
	l, ok := f.labels[name]
	if !ok {
		return "", errors.New("no such device")
	}
	return l, nil
}
