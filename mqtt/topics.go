// Package mqtt is pitwall's wire contract: topic names, versioned JSON
// payloads, the signed admin command envelope and its replies (no network:
// the paho client lives in mqtt/client), and (in mqtt/broker) an
// embedded broker for the demo and tests. docs/topics.md documents it.
package mqtt

import (
	"fmt"
	"regexp"
)

// Root of every pitwall topic. One broker may serve one event.
const Root = "pitwall/v1"

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ValidID reports whether id is usable as a track or kiosk id in a topic:
// lowercase letters, digits, '-' and '_', at most 32 characters, and none of
// MQTT's special characters.
func ValidID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("id %q: want 1-32 of [a-z0-9_-], starting with a letter or digit", id)
	}
	return nil
}

// Track topics.
func TrackStatus(track string) string    { return Root + "/track/" + track + "/status" }
func TrackStandings(track string) string { return Root + "/track/" + track + "/standings" }
func TrackRace(track string) string      { return Root + "/track/" + track + "/race" }
func TrackLaps(track string) string      { return Root + "/track/" + track + "/laps" }
func AdminReq(track string) string       { return Root + "/track/" + track + "/admin/req" }
func AdminResp(track string) string      { return Root + "/track/" + track + "/admin/resp" }

// EventAdminReq carries commands for every trackside of the event (target
// "*": racers are event-wide). Each trackside obeys and replies on its own
// AdminResp.
const EventAdminReq = Root + "/event/admin/req"

// AllAdminReq matches every track's admin request topic.
const AllAdminReq = Root + "/track/+/admin/req"

// KioskStatus is a kiosk's retained status topic.
func KioskStatus(kiosk string) string { return Root + "/kiosk/" + kiosk + "/status" }

// Wildcards a kiosk subscribes to.
const (
	AllTrackStatus    = Root + "/track/+/status"
	AllTrackStandings = Root + "/track/+/standings"
	AllTrackRace      = Root + "/track/+/race"
	AllTrackLaps      = Root + "/track/+/laps"
)

// Message is one MQTT publication waiting in a trackside's outbox. ID is the
// outbox key: unique and increasing per unit, carried in the payload too so
// consumers can drop duplicates after a redelivery.
type Message struct {
	ID       uint64 `json:"id"`
	Topic    string `json:"topic"`
	Payload  []byte `json:"payload"`
	Retained bool   `json:"retained"`
}
