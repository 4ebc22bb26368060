package input

import "sync"

// queue holds events until the console takes them. It never blocks the
// device readers: a drag move is merged into a drag move still waiting at
// the tail, and when the queue is full the new event is dropped and
// counted. Memory is fixed at the capacity whatever the input rate.
type queue struct {
	mu        sync.Mutex
	ring      []Event
	head, n   int
	dropped   uint64
	coalesced uint64
	ready     chan struct{} // has a value when the queue became non-empty
}

func newQueue(capacity int) *queue {
	return &queue{ring: make([]Event, capacity), ready: make(chan struct{}, 1)}
}

func (q *queue) push(e Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if d, ok := e.(Drag); ok && d.Phase == DragMove && q.n > 0 {
		tail := &q.ring[(q.head+q.n-1)%len(q.ring)]
		if t, ok := (*tail).(Drag); ok && t.Phase == DragMove {
			*tail = Drag{X: d.X, Y: d.Y, DX: t.DX + d.DX, DY: t.DY + d.DY, Phase: DragMove}
			q.coalesced++
			return
		}
	}
	if q.n == len(q.ring) {
		q.dropped++
		return
	}
	q.ring[(q.head+q.n)%len(q.ring)] = e
	q.n++
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *queue) pop() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return nil, false
	}
	e := q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	return e, true
}

func (q *queue) counts() (dropped, coalesced uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped, q.coalesced
}
