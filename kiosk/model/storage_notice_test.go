package model

import (
	"fmt"
	"testing"
	"time"

	"pitwall/mqtt"
)

// TestStorageFullNotice: a trackside whose disk is below its floor says so
// in its status; the board shows it where it shows a track offline.
func TestStorageFullNotice(t *testing.T) {
	status := func(track string, seq uint64, online bool, storage string) Message {
		st := &mqtt.Status{Header: mqtt.Header{Track: track, Boot: "x-1", Seq: seq}, Online: online}
		if storage != "" {
			st.Storage = &mqtt.StorageStatus{State: storage, FreeBytes: 10 << 20, MinFreeBytes: 64 << 20}
		}
		return msg(t, mqtt.TrackStatus(track), st, t0)
	}
	for _, tc := range []struct {
		name string
		msgs []Message
		want []string
	}{
		{"full", []Message{status("1", 1, true, mqtt.StorageOK), status("2", 1, true, mqtt.StorageFull)}, []string{"track 2 storage full"}},
		{"low is not a board notice", []Message{status("1", 1, true, mqtt.StorageLow)}, nil},
		{"space back", []Message{status("2", 1, true, mqtt.StorageFull), status("2", 2, true, mqtt.StorageOK)}, nil},
		{"offline says offline only", []Message{status("2", 1, true, mqtt.StorageFull), status("2", 2, false, mqtt.StorageFull)}, []string{"track 2 offline"}},
		{"a status without storage (older trackside)", []Message{status("2", 1, true, "")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScene(SceneConfig{})
			s.SetConnected(t0)
			for _, m := range tc.msgs {
				apply(t, s, m)
			}
			now := t0.Add(time.Minute)
			if b := s.Board(now, now, true); fmt.Sprint(b.Notices) != fmt.Sprint(tc.want) {
				t.Fatalf("notices %q, want %q", b.Notices, tc.want)
			}
		})
	}
}
