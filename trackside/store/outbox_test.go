package store

import (
	"bytes"
	"fmt"
	"testing"

	"pitwall/mqtt"
)

func enqueue(t *testing.T, s *Store, msgs ...mqtt.Message) []uint64 {
	t.Helper()
	var ids []uint64
	mustUpdate(t, s, func(tx *Tx) error {
		for _, m := range msgs {
			id, err := tx.Enqueue(m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids
}

func pending(t *testing.T, s *Store) []mqtt.Message {
	t.Helper()
	p, err := s.Pending(1000)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return p
}

// summary renders the outbox as "id:topic:payload" for readable comparisons.
func summary(msgs []mqtt.Message) string {
	var b bytes.Buffer
	for _, m := range msgs {
		r := ""
		if m.Retained {
			r = "R"
		}
		fmt.Fprintf(&b, "%d:%s%s:%s ", m.ID, r, m.Topic, m.Payload)
	}
	return b.String()
}

func TestRetainedReplacesPendingOfSameTopic(t *testing.T) {
	status, race, laps := mqtt.TrackStatus("t1"), mqtt.TrackRace("t1"), mqtt.TrackLaps("t1")
	s := openAt(t, dbPath(t))

	ids := enqueue(t, s,
		mqtt.Message{Topic: status, Payload: []byte("s1"), Retained: true},
		mqtt.Message{Topic: laps, Payload: []byte("lap1")},
		mqtt.Message{Topic: race, Payload: []byte("r1"), Retained: true},
	)
	// Same transaction, and a later one: both replace.
	ids = append(ids, enqueue(t, s,
		mqtt.Message{Topic: laps, Payload: []byte("lap2")},                 // events never replace
		mqtt.Message{Topic: status, Payload: []byte("s2"), Retained: true}, // replaces s1
		mqtt.Message{Topic: status, Payload: []byte("s3"), Retained: true}, // replaces s2 in the same tx
	)...)
	if want := []uint64{1, 2, 3, 4, 5, 6}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
	want := "2:" + laps + ":lap1 3:R" + race + ":r1 4:" + laps + ":lap2 6:R" + status + ":s3 "
	if got := summary(pending(t, s)); got != want {
		t.Fatalf("pending = %s\nwant      %s", got, want)
	}
	if d := s.OutboxDepth(); d != 4 {
		t.Errorf("OutboxDepth = %d, want 4", d)
	}

	// A late Ack of a replaced message deletes nothing.
	if err := s.Ack(1, 5); err != nil {
		t.Fatal(err)
	}
	if got := summary(pending(t, s)); got != want {
		t.Errorf("after late ack pending = %s\nwant %s", got, want)
	}
	// Acking the current retained message frees the topic: the next one is
	// simply added.
	if err := s.Ack(6); err != nil {
		t.Fatal(err)
	}
	enqueue(t, s, mqtt.Message{Topic: status, Payload: []byte("s4"), Retained: true})
	want = "2:" + laps + ":lap1 3:R" + race + ":r1 4:" + laps + ":lap2 7:R" + status + ":s4 "
	if got := summary(pending(t, s)); got != want {
		t.Errorf("pending = %s\nwant      %s", got, want)
	}
	// A retained message replaces across a reopen too (the index is stored).
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	enqueue(t, s, mqtt.Message{Topic: race, Payload: []byte("r2"), Retained: true})
	want = "2:" + laps + ":lap1 4:" + laps + ":lap2 7:R" + status + ":s4 8:R" + race + ":r2 "
	if got := summary(pending(t, s)); got != want {
		t.Errorf("after reopen pending = %s\nwant      %s", got, want)
	}
	if d := s.OutboxDepth(); d != 4 {
		t.Errorf("OutboxDepth = %d, want 4", d)
	}
}

func TestPendingAndAck(t *testing.T) {
	path := dbPath(t)
	s := openAt(t, path)
	var msgs []mqtt.Message
	for i := 0; i < 10; i++ {
		msgs = append(msgs, mqtt.Message{ID: 999, Topic: mqtt.TrackLaps("t1"), Payload: []byte(fmt.Sprintf(`{"lap":%d}`, i))})
	}
	ids := enqueue(t, s, msgs...)
	for i, id := range ids {
		if id != uint64(i+1) {
			t.Fatalf("Enqueue ignored its own numbering: ids = %v", ids)
		}
	}

	first, err := s.Pending(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || first[0].ID != 1 || first[2].ID != 3 || string(first[1].Payload) != `{"lap":1}` {
		t.Fatalf("Pending(3) = %s", summary(first))
	}
	if _, err := s.Pending(0); err == nil {
		t.Error("Pending(0) accepted")
	}

	if err := s.Ack(1, 3, 42, 3); err != nil { // unknown and repeated ids are ignored
		t.Fatal(err)
	}
	if err := s.Ack(); err != nil {
		t.Fatal(err)
	}
	if d := s.OutboxDepth(); d != 8 {
		t.Errorf("OutboxDepth = %d, want 8", d)
	}
	got, err := s.Pending(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != 2 || got[1].ID != 4 {
		t.Errorf("Pending(2) after ack = %s, want ids 2 and 4", summary(got))
	}

	// Acks are durable and the depth is recounted at Open.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	if d := s.OutboxDepth(); d != 8 {
		t.Errorf("OutboxDepth after reopen = %d, want 8", d)
	}
	select {
	case <-s.Notify():
	default:
		t.Error("Open with a non-empty outbox did not signal Notify")
	}
	all := pending(t, s)
	var allIDs []uint64
	for _, m := range all {
		allIDs = append(allIDs, m.ID)
	}
	if err := s.Ack(allIDs...); err != nil {
		t.Fatal(err)
	}
	if d := s.OutboxDepth(); d != 0 || len(pending(t, s)) != 0 {
		t.Errorf("after acking everything depth = %d", d)
	}
	// IDs are never reused, even with an empty outbox.
	if id := enqueue(t, s, mqtt.Message{Topic: "a/b"})[0]; id != 11 {
		t.Errorf("next id after acking all = %d, want 11", id)
	}
}

func TestNotify(t *testing.T) {
	s := openAt(t, dbPath(t))
	drained := func() bool {
		select {
		case <-s.Notify():
			return true
		default:
			return false
		}
	}
	if drained() {
		t.Fatal("signal before anything was enqueued")
	}
	mustUpdate(t, s, func(tx *Tx) error { _, err := tx.AddCrossing(sampleCrossing(1)); return err })
	if drained() {
		t.Error("signal after a commit without messages")
	}
	// Many commits never block the writer: they collapse into one signal.
	for i := 0; i < 5; i++ {
		enqueue(t, s, mqtt.Message{Topic: "a/b"})
	}
	if !drained() {
		t.Error("no signal after enqueuing")
	}
	if drained() {
		t.Error("more than one signal buffered")
	}
	if err := s.Ack(1); err != nil {
		t.Fatal(err)
	}
	if drained() {
		t.Error("signal after an Ack")
	}
}

func TestMessageEncodingRoundTrip(t *testing.T) {
	for _, m := range []mqtt.Message{
		{ID: 1, Topic: "a", Payload: nil},
		{ID: 2, Topic: mqtt.TrackStandings("track-1"), Payload: []byte(`{"v":1,"rows":[]}`), Retained: true},
		{ID: 1 << 60, Topic: string(bytes.Repeat([]byte("x"), 300)), Payload: bytes.Repeat([]byte{0, 0xff}, 1000)},
	} {
		got, err := decodeMessage(u64(m.ID), encodeMessage(m))
		if err != nil {
			t.Fatalf("decode(encode(%d)): %v", m.ID, err)
		}
		if got.ID != m.ID || got.Topic != m.Topic || got.Retained != m.Retained || !bytes.Equal(got.Payload, m.Payload) {
			t.Errorf("round trip of %d = %+v", m.ID, got)
		}
	}
}

func TestDecodeMessageRejects(t *testing.T) {
	for _, tc := range []struct {
		name     string
		key, val []byte
	}{
		{"short key", []byte{1}, encodeMessage(mqtt.Message{Topic: "a"})},
		{"empty value", u64(1), nil},
		{"unknown format", u64(1), []byte{2, 0, 1, 'a'}},
		{"unknown flag", u64(1), []byte{1, 2, 1, 'a'}},
		{"empty topic", u64(1), []byte{1, 0, 0, 'a'}},
		{"topic past end", u64(1), []byte{1, 0, 5, 'a'}},
		{"truncated varint", u64(1), []byte{1, 0, 0x80}},
	} {
		if m, err := decodeMessage(tc.key, tc.val); err == nil {
			t.Errorf("%s: decoded %+v", tc.name, m)
		}
	}
}

// FuzzDecodeMessage: stored outbox values never panic the decoder, and
// whatever it accepts survives a re-encode unchanged.
func FuzzDecodeMessage(f *testing.F) {
	f.Add(encodeMessage(mqtt.Message{Topic: "pitwall/v1/track/t1/laps", Payload: []byte(`{"v":1}`)}))
	f.Add(encodeMessage(mqtt.Message{Topic: "s", Retained: true}))
	f.Add([]byte{1, 0, 0x80, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, val []byte) {
		m, err := decodeMessage(u64(7), val)
		if err != nil {
			return
		}
		if m.ID != 7 || m.Topic == "" || len(m.Topic)+len(m.Payload) > len(val) {
			t.Fatalf("accepted inconsistent message %+v from %x", m, val)
		}
		again, err := decodeMessage(u64(7), encodeMessage(m))
		if err != nil {
			t.Fatalf("re-encode of %+v does not decode: %v", m, err)
		}
		if again.Topic != m.Topic || again.Retained != m.Retained || !bytes.Equal(again.Payload, m.Payload) {
			t.Fatalf("re-encode changed %+v into %+v", m, again)
		}
	})
}
