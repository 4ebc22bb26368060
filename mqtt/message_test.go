package mqtt

import (
	"strings"
	"testing"
)

func TestMessageValidate(t *testing.T) {
	tests := []struct {
		name    string
		msg     Message
		wantErr string // substring; empty means valid
	}{
		{"status", Message{ID: 1, Topic: TrackStatus("t1"), Payload: []byte(`{}`), Retained: true}, ""},
		{"empty payload", Message{ID: 2, Topic: TrackLaps("t1")}, ""},
		{"largest payload", Message{ID: 3, Topic: TrackLaps("t1"), Payload: make([]byte, MaxPayload)}, ""},
		{"empty topic", Message{ID: 4}, "empty"},
		{"plus wildcard", Message{ID: 5, Topic: AllTrackStatus}, "wildcard"},
		{"hash wildcard", Message{ID: 6, Topic: Root + "/#"}, "wildcard"},
		{"nul", Message{ID: 7, Topic: "a\x00b"}, "NUL"},
		{"bad utf-8", Message{ID: 8, Topic: "a\xffb"}, "UTF-8"},
		{"topic too long", Message{ID: 9, Topic: strings.Repeat("a", 65536)}, "exceeds"},
		{"payload too big", Message{ID: 10, Topic: TrackLaps("t1"), Payload: make([]byte, MaxPayload+1)}, "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.msg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate: nil, want an error about %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate: %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}
