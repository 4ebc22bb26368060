package broker

import (
	"bytes"
	"crypto/subtle"
	"log/slog"
	"sync/atomic"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"pitwall/mqtt"
)

// roleHook authenticates every client against the event secret and applies
// mqtt.BrokerUser's grants, as the venue Mosquitto does with its generated
// password file and ACL.
type roleHook struct {
	mochi.HookBase
	secret []byte
	log    *slog.Logger
}

func (h *roleHook) ID() string { return "pitwall-roles" }

func (h *roleHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnConnectAuthenticate, mochi.OnACLCheck, mochi.OnPublish}, []byte{b})
}

// OnConnectAuthenticate accepts a client whose user name is a pitwall role,
// whose password is the one derived for that name. A will on a topic the
// role may not publish to is dropped.
func (h *roleHook) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	user := string(pk.Connect.Username)
	role, err := mqtt.ParseUser(user)
	if err != nil {
		h.log.Warn("broker: connection refused", "client_id", cl.ID, "remote", cl.Net.Remote, "err", err)
		return false
	}
	want := mqtt.DerivePassword(h.secret, user)
	if subtle.ConstantTimeCompare(pk.Connect.Password, []byte(want)) != 1 {
		h.log.Warn("broker: connection refused: wrong password", "user", user, "client_id", cl.ID, "remote", cl.Net.Remote)
		return false
	}
	if pk.Connect.WillFlag && !role.MayPublish(pk.Connect.WillTopic) {
		// As Mosquitto: the client connects, its will is never published.
		h.log.Warn("broker: will dropped: topic not allowed", "user", user, "client_id", cl.ID, "topic", pk.Connect.WillTopic)
		atomic.StoreUint32(&cl.Properties.Will.Flag, 0)
	}
	return true
}

// OnACLCheck decides reads: subscriptions (every topic the filter matches
// must be readable) and each delivery. Publishes pass here and are decided
// in OnPublish, because mochi disconnects an MQTT 3.1.1 client whose
// publish fails this check, whereas Mosquitto acknowledges it and drops it:
// clients must see the same broker behaviour in the demo and at a venue.
func (h *roleHook) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	role, err := mqtt.ParseUser(string(cl.Properties.Username))
	if err != nil {
		return false
	}
	if write {
		return true
	}
	if !role.MayRead(topic) {
		h.log.Debug("broker: read denied", "user", role.User(), "topic", topic)
		return false
	}
	return true
}

// OnPublish drops (after acknowledging) a publish the client's role does
// not allow: not delivered, not retained.
func (h *roleHook) OnPublish(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	role, err := mqtt.ParseUser(string(cl.Properties.Username))
	if err == nil && role.MayPublish(pk.TopicName) {
		return pk, nil
	}
	h.log.Warn("broker: publish denied", "user", string(cl.Properties.Username), "client_id", cl.ID, "topic", pk.TopicName)
	return pk, packets.CodeSuccessIgnore
}
