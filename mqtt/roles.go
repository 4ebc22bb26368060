package mqtt

import (
	"fmt"
	"strings"
)

// A broker user's rights follow from its user name alone, so that Mosquitto
// (through a generated ACL, see mqtt/brokerfiles) and the embedded broker
// (mqtt/broker) apply the same rules from the same table, Grants:
//
//	admin, admin-<name>   racectl: writes admin requests, reads everything
//	trackside-<track>     writes its own track's subtree, reads its admin
//	                      requests, the event's and other tracks' public state
//	kiosk-<kiosk>         reads public state, writes its own kiosk status
//
// <track>, <kiosk> and <name> follow ValidID. Every other name is refused.

// Kind is the role a user name maps to.
type Kind int

const (
	KindAdmin Kind = iota + 1
	KindTrackside
	KindKiosk
)

func (k Kind) String() string {
	switch k {
	case KindAdmin:
		return "admin"
	case KindTrackside:
		return "trackside"
	case KindKiosk:
		return "kiosk"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// User name prefixes of the roles.
const (
	AdminUser       = "admin"
	TracksidePrefix = "trackside-"
	KioskPrefix     = "kiosk-"
)

// BrokerUser is a broker user: its kind and the id in its name (the track of a
// trackside, the kiosk id of a kiosk, the optional name of an admin).
type BrokerUser struct {
	Kind Kind
	ID   string
}

// TracksideUser and KioskUser are the default user names of units.
func TracksideUser(track string) string { return TracksidePrefix + track }
func KioskUser(kiosk string) string     { return KioskPrefix + kiosk }

// ParseUser maps a broker user name to its role.
func ParseUser(name string) (BrokerUser, error) {
	var r BrokerUser
	switch {
	case name == AdminUser:
		return BrokerUser{Kind: KindAdmin}, nil
	case strings.HasPrefix(name, AdminUser+"-"):
		r = BrokerUser{Kind: KindAdmin, ID: name[len(AdminUser)+1:]}
	case strings.HasPrefix(name, TracksidePrefix):
		r = BrokerUser{Kind: KindTrackside, ID: name[len(TracksidePrefix):]}
	case strings.HasPrefix(name, KioskPrefix):
		r = BrokerUser{Kind: KindKiosk, ID: name[len(KioskPrefix):]}
	default:
		return BrokerUser{}, fmt.Errorf("broker user %q: want admin, admin-<name>, trackside-<track> or kiosk-<kiosk>", name)
	}
	if err := ValidID(r.ID); err != nil {
		return BrokerUser{}, fmt.Errorf("broker user %q: %w", name, err)
	}
	return r, nil
}

// User is the role's user name (ParseUser's inverse).
func (r BrokerUser) User() string {
	switch r.Kind {
	case KindAdmin:
		if r.ID == "" {
			return AdminUser
		}
		return AdminUser + "-" + r.ID
	case KindTrackside:
		return TracksideUser(r.ID)
	case KindKiosk:
		return KioskUser(r.ID)
	}
	return ""
}

// Access is what a grant allows on the topics its filter matches.
type Access int

const (
	Read Access = 1 << iota
	Write
	ReadWrite = Read | Write
)

// Mosquitto's ACL keyword for a.
func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	case ReadWrite:
		return "readwrite"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// Grant allows Access on every topic Filter matches.
type Grant struct {
	Filter string
	Access Access
}

// publicState is what everybody logged in may read: no personal data.
var publicState = []string{AllTrackStatus, AllTrackStandings, AllTrackRace, AllTrackLaps}

// Grants lists everything r may do; anything else is denied. Admin replies
// (personal data) are readable by admins and by the trackside that wrote
// them only.
func (r BrokerUser) Grants() []Grant {
	var g []Grant
	switch r.Kind {
	case KindAdmin:
		g = append(g, Grant{Root + "/#", Read}, Grant{AllAdminReq, Write}, Grant{EventAdminReq, Write})
	case KindTrackside:
		// Its subtree: status (and its will), standings, race, laps,
		// admin replies; reading it includes its admin requests.
		g = append(g, Grant{Root + "/track/" + r.ID + "/#", ReadWrite}, Grant{EventAdminReq, Read})
		for _, f := range publicState {
			g = append(g, Grant{f, Read})
		}
	case KindKiosk:
		for _, f := range publicState {
			g = append(g, Grant{f, Read})
		}
		g = append(g, Grant{KioskStatus(r.ID), ReadWrite})
	}
	return g
}

// MayPublish reports whether r may publish to topic (also as its will).
func (r BrokerUser) MayPublish(topic string) bool {
	if strings.ContainsAny(topic, "+#") {
		return false
	}
	return r.allows(topic, Write)
}

// MayRead reports whether r may receive messages on topic, or subscribe to
// filter: a filter is allowed only if every topic it matches is readable.
func (r BrokerUser) MayRead(filter string) bool { return r.allows(filter, Read) }

func (r BrokerUser) allows(filter string, a Access) bool {
	for _, g := range r.Grants() {
		if g.Access&a != 0 && Covers(g.Filter, filter) {
			return true
		}
	}
	return false
}

// Covers reports whether every topic that filter matches is also matched by
// grant (both MQTT topic filters; a topic is a filter without wildcards).
func Covers(grant, filter string) bool {
	g, f := strings.Split(grant, "/"), strings.Split(filter, "/")
	for i, level := range g {
		if level == "#" {
			return true // "a/#" matches "a" and everything below it
		}
		if i >= len(f) || f[i] == "#" {
			return false
		}
		if level == "+" {
			continue // one level, whatever f has there but '#'
		}
		if f[i] != level {
			return false
		}
	}
	return len(f) == len(g)
}
