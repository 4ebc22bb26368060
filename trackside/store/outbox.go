package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"pitwall/mqtt"
)

// Outbox limits. MQTT allows more; these catch a runaway payload before it
// sits in the outbox of a unit whose broker is down for the afternoon. The
// payload limit is the wire contract's: full standings of 10,000 racers
// (about 1.2 MB) must fit.
const (
	maxTopic   = 1024
	maxPayload = mqtt.MaxPayload
)

// Enqueue puts m in the outbox in the same transaction as the state it
// announces, assigns and returns its ID (m.ID is ignored). IDs increase and
// are never reused, even after the message is acknowledged.
//
// A retained message replaces the pending retained message of the same
// topic, if any: a retained topic only needs its latest state to go out.
// The replaced message's ID disappears, so a late Ack of it deletes nothing.
func (t *Tx) Enqueue(m mqtt.Message) (uint64, error) {
	if err := validateMessage(m); err != nil {
		return 0, fmt.Errorf("enqueue %q: %w", m.Topic, err)
	}
	ob, err := t.bucket(bucketOutbox)
	if err != nil {
		return 0, fmt.Errorf("enqueue %q: %w", m.Topic, err)
	}
	topics, err := t.bucket(bucketOutboxTopics)
	if err != nil {
		return 0, fmt.Errorf("enqueue %q: %w", m.Topic, err)
	}
	id, err := ob.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("enqueue %q: %w", m.Topic, err)
	}
	key := u64(id)
	if m.Retained {
		if prev := topics.Get([]byte(m.Topic)); prev != nil {
			if ob.Get(prev) != nil {
				if err := ob.Delete(prev); err != nil {
					return 0, fmt.Errorf("enqueue %q: replace pending %x: %w", m.Topic, prev, err)
				}
				t.outboxDelta--
			}
		}
		if err := topics.Put([]byte(m.Topic), key); err != nil {
			return 0, fmt.Errorf("enqueue %q: %w", m.Topic, err)
		}
	}
	if err := ob.Put(key, encodeMessage(m)); err != nil {
		return 0, fmt.Errorf("enqueue %q: %w", m.Topic, err)
	}
	t.enqueued++
	t.outboxDelta++
	return id, nil
}

func validateMessage(m mqtt.Message) error {
	switch {
	case m.Topic == "":
		return errors.New("topic: empty")
	case len(m.Topic) > maxTopic:
		return fmt.Errorf("topic: %d bytes, at most %d", len(m.Topic), maxTopic)
	case !utf8.ValidString(m.Topic):
		return errors.New("topic: not valid UTF-8")
	case strings.ContainsAny(m.Topic, "+#\x00"):
		return errors.New("topic: wildcard or NUL in a topic to publish to")
	case len(m.Payload) > maxPayload:
		return fmt.Errorf("payload: %d bytes, at most %d", len(m.Payload), maxPayload)
	}
	return nil
}

// Pending returns up to max outbox messages, oldest ID first.
func (s *Store) Pending(max int) ([]mqtt.Message, error) {
	if max <= 0 {
		return nil, fmt.Errorf("pending: max %d, want at least 1", max)
	}
	var out []mqtt.Message
	err := s.View(func(t *Tx) error {
		ob, err := t.bucket(bucketOutbox)
		if err != nil {
			return err
		}
		cur := ob.Cursor()
		for k, v := cur.First(); k != nil && len(out) < max; k, v = cur.Next() {
			m, err := decodeMessage(k, v)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending: %w", err)
	}
	return out, nil
}

// Ack deletes the messages with these IDs (the broker acknowledged them) in
// one transaction. IDs not in the outbox — acknowledged before, or replaced
// by a newer retained message — are ignored.
func (s *Store) Ack(ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.Update(func(t *Tx) error {
		ob, err := t.bucket(bucketOutbox)
		if err != nil {
			return err
		}
		topics, err := t.bucket(bucketOutboxTopics)
		if err != nil {
			return err
		}
		for _, id := range ids {
			key := u64(id)
			v := ob.Get(key)
			if v == nil {
				continue
			}
			m, err := decodeMessage(key, v)
			if err != nil {
				// Delete it all the same: it cannot be sent, and a stale
				// topic entry pointing at it is ignored by Enqueue.
				s.log.Warn("store: acknowledged an undecodable outbox message", "id", id, "err", err)
			}
			if err == nil && m.Retained {
				// Forget the topic's pending message only if it is this
				// one; otherwise a newer message owns the entry.
				if cur := topics.Get([]byte(m.Topic)); bytes.Equal(cur, key) {
					if err := topics.Delete([]byte(m.Topic)); err != nil {
						return fmt.Errorf("message %d: %w", id, err)
					}
				}
			}
			if err := ob.Delete(key); err != nil {
				return fmt.Errorf("message %d: %w", id, err)
			}
			t.outboxDelta--
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack: %w", err)
	}
	return nil
}

// OutboxDepth is how many messages wait for the broker. It is kept in
// memory (counted at Open, updated at each commit), so it is cheap.
func (s *Store) OutboxDepth() int { return int(s.depth.Load()) }

// Stored message format: compact, because a unit whose broker is down keeps
// every lap event and the latest standings here, and JSON would base64 the
// payloads.
//
//	byte 0      format version (messageFormat)
//	byte 1      flags: bit 0 = retained, other bits zero
//	uvarint     topic length, then the topic
//	rest        payload
const (
	messageFormat = 1
	flagRetained  = 1
)

func encodeMessage(m mqtt.Message) []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen64+len(m.Topic)+len(m.Payload))
	var flags byte
	if m.Retained {
		flags |= flagRetained
	}
	b = append(b, messageFormat, flags)
	b = binary.AppendUvarint(b, uint64(len(m.Topic)))
	b = append(b, m.Topic...)
	return append(b, m.Payload...)
}

// decodeMessage is the inverse of encodeMessage for the value stored under
// key. It copies: the result outlives the transaction.
func decodeMessage(key, v []byte) (mqtt.Message, error) {
	if len(key) != 8 {
		return mqtt.Message{}, fmt.Errorf("outbox key %x: want 8 bytes", key)
	}
	id := binary.BigEndian.Uint64(key)
	if len(v) < 3 {
		return mqtt.Message{}, fmt.Errorf("message %d: %d bytes is too short", id, len(v))
	}
	if v[0] != messageFormat {
		return mqtt.Message{}, fmt.Errorf("message %d: format %d, want %d", id, v[0], messageFormat)
	}
	if v[1]&^flagRetained != 0 {
		return mqtt.Message{}, fmt.Errorf("message %d: unknown flags %#x", id, v[1])
	}
	n, w := binary.Uvarint(v[2:])
	if w <= 0 || n == 0 || n > uint64(len(v)-2-w) {
		return mqtt.Message{}, fmt.Errorf("message %d: bad topic length", id)
	}
	rest := v[2+w:]
	m := mqtt.Message{ID: id, Topic: string(rest[:n]), Retained: v[1]&flagRetained != 0}
	if len(rest) > int(n) {
		m.Payload = clone(rest[n:])
	}
	return m, nil
}
