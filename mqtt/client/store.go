package client

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
//
// The copy is made field by field and leaves out RemainingLength: the
// writer sets that field on the original while it encodes it (Write
// recomputes it every time), so copying the whole struct is itself a racy
// read of it, which the race detector caught once in a p3 bad-input run.
type copyingStore struct{ *paho.OrderedMemoryStore }

func newCopyingStore() paho.Store { return copyingStore{paho.NewOrderedMemoryStore()} }

func (s copyingStore) Get(key string) packets.ControlPacket {
	p := s.OrderedMemoryStore.Get(key)
	if pub, ok := p.(*packets.PublishPacket); ok {
		return copyPublish(pub)
	}
	return p
}

// copyPublish copies everything Write encodes except RemainingLength, which
// Write derives; Payload is shared, as nothing writes to it after Publish.
func copyPublish(p *packets.PublishPacket) *packets.PublishPacket {
	return &packets.PublishPacket{
		FixedHeader: packets.FixedHeader{MessageType: p.MessageType, Dup: p.Dup, Qos: p.Qos, Retain: p.Retain},
		TopicName:   p.TopicName,
		MessageID:   p.MessageID,
		Payload:     p.Payload,
	}
}
