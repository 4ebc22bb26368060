package kiosk

import (
	"pitwall/kiosk/model"

	"fmt"
	"testing"
	"time"
)

func TestInbox(t *testing.T) {
	b := newInbox()
	for i := 0; i < inboxPerTopic+2; i++ {
		b.put(model.Message{Topic: "a", Payload: []byte{byte(i)}})
	}
	b.put(model.Message{Topic: "b", Payload: []byte{9}})
	select {
	case <-b.ready:
	default:
		t.Fatal("put did not signal")
	}
	got := b.take()
	var payloads []byte
	for _, m := range got {
		payloads = append(payloads, m.Payload[0])
	}
	// The two oldest of topic a are dropped; a's queue comes first (first
	// arrival), then b's.
	if fmt.Sprint(payloads) != "[2 3 4 5 9]" {
		t.Fatalf("taken %v, want [2 3 4 5 9]", payloads)
	}
	if b.dropped.Load() != 2 {
		t.Fatalf("dropped %d, want 2", b.dropped.Load())
	}
	if len(b.take()) != 0 {
		t.Fatal("take did not empty the inbox")
	}
	// Too many topics: new ones are dropped, known ones still queue.
	for i := 0; i < inboxTopics+5; i++ {
		b.put(model.Message{Topic: fmt.Sprint("t", i)})
	}
	if n := len(b.take()); n != inboxTopics {
		t.Fatalf("%d messages kept, want %d (one per topic up to the bound)", n, inboxTopics)
	}
}

// TestInboxPutNeverBlocks: a handler's put returns at once even when the
// kiosk never takes (a stuck render loop must not stall paho).
func TestInboxPutNeverBlocks(t *testing.T) {
	b := newInbox()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100_000; i++ {
			b.put(model.Message{Topic: "pitwall/v1/track/1/standings"})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("put blocked")
	}
}
