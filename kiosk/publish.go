package kiosk

import (
	"sync"
	"time"

	"pitwall/kiosk/model"
)

// published hands the model's snapshots from the kiosk's goroutine to
// any number of readers: the render loop, the web pages.
type published struct {
	mu      sync.Mutex
	cur     *model.Snapshot
	changed chan struct{} // closed when cur is replaced
}

func (m *published) get() (*model.Snapshot, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur, m.changed
}

func (m *published) set(p *model.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p == m.cur {
		return
	}
	m.cur = p
	if m.changed != nil {
		close(m.changed)
	}
	m.changed = make(chan struct{})
}

// Model returns the current snapshot of the kiosk's model and a channel
// closed when it is replaced. It is safe to call from any goroutine; the
// snapshot is never modified.
func (k *Kiosk) Model() (*model.Snapshot, <-chan struct{}) { return k.model.get() }

// publish makes the scene's snapshot current after a change.
func (k *Kiosk) publish(now time.Time) { k.model.set(k.scene.Snapshot(now)) }
