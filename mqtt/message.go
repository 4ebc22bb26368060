package mqtt

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxTopicBytes is MQTT's limit on a topic name: its length travels as a
// 16-bit prefix.
const maxTopicBytes = 65535

// ValidPublishTopic reports whether topic can be published to. A broker
// drops the connection of a client that publishes to an invalid topic, so a
// bad topic must be caught before it reaches the wire: otherwise one message
// would disconnect its publisher again after every reconnect.
func ValidPublishTopic(topic string) error {
	switch {
	case topic == "":
		return fmt.Errorf("topic is empty")
	case len(topic) > maxTopicBytes:
		return fmt.Errorf("topic of %d bytes exceeds MQTT's %d", len(topic), maxTopicBytes)
	case !utf8.ValidString(topic):
		return fmt.Errorf("topic %q is not valid UTF-8", topic)
	case strings.ContainsAny(topic, "+#"):
		return fmt.Errorf("topic %q contains a wildcard ('+' or '#'), which only subscriptions may use", topic)
	case strings.ContainsRune(topic, 0):
		return fmt.Errorf("topic %q contains a NUL character", topic)
	}
	return nil
}

// Validate reports whether m can be published as it is: a valid topic and a
// payload within MaxPayload.
func (m Message) Validate() error {
	if err := ValidPublishTopic(m.Topic); err != nil {
		return fmt.Errorf("message %d: %w", m.ID, err)
	}
	if len(m.Payload) > MaxPayload {
		return fmt.Errorf("message %d: payload of %d bytes exceeds the %d byte limit", m.ID, len(m.Payload), MaxPayload)
	}
	return nil
}
