package publish_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"pitwall/mqtt"
)

// memOutbox is an in-memory publish.Outbox: a map of messages and their IDs
// in order. It counts calls and can hold or fail Ack for tests.
type memOutbox struct {
	mu     sync.Mutex
	msgs   map[uint64]mqtt.Message
	order  []uint64 // every ID added, ascending; deleted ones are skipped
	head   int      // order[:head] are all deleted
	nextID uint64
	notify chan struct{}

	pendingCalls atomic.Int64
	ackCalls     atomic.Int64
	batches      [][]uint64 // IDs of each successful Ack call

	failAcks int           // fail this many Ack calls
	ackGate  chan struct{} // if set, the first Ack call waits until it is closed
}

func newMemOutbox() *memOutbox {
	return &memOutbox{msgs: map[uint64]mqtt.Message{}, notify: make(chan struct{}, 1)}
}

// payload is what test messages carry: their ID, as pitwall payloads do.
type payload struct {
	V  int    `json:"v"`
	ID uint64 `json:"id"`
	N  int    `json:"n,omitempty"`
}

func decodeID(t testing.TB, b []byte) payload {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		t.Errorf("undecodable payload %q: %v", b, err)
	}
	return p
}

// add enqueues a message and notifies, as the store does after a commit.
func (o *memOutbox) add(topic string, retained bool, n int) uint64 {
	o.mu.Lock()
	o.nextID++
	id := o.nextID
	body, _ := json.Marshal(payload{V: 1, ID: id, N: n})
	o.msgs[id] = mqtt.Message{ID: id, Topic: topic, Payload: body, Retained: retained}
	o.order = append(o.order, id)
	o.mu.Unlock()
	select {
	case o.notify <- struct{}{}:
	default:
	}
	return id
}

func (o *memOutbox) addN(topic string, n int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = o.add(topic, false, 0)
	}
	return ids
}

// addRaw enqueues m as it is (for invalid messages), with the next ID.
func (o *memOutbox) addRaw(m mqtt.Message) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nextID++
	m.ID = o.nextID
	o.msgs[m.ID] = m
	o.order = append(o.order, m.ID)
	return m.ID
}

func (o *memOutbox) Pending(max int) ([]mqtt.Message, error) {
	o.pendingCalls.Add(1)
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.head < len(o.order) {
		if _, ok := o.msgs[o.order[o.head]]; ok {
			break
		}
		o.head++
	}
	var out []mqtt.Message
	for _, id := range o.order[o.head:] {
		if len(out) == max {
			break
		}
		if m, ok := o.msgs[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (o *memOutbox) Ack(ids ...uint64) error {
	n := o.ackCalls.Add(1)
	if n == 1 && o.ackGate != nil {
		<-o.ackGate
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failAcks > 0 {
		o.failAcks--
		return fmt.Errorf("disk full")
	}
	for _, id := range ids {
		delete(o.msgs, id)
	}
	o.batches = append(o.batches, slices.Clone(ids))
	return nil
}

func (o *memOutbox) Notify() <-chan struct{} { return o.notify }

func (o *memOutbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

func (o *memOutbox) has(id uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.msgs[id]
	return ok
}

func (o *memOutbox) ackBatches() [][]uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.batches)
}
