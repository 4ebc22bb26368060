package client

import (
	"bytes"
	"io"
	"sync"
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

// The copy encodes to the same bytes as the original, and taking it while
// the connection's writer encodes the original is not a data race (Write
// sets RemainingLength as it goes; run with -race).
func TestStoreGetWhileTheWriterEncodes(t *testing.T) {
	s := newCopyingStore()
	s.Open()
	pub := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	pub.Qos, pub.Retain, pub.MessageID, pub.TopicName, pub.Payload = 1, true, 9, "pitwall/v1/track/t1/laps", []byte(`{"v":1}`)
	s.Put("o.9", pub)
	var want bytes.Buffer
	if err := pub.Write(&want); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			pub.Write(io.Discard)
		}
	}()
	for i := 0; i < 200; i++ {
		s.Get("o.9")
	}
	wg.Wait()
	var got bytes.Buffer
	if err := s.Get("o.9").Write(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("copy encodes as %x, original as %x", got.Bytes(), want.Bytes())
	}
}
