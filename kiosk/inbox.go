package kiosk

import (
	"sync"
	"sync/atomic"

	"pitwall/kiosk/model"
)

// Inbox bounds: every topic a kiosk reads is retained state where only the
// newest snapshot matters, so a few per topic suffice (several may be in
// flight at once: paho runs handlers concurrently, and the newest by seq is
// not always the last to arrive). The total bounds memory if a publisher
// floods the wildcard topics with made-up track ids.
const (
	inboxPerTopic = 4
	inboxTopics   = 1024
)

// inbox hands messages from paho's handlers to the kiosk's goroutine
// without ever blocking a handler: put only appends under a mutex and
// signals. When a topic's queue is full its oldest message is dropped
// (counted); the kiosk keeps the highest seq among those it gets.
type inbox struct {
	mu      sync.Mutex
	pending map[string][]model.Message
	order   []string // topics with pending messages, first arrival first
	ready   chan struct{}
	dropped atomic.Uint64
}

func newInbox() *inbox {
	return &inbox{pending: map[string][]model.Message{}, ready: make(chan struct{}, 1)}
}

// put queues m and wakes the kiosk. It never blocks.
func (b *inbox) put(m model.Message) {
	b.mu.Lock()
	q, ok := b.pending[m.Topic]
	switch {
	case !ok && len(b.order) >= inboxTopics:
		b.mu.Unlock()
		b.dropped.Add(1)
		return
	case !ok:
		b.order = append(b.order, m.Topic)
	case len(q) >= inboxPerTopic:
		copy(q, q[1:])
		q = q[:len(q)-1]
		b.dropped.Add(1)
	}
	b.pending[m.Topic] = append(q, m)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default: // already signalled
	}
}

// take returns every pending message, grouped by topic in order of first
// arrival, and empties the inbox.
func (b *inbox) take() []model.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []model.Message
	for _, t := range b.order {
		out = append(out, b.pending[t]...)
		delete(b.pending, t)
	}
	b.order = b.order[:0]
	return out
}
