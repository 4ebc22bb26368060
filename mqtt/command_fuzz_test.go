package mqtt

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// FuzzDecodeCommand: no input panics, errors always carry a code, and a
// command that verifies was signed by the one authorized key over its body.
func FuzzDecodeCommand(f *testing.F) {
	seed := make([]byte, ed25519.SeedSize) // fixed key: the committed corpus stays valid
	key := PrivateKeyFile{ID: "alice", Role: RoleAdmin, PrivateKey: seed}
	v, err := NewVerifier("1", []AuthorizedKey{key.Authorized()}, time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	s := &Signer{Key: key, NextSeq: (&Counter{}).Next}
	_, p, _, _ := s.Sign("1", CmdStart, nil)
	f.Add(p)
	_, p, _, _ = s.Sign(EventTarget, CmdRacerAdd, RacerArgs{ID: "r1", Name: "Ann"})
	f.Add(p)
	f.Add([]byte(`{"v":1,"body":"e30=","sig":""}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, topic := range []string{AdminReq("1"), EventAdminReq} {
			cmd, err := v.Verify(topic, payload, time.Time{}, false)
			if err != nil {
				if ErrorCode(err) == CodeFailed {
					t.Fatalf("error without a code: %v", err)
				}
				continue
			}
			env, _, derr := DecodeCommand(payload)
			if derr != nil || !ed25519.Verify(key.Authorized().PublicKey, env.Body, env.Sig) {
				t.Fatalf("verified %+v but the signature does not check", cmd)
			}
			if cmd.Topic != topic {
				t.Fatalf("verified on %s a command for %s", topic, cmd.Topic)
			}
		}
	})
}
