package mqtt

import (
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// copyingStore is paho's ordered in-memory store, except that Get hands out
// a copy of a PUBLISH packet. paho 1.5.1 keeps the pointer a Publish call
// also queues for sending; when the connection drops and comes back while
// that Publish waits to be written, resume() sets the DUP flag on the
// stored packet while the new connection's writer encodes the same one (a
// data race the race detector reports during a broker restart). With a
// copy, resume marks its own packet; at worst the message goes out twice
// with one id, which QoS 1 allows.
type copyingStore struct{ *paho.OrderedMemoryStore }

func newCopyingStore() paho.Store { return copyingStore{paho.NewOrderedMemoryStore()} }

func (s copyingStore) Get(key string) packets.ControlPacket {
	p := s.OrderedMemoryStore.Get(key)
	if pub, ok := p.(*packets.PublishPacket); ok {
		cp := *pub
		return &cp
	}
	return p
}
