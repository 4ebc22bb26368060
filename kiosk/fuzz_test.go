package kiosk

import (
	"bytes"
	"testing"
	"time"

	"pitwall/kiosk/model"
	"pitwall/mqtt"
)

// FuzzDecodeCache: no panic on any cache file, and whatever decodes
// encodes to a file that decodes to the same content.
func FuzzDecodeCache(f *testing.F) {
	good, _ := mqtt.Encode(standings("1", 7, ranked(e(0, "a", 9000))...))
	enc, _ := encodeCache(cacheFile{Boots: 2, LastContactMS: 1700000000000, Tracks: []cachedTrack{{ID: "1", Standings: good}}})
	f.Add(enc)
	f.Add([]byte(`{"v":1,"tracks":[]}`))
	f.Add([]byte(`{"v":1,"tracks":[{"id":"1","race":{"v":1}}]}`))
	f.Add([]byte(`{"v":3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCache(b)
		if err != nil {
			return
		}
		again, err := encodeCache(c)
		if err != nil {
			t.Fatalf("decoded cache does not encode: %v", err)
		}
		c2, err := decodeCache(again)
		if err != nil {
			t.Fatalf("re-encoded cache does not decode: %v", err)
		}
		again2, _ := encodeCache(c2)
		if !bytes.Equal(again, again2) {
			t.Fatalf("round trip differs:\n%s\n%s", again, again2)
		}
		s := model.NewScene(model.SceneConfig{Location: time.UTC}, t0)
		for _, m := range c2.Messages() {
			s.Apply(m) // refusals are fine; panics are not
		}
		s.Board(t0, t0, true)
	})
}
