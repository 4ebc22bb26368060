package socket

import (
	"context"
	"path/filepath"
	"testing"

	"pitwall/trackside/console/api"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// FuzzRequest feeds request lines to a server as a console connection
// would: decoding never panics, every argument type decodes or refuses
// cleanly, and a locked connection is never granted anything but unlock
// and lock.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"cmd":"unlock","args":{"pin":"2468"}}`,
		`{"id":2,"cmd":"race.reset","args":{"delta":1}}`,
		`{"id":3,"cmd":"lap.edit","args":{"race":"1-7","no":3,"time":"12.345s"}}`,
		`{"id":4,"cmd":"lap.valid","args":{"race":"1-7","no":2,"valid":false}}`,
		`{"id":5,"cmd":"racer.add","args":{"name":"Zoë Müller"}}`,
		`{"id":6,"cmd":"race.load","args":{}}`,
		`{"id":7,"cmd":"lock"}`,
		`{"cmd":"race.start","args":[1,2]}`,
		`{"cmd":"lap.add","args":{"race":"x","no":-1,"time":"-5s"}}`,
		`not json`, `{}`, `{"id":1e99}`,
	} {
		f.Add([]byte(s))
	}
	st, err := store.Open(filepath.Join(f.TempDir(), "pitwall.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	tr, err := track.Open(track.Config{ID: "f1", Store: st, Rules: race.DefaultConfig()})
	if err != nil {
		f.Fatal(err)
	}
	srv, err := New(Config{Track: tr, Store: st})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := parseRequest(line)
		if err != nil {
			return
		}
		for _, v := range []any{&api.UnlockArgs{}, &api.RacerArgs{}, &api.RacerIDArgs{}, &api.LoadArgs{}, &api.ResetArgs{}, &api.LapArgs{}, &struct{}{}} {
			if decode(req.Args, v) == nil {
				if la, ok := v.(*api.LapArgs); ok && la.Time != "" {
					api.ParseLapTime(la.Time)
				}
			}
		}
		m := srv.do(context.Background(), &conn{s: srv}, req)
		if m.OK && req.Cmd != api.CmdLock {
			t.Fatalf("a locked connection was granted %q: %+v", req.Cmd, m)
		}
		if !m.OK && m.Error == "" {
			t.Fatalf("%q refused without a reason", req.Cmd)
		}
	})
}
