package mqtt_test

import (
	"errors"
	"strings"
	"testing"

	"pitwall/mqtt"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := &mqtt.Standings{Header: mqtt.Header{Track: "1", Seq: 7, Epoch: "ab"}, Ranking: "best-lap",
		Entries: []mqtt.StandingsEntry{{Rank: 1, RacerID: "r1", Name: "Zoë", ResultMS: 9876}}}
	b, err := mqtt.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	var out mqtt.Standings
	if err := mqtt.Decode(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.V != mqtt.Version || out.Seq != 7 || out.Epoch != "ab" || len(out.Entries) != 1 || out.Entries[0].Name != "Zoë" {
		t.Fatalf("round trip gave %+v", out)
	}
}

func TestDecodeRefusesWhatItCannotRead(t *testing.T) {
	for _, tc := range []struct {
		name, payload, want string
		version             bool
	}{
		{"newer major version", `{"v":2,"seq":1,"entries":[]}`, "v=2", true},
		{"newer version with another shape", `{"v":2,"seq":"one"}`, "v=2", true},
		{"no version", `{"seq":1,"entries":[]}`, `no "v"`, true},
		{"not JSON", `{"v":1,`, "decode payload", false},
		{"wrong type", `{"v":1,"seq":"one"}`, "decode payload", false},
		{"oversized", `{"v":1,"ranking":"` + strings.Repeat("x", mqtt.MaxPayload) + `"}`, "exceeds", false},
	} {
		var s mqtt.Standings
		err := mqtt.Decode([]byte(tc.payload), &s)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, mqtt.ErrVersion) != tc.version {
			t.Errorf("%s: error %v, want one naming %q (version error: %v)", tc.name, err, tc.want, tc.version)
		}
	}
}
