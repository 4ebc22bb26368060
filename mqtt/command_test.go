package mqtt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKey(t testing.TB, id string, role Role) PrivateKeyFile {
	t.Helper()
	k, err := GenerateKey(id, role, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testVerifier(t testing.TB, track string, keys ...PrivateKeyFile) *Verifier {
	t.Helper()
	var ak []AuthorizedKey
	for _, k := range keys {
		ak = append(ak, k.Authorized())
	}
	v, err := NewVerifier(track, ak, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantCode(t *testing.T, err error, code Code) {
	t.Helper()
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	admin := testKey(t, "alice", RoleAdmin)
	s := &Signer{Key: admin, NextSeq: (&Counter{}).Next, Now: time.Now}
	v := testVerifier(t, "1", admin)
	topic, payload, sent, err := s.Sign("1", CmdQueue, RacerIDArgs{ID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if topic != AdminReq("1") {
		t.Fatalf("topic %q", topic)
	}
	got, err := v.Verify(topic, payload, time.Now(), true)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != sent.ID || got.Seq != 1 || got.Name != CmdQueue || string(got.Args) != `{"id":"r1"}` {
		t.Fatalf("got %+v", got)
	}
	// Event-wide racer command on the event topic.
	topic, payload, _, err = s.Sign(EventTarget, CmdRacerAdd, RacerArgs{ID: "r1", Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if topic != EventAdminReq {
		t.Fatalf("topic %q", topic)
	}
	if _, err := v.Verify(topic, payload, time.Now(), true); err != nil {
		t.Fatal(err)
	}
}

// Every check Verify makes, each with its own code.
func TestVerifyRefusals(t *testing.T) {
	admin := testKey(t, "alice", RoleAdmin)
	official := testKey(t, "olly", RoleOfficial)
	stranger := testKey(t, "mallory", RoleAdmin)
	v := testVerifier(t, "1", admin, official)
	seq := &Counter{}
	sign := func(k PrivateKeyFile, target, name string, args any, now func() time.Time) (string, []byte) {
		s := &Signer{Key: k, NextSeq: seq.Next, Now: now}
		topic, p, _, err := s.Sign(target, name, args)
		if err != nil {
			t.Fatal(err)
		}
		return topic, p
	}
	now := time.Now()

	topic, p := sign(admin, "1", CmdStart, nil, nil)
	var env Envelope
	json.Unmarshal(p, &env)
	env.Sig[0] ^= 1
	forged, _ := json.Marshal(env)
	_, err := v.Verify(topic, forged, now, false)
	wantCode(t, err, CodeBadSignature)
	// Body changed after signing: the signature no longer matches.
	env.Sig[0] ^= 1
	env.Body = bytes.Replace(env.Body, []byte(CmdStart), []byte(CmdPause), 1)
	tampered, _ := json.Marshal(env)
	_, err = v.Verify(topic, tampered, now, false)
	wantCode(t, err, CodeBadSignature)

	topic, p = sign(stranger, "1", CmdStart, nil, nil)
	_, err = v.Verify(topic, p, now, false)
	wantCode(t, err, CodeUnknownKey)

	topic, p = sign(official, EventTarget, CmdRacerAdd, RacerArgs{ID: "r1", Name: "A"}, nil)
	_, err = v.Verify(topic, p, now, false)
	wantCode(t, err, CodeForbidden)
	topic, p = sign(official, "1", CmdStart, nil, nil)
	if _, err = v.Verify(topic, p, now, false); err != nil {
		t.Fatalf("official start: %v", err)
	}

	topic, p = sign(admin, "2", CmdStart, nil, nil)
	_, err = v.Verify(topic, p, now, false)
	wantCode(t, err, CodeWrongTarget)
	topic, p = sign(admin, EventTarget, CmdStart, nil, nil)
	_, err = v.Verify(topic, p, now, false)
	wantCode(t, err, CodeWrongTarget)

	// Signed for track 1's topic but delivered on the event topic.
	_, p = sign(admin, "1", CmdStart, nil, nil)
	_, err = v.Verify(EventAdminReq, p, now, false)
	wantCode(t, err, CodeWrongTopic)

	topic, p = sign(admin, "1", "race.teleport", nil, nil)
	_, err = v.Verify(topic, p, now, false)
	wantCode(t, err, CodeUnknownCommand)

	_, err = v.Verify(topic, []byte(`{"v":1,"body":`), now, false)
	wantCode(t, err, CodeMalformed)
	_, err = v.Verify(topic, bytes.Repeat([]byte(" "), MaxCommand+1), now, false)
	wantCode(t, err, CodeTooLarge)

	old := func() time.Time { return now.Add(-10 * time.Minute) }
	topic, p = sign(admin, "1", CmdStart, nil, old)
	_, err = v.Verify(topic, p, now, true)
	wantCode(t, err, CodeStale)
	// Without a synced clock the window is not enforced (seq still is).
	if _, err = v.Verify(topic, p, now, false); err != nil {
		t.Fatalf("unsynced: %v", err)
	}
}

func TestDecodeCommandMalformed(t *testing.T) {
	for _, in := range []string{
		``, `null`, `[]`, `{"v":2,"body":"e30=","sig":""}`,
		`{"v":1,"body":"e30=","sig":"AAAA"}`,
		`{"v":1,"body":"e30=","sig":"` + strings.Repeat("A", 86) + `==","x":1}`,
		`{"v":1,"body":"e30=","sig":"` + strings.Repeat("A", 86) + `=="}`, // body {} has no key
		`{"v":1,"body":"e30=","sig":"` + strings.Repeat("A", 86) + `=="} {}`,
	} {
		if _, _, err := DecodeCommand([]byte(in)); ErrorCode(err) != CodeMalformed {
			t.Errorf("%q: err %v, want malformed", in, err)
		}
	}
}

func TestSignRefusesOversizedCommand(t *testing.T) {
	s := &Signer{Key: testKey(t, "alice", RoleAdmin), NextSeq: (&Counter{}).Next}
	_, _, _, err := s.Sign(EventTarget, CmdRacerImport, ImportArgs{CSV: strings.Repeat("x", MaxCommand)})
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("err = %v", err)
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	k := testKey(t, "alice", RoleAdmin)
	got, err := ParsePrivateKeyFile(k.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.PrivateKey, k.PrivateKey) || got.ID != "alice" || got.Role != RoleAdmin {
		t.Fatalf("got %+v", got)
	}
	pub, _ := json.Marshal(k.Authorized())
	var ak AuthorizedKey
	if err := json.Unmarshal(pub, &ak); err != nil || ak.Validate() != nil {
		t.Fatalf("public form %s: %v", pub, err)
	}
	if bytes.Contains(pub, k.PrivateKey) {
		t.Fatal("public form holds the private key")
	}
	for _, bad := range []string{`{"id":"alice","role":"root","private_key":"` + strings.Repeat("A", 43) + `="}`,
		`{"id":"alice","role":"admin","private_key":"AAAA"}`} {
		if _, err := ParsePrivateKeyFile([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := NewVerifier("1", []AuthorizedKey{k.Authorized(), k.Authorized()}, 0); err == nil {
		t.Fatal("duplicate key id accepted")
	}
}

func TestChunksReassemble(t *testing.T) {
	for _, size := range []int{0, 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		data := make([]byte, size)
		rand.Read(data)
		var chunks []Chunk
		w := NewChunkWriter(func(c Chunk) error {
			c.Data = append([]byte(nil), c.Data...)
			chunks = append(chunks, c)
			return nil
		})
		// Odd write sizes so chunk boundaries fall inside writes.
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 100_003)
			w.Write(rest[:n])
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Through the wire, reversed, with a duplicate.
		var a Assembly
		var done bool
		order := append([]Chunk{chunks[0]}, chunks...)
		for i := len(order) - 1; i >= 0; i-- {
			b, err := EncodeReply(Reply{Track: "1", ID: "x", OK: true, Chunk: &order[i]})
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeReply(b)
			if err != nil {
				t.Fatal(err)
			}
			if done, err = a.Add(*r.Chunk); err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
		}
		if !done || !bytes.Equal(a.Bytes(), data) {
			t.Fatalf("size %d: done %v, %d bytes back", size, done, len(a.Bytes()))
		}
	}
}

func TestAssemblyRefuses(t *testing.T) {
	var chunks []Chunk
	w := NewChunkWriter(func(c Chunk) error {
		chunks = append(chunks, Chunk{Index: c.Index, Last: c.Last, Size: c.Size, SHA256: c.SHA256, Data: append([]byte(nil), c.Data...)})
		return nil
	})
	w.Write(make([]byte, 2*ChunkSize+5))
	w.Close()

	a := Assembly{MaxBytes: ChunkSize}
	a.Add(chunks[0])
	if _, err := a.Add(chunks[1]); err == nil {
		t.Error("over MaxBytes accepted")
	}
	var b Assembly
	bad := chunks[1]
	bad.Data = append([]byte{1}, bad.Data[1:]...)
	b.Add(chunks[0])
	b.Add(bad)
	if _, err := b.Add(chunks[2]); err == nil {
		t.Error("corrupt chunk accepted")
	}
	var c Assembly
	if _, err := c.Add(Chunk{Index: -1}); err == nil {
		t.Error("negative index accepted")
	}
	c.Add(chunks[2])
	if _, err := c.Add(Chunk{Index: 5}); err == nil {
		t.Error("chunk after the last accepted")
	}
}

func BenchmarkVerifyCommand(b *testing.B) {
	admin := testKey(b, "alice", RoleAdmin)
	v := testVerifier(b, "1", admin)
	s := &Signer{Key: admin, NextSeq: (&Counter{}).Next, Now: time.Now}
	topic, p, _, err := s.Sign("1", CmdLapEdit, LapArgs{Race: "r-17", No: 3, Time: "12.345s"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(topic, p, now, true); err != nil {
			b.Fatal(err)
		}
	}
}

// The signature check alone, for comparison with BenchmarkVerifyCommand.
func BenchmarkEd25519VerifyOnly(b *testing.B) {
	admin := testKey(b, "alice", RoleAdmin)
	s := &Signer{Key: admin, NextSeq: (&Counter{}).Next, Now: time.Now}
	_, p, _, _ := s.Sign("1", CmdLapEdit, LapArgs{Race: "r-17", No: 3, Time: "12.345s"})
	env, _, _ := DecodeCommand(p)
	pub := ed25519.PublicKey(admin.Authorized().PublicKey)
	for b.Loop() {
		if !ed25519.Verify(pub, env.Body, env.Sig) {
			b.Fatal("verify")
		}
	}
}
