package mqtt

import (
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// resume() sets DUP on what Get returns; the packet Publish queued must not
// change under its writer.
func TestStoreGetCopiesPublish(t *testing.T) {
	s := newCopyingStore()
	s.Open()
	pub := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	pub.Qos, pub.MessageID, pub.TopicName, pub.Payload = 1, 7, "t", []byte("x")
	s.Put("o.7", pub)
	got := s.Get("o.7").(*packets.PublishPacket)
	got.Dup = true
	if pub.Dup {
		t.Fatal("setting DUP on the stored copy changed the queued packet")
	}
	if got.MessageID != 7 || got.TopicName != "t" || string(got.Payload) != "x" {
		t.Fatalf("copy %+v", got)
	}
	if len(s.All()) != 1 {
		t.Fatal("store lost the packet")
	}
}
