package unit_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/kiosk/model"
	"pitwall/mqtt"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
	"pitwall/trackside/unit"
)

// fingerprint is everything a command could change on a unit, but the
// audit log: racers (contact details included), races, the engine and the
// keys' last sequence numbers.
var seenNS = regexp.MustCompile(`,"seen_ns":\d+`)

func fingerprint(t *testing.T, u *unit.Unit) string {
	t.Helper()
	var b bytes.Buffer
	if err := u.Store().WriteJSON(&b, store.ExportOptions{Contacts: true}); err != nil {
		t.Fatal(err)
	}
	if err := u.Store().View(func(tx *store.Tx) error {
		snap, err := tx.Engine()
		// seen_ns is where the clock stood at the last commit (every commit,
		// a refusal's audit too, records it): bookkeeping, not a change.
		b.Write(seenNS.ReplaceAll(snap, nil))
		for _, k := range []string{"alice", "olly", "mallory"} {
			b.WriteString(" " + k + "=" + strconv.FormatUint(track.LastCommandSeq(tx, k), 10))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func auditLog(t *testing.T, u *unit.Unit) []store.Audit {
	t.Helper()
	var out []store.Audit
	if err := u.Store().View(func(tx *store.Tx) error {
		return tx.ForEachAudit(func(a store.Audit) error { out = append(out, a); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every forged or damaged command is answered with its error code, audited,
// and changes nothing else — through a real broker to a running unit.
func TestForgedCommandsRefused(t *testing.T) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			url := b.start(t)
			keys := newTestKeys(t)
			u := startAdminUnit(t, "1", url, keys, nil)
			a := newAdminClient(t, url, keys.admin, keys.official, keys.stranger)
			a.ready("alice", "1")
			topic, accepted, cmd := a.sign("alice", mqtt.EventTarget, mqtt.CmdRacerAdd, mqtt.RacerArgs{ID: "r1", Name: "Ann"})
			a.publish(topic, accepted)
			if r := a.wait("to racer.add", func(r mqtt.Reply) bool { return r.ID == cmd.ID }); !r.OK {
				t.Fatalf("racer.add: %+v", r.Error)
			}
			lowSeq := a.signers["alice"].NextSeq // for the lower-sequence case below

			type forged struct {
				name    string
				make    func() (topic string, payload []byte, id string)
				code    mqtt.Code
				auditBy string
			}
			signed := func(key, target, name string, args any) (string, []byte, string) {
				topic, p, cmd := a.sign(key, target, name, args)
				return topic, p, cmd.ID
			}
			cases := []forged{
				{"bad signature", func() (string, []byte, string) {
					topic, p, id := signed("alice", "1", mqtt.CmdStart, nil)
					var env mqtt.Envelope
					json.Unmarshal(p, &env)
					env.Sig[10] ^= 0x40
					p, _ = json.Marshal(env)
					return topic, p, id
				}, mqtt.CodeBadSignature, "unverified:alice"},
				{"signature of another body", func() (string, []byte, string) {
					topic, p, id := signed("alice", mqtt.EventTarget, mqtt.CmdRacerDisqualify, mqtt.RacerIDArgs{ID: "r1"})
					var env mqtt.Envelope
					json.Unmarshal(p, &env)
					env.Body = bytes.Replace(env.Body, []byte(`"r1"`), []byte(`"r2"`), 1)
					p, _ = json.Marshal(env)
					return topic, p, id
				}, mqtt.CodeBadSignature, "unverified:alice"},
				{"unknown key", func() (string, []byte, string) { return signed("mallory", "1", mqtt.CmdStart, nil) },
					mqtt.CodeUnknownKey, "unverified:mallory"},
				{"official using an admin command", func() (string, []byte, string) {
					return signed("olly", mqtt.EventTarget, mqtt.CmdRacerRemove, mqtt.RacerIDArgs{ID: "r1"})
				}, mqtt.CodeForbidden, "unverified:olly"},
				{"replayed command", func() (string, []byte, string) { return topic, accepted, cmd.ID }, mqtt.CodeReplay, "alice"},
				{"lower sequence", func() (string, []byte, string) {
					a.signers["alice"].NextSeq = func() (uint64, error) { return 1, nil }
					defer func() { a.signers["alice"].NextSeq = lowSeq }()
					return signed("alice", mqtt.EventTarget, mqtt.CmdRacerRemove, mqtt.RacerIDArgs{ID: "r1"})
				}, mqtt.CodeReplay, "alice"},
				{"wrong target", func() (string, []byte, string) {
					_, p, id := signed("alice", "2", mqtt.CmdStart, nil)
					return mqtt.AdminReq("1"), p, id
				}, mqtt.CodeWrongTarget, "unverified:alice"},
				{"wrong topic", func() (string, []byte, string) {
					_, p, id := signed("alice", "1", mqtt.CmdRacerRemove, mqtt.RacerIDArgs{ID: "r1"})
					return mqtt.EventAdminReq, p, id
				}, mqtt.CodeWrongTopic, "unverified:alice"},
				{"malformed JSON", func() (string, []byte, string) { return mqtt.AdminReq("1"), []byte(`{"v":1,"body":`), "" },
					mqtt.CodeMalformed, "unverified"},
				{"unknown command", func() (string, []byte, string) { return signed("alice", "1", "race.teleport", nil) },
					mqtt.CodeUnknownCommand, "unverified:alice"},
				{"payload over 64 KiB", func() (string, []byte, string) {
					big := `{"v":1,"body":"` + strings.Repeat("A", mqtt.MaxCommand) + `","sig":""}`
					return mqtt.AdminReq("1"), []byte(big), ""
				}, mqtt.CodeTooLarge, "unverified"},
				{"bad arguments", func() (string, []byte, string) {
					return signed("alice", mqtt.EventTarget, mqtt.CmdRacerAdd, json.RawMessage(`{"id":"r9","nmae":"typo"}`))
				}, mqtt.CodeBadArgs, "alice"},
			}
			for _, c := range cases {
				before := fingerprint(t, u)
				audits := len(auditLog(t, u))
				topic, p, id := c.make()
				a.publish(topic, p)
				r := a.wait("to "+c.name, func(r mqtt.Reply) bool { return r.ID == id && r.Track == "1" })
				if r.OK || r.Error == nil || r.Error.Code != c.code {
					t.Errorf("%s: reply %+v, want code %s", c.name, r.Error, c.code)
					continue
				}
				log := auditLog(t, u)
				if len(log) != audits+1 {
					t.Errorf("%s: %d new audit entries, want 1", c.name, len(log)-audits)
					continue
				}
				if e := log[len(log)-1]; e.Who != c.auditBy || !strings.Contains(e.Refused, string(c.code)) {
					t.Errorf("%s: audit %+v, want by %s refused %s", c.name, e, c.auditBy, c.code)
				}
				if after := fingerprint(t, u); after != before {
					t.Errorf("%s changed the unit:\nbefore %s\nafter  %s", c.name, before, after)
				}
			}
			// After all that, the admin's next command still works.
			a.do("alice", mqtt.EventTarget, mqtt.CmdRacerUpdate, mqtt.RacerUpdateArgs{ID: "r1", Name: ptr("Annie")}, "1")
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Racers are event-wide: one racer.add on the event topic reaches both
// tracksides; a disqualification takes the racer off both tracks'
// standings and so off the kiosk's merged board.
func TestEventRacersOnTwoTracksides(t *testing.T) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			url := b.start(t)
			keys := newTestKeys(t)
			u1 := startAdminUnit(t, "1", url, keys, nil)
			u2 := startAdminUnit(t, "2", url, keys, nil)
			a := newAdminClient(t, url, keys.admin, keys.official)
			a.ready("alice", "1", "2")

			for _, r := range []mqtt.RacerArgs{{ID: "r1", Name: "Ann", Email: "ann@example.com"}, {ID: "r2", Name: "Bob"}} {
				a.do("alice", mqtt.EventTarget, mqtt.CmdRacerAdd, r, "1", "2")
			}
			for _, u := range []*unit.Unit{u1, u2} {
				u.Store().View(func(tx *store.Tx) error {
					for _, id := range []string{"r1", "r2"} {
						if _, ok, _ := tx.Racer(id); !ok {
							t.Errorf("track %s lacks racer %s", u.Track().ID(), id)
						}
					}
					return nil
				})
			}
			a.raceFor(u1, "r1")
			a.raceFor(u2, "r1")
			a.raceFor(u2, "r2")
			merged := func() []string {
				r := model.Merge([]model.TrackStandings{{Track: "1", Standings: ptr(u1.Track().Standings())}, {Track: "2", Standings: ptr(u2.Track().Standings())}})
				var ids []string
				for _, e := range r.Entries {
					ids = append(ids, e.RacerID)
				}
				return ids
			}
			// The boards kiosks merge are the retained standings: read them
			// from the broker, as a kiosk does.
			retained := func() string {
				var ts []model.TrackStandings
				for _, tr := range []string{"1", "2"} {
					var s mqtt.Standings
					if err := mqtt.Decode(retainedOf(t, url, mqtt.TrackStandings(tr)), &s); err != nil {
						t.Fatal(err)
					}
					ts = append(ts, model.TrackStandings{Track: tr, Standings: &s})
				}
				var ids []string
				for _, e := range model.Merge(ts).Entries {
					ids = append(ids, e.RacerID)
				}
				return strings.Join(ids, ",")
			}
			waitFor(t, 10*time.Second, "both racers on the merged board", func() bool {
				ids := merged()
				return len(ids) == 2 && retained() != "" && len(strings.Split(retained(), ",")) == 2
			})
			a.do("alice", mqtt.EventTarget, mqtt.CmdRacerDisqualify, mqtt.RacerIDArgs{ID: "r1"}, "1", "2")
			waitFor(t, 10*time.Second, "r1 gone from the merged board", func() bool { return retained() == "r2" })
			if got := strings.Join(merged(), ","); got != "r2" {
				t.Fatalf("merged board %s after disqualifying r1", got)
			}
			a.do("alice", mqtt.EventTarget, mqtt.CmdRacerReinstate, mqtt.RacerIDArgs{ID: "r1"}, "1", "2")
			waitFor(t, 10*time.Second, "r1 back on the merged board", func() bool { return len(strings.Split(retained(), ",")) == 2 })
		})
	}
}

// retainedOf reads a topic's retained message with a fresh client.
func retainedOf(t *testing.T, url, topic string) []byte {
	t.Helper()
	c := newAdminClient(t, url)
	got := make(chan []byte, 1)
	tok := c.c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m.Payload():
		default:
		}
	})
	tok.Wait()
	defer c.c.Disconnect(0)
	select {
	case p := <-got:
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("no retained message on %s", topic)
		return nil
	}
}
