package unit_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// A backup taken over MQTT from a running unit arrives in several chunks,
// reassembles, and opens as a store holding what the unit had.
func TestBackupFromRunningUnit(t *testing.T) {
	url := brokers[0].start(t)
	keys := newTestKeys(t)
	u := startAdminUnit(t, "1", url, keys, nil)
	a := newAdminClient(t, url, keys.admin, keys.official)
	a.ready("alice", "1")
	a.do("alice", mqtt.EventTarget, mqtt.CmdRacerAdd, mqtt.RacerArgs{ID: "r1", Name: "Ann", Email: "ann@example.com"}, "1")
	cs := make([]crossing.Crossing, 5000)
	for i := range cs {
		cs[i] = crossing.Crossing{Source: "bulk", MonoNS: track.MonoNow(), Clock: crossing.ClockHost, Transponder: "12345", Seq: uint64(i + 1)}
	}
	if err := u.Track().SinkBatch(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	data := a.collect("alice", "1", mqtt.CmdBackup, nil)
	if len(data) <= mqtt.ChunkSize {
		t.Fatalf("backup of %d bytes fits one chunk: the test needs more data", len(data))
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.View(func(tx *store.Tx) error {
		if r, ok, _ := tx.Racer("r1"); !ok || r.Email != "ann@example.com" {
			t.Errorf("backup racer r1: %+v %v", r, ok)
		}
		if n := tx.CrossingCount(); n != 5000 {
			t.Errorf("backup holds %d crossings", n)
		}
		return nil
	})
	// The unit went on: a command after the backup works.
	a.do("olly", "1", mqtt.CmdLoad, mqtt.LoadArgs{Racer: "r1"}, "1")
}

// A CSV import: the dry run lists every refused row and changes nothing; an
// import with refused rows imports nothing; a clean one imports all.
func TestRacerImport(t *testing.T) {
	url := brokers[0].start(t)
	keys := newTestKeys(t)
	u := startAdminUnit(t, "1", url, keys, nil)
	a := newAdminClient(t, url, keys.admin)
	a.ready("alice", "1")
	bad := "id,name,display_name,email,phone\nr1,Ann Lee,Ann,ann@example.com,123\nr2,Bob,,bob@example.com,\nr3,Cy,Cy,nope,\n"
	r := a.do("alice", mqtt.EventTarget, mqtt.CmdRacerImport, mqtt.ImportArgs{CSV: bad, DryRun: true}, "1")[0]
	var res mqtt.ImportResult
	json.Unmarshal(r.Result, &res)
	if !res.DryRun || res.Added != 1 || len(res.Refused) != 2 || res.Refused[0].Line != 3 || res.Refused[1].Line != 4 {
		t.Fatalf("dry run %+v", res)
	}
	topic, p, cmd := a.sign("alice", mqtt.EventTarget, mqtt.CmdRacerImport, mqtt.ImportArgs{CSV: bad})
	a.publish(topic, p)
	r = a.wait("to the import", func(r mqtt.Reply) bool { return r.ID == cmd.ID })
	if r.OK || r.Error.Code != mqtt.CodeBadArgs || !strings.Contains(string(r.Result), `"line":4`) {
		t.Fatalf("import with bad rows: %+v %s", r.Error, r.Result)
	}
	racers := func() int {
		n := 0
		u.Store().View(func(tx *store.Tx) error {
			return tx.ForEachRacer(func(race.Racer) error { n++; return nil })
		})
		return n
	}
	if n := racers(); n != 0 {
		t.Fatalf("%d racers after refused imports", n)
	}
	good := "display_name,name,email,id\nAnn,Ann Lee,ann@example.com,r1\nBob,,,r2\n"
	r = a.do("alice", mqtt.EventTarget, mqtt.CmdRacerImport, mqtt.ImportArgs{CSV: good}, "1")[0]
	json.Unmarshal(r.Result, &res)
	if res.Added != 2 || racers() != 2 {
		t.Fatalf("import %s, %d racers", r.Result, racers())
	}
}
