package socket

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pitwall/trackside/console/api"
	"pitwall/trackside/pin"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// serve runs a track on a real store with the console socket, and returns
// a connected client.
func serve(t *testing.T, pins map[string]string) (*api.Client, *track.Track, *store.Store, *clock) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "pitwall.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for who, p := range pins {
		h, err := pin.Hash(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(func(tx *store.Tx) error { return tx.SetConfig(pin.Setting(who), h) }); err != nil {
			t.Fatal(err)
		}
	}
	rules := race.DefaultConfig()
	rules.StartMode = race.StartByOfficial
	tr, err := track.Open(track.Config{ID: "s1", Store: st, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); tr.Run(ctx) }()
	clk := &clock{now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	srv, err := New(Config{Track: tr, Store: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "console.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); srv.Serve(ctx, ln) }()
	c := api.NewClient(sock, nil)
	wg.Add(1)
	go func() { defer wg.Done(); c.Run(ctx, 20*time.Millisecond) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	deadline := time.Now().Add(5 * time.Second)
	for !c.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("client did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c, tr, st, clk
}

func TestSocketPermissions(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "run", "console.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sock, nil, 0o600); err != nil { // a stale file
		t.Fatal(err)
	}
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode %v, want a socket with 0660", fi.Mode())
	}
}

func TestLockedRefusesCommands(t *testing.T) {
	c, tr, _, _ := serve(t, map[string]string{"Ana": "2468"})
	ctx := context.Background()
	if err := tr.PutRacer(ctx, "test", race.Racer{ID: "r1", Name: "Aiko"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Do(ctx, api.CmdLoad, api.LoadArgs{Racer: "r1"})
	var ae *api.Error
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "locked") {
		t.Fatalf("load while locked: %v", err)
	}
	if tr.Current() != nil {
		t.Fatal("a locked console loaded a race")
	}
	if who, err := c.Unlock(ctx, "2468"); err != nil || who != "Ana" {
		t.Fatalf("unlock: %q %v", who, err)
	}
	if _, err := c.Do(ctx, api.CmdLoad, api.LoadArgs{Racer: "r1"}); err != nil {
		t.Fatal(err)
	}
	if cur := tr.Current(); cur == nil || cur.RacerID != "r1" {
		t.Fatalf("current race %+v", cur)
	}
	// Bad input: a clear error, nothing changed.
	for _, tc := range []struct {
		cmd  string
		args any
		want string
	}{
		{"race.explode", nil, "unknown command"},
		{api.CmdReset, api.ResetArgs{Delta: 5}, "delta 5"},
		{api.CmdReset, map[string]any{"delta": 1, "extra": true}, "unknown field"},
		{api.CmdLapEdit, api.LapArgs{Race: cur(tr), No: 1}, "time needed"},
		{api.CmdLapEdit, api.LapArgs{Race: cur(tr), No: 1, Time: "soon"}, "lap time"},
		{api.CmdRacerAdd, api.RacerArgs{Name: "  "}, "name"},
		{api.CmdRacerAdd, api.RacerArgs{Name: "Ivo", Email: "ivo@example.com"}, "contact details"},
		{api.CmdRacerAdd, api.RacerArgs{ID: "r1", Name: "Aiko again"}, "exists"},
	} {
		_, err := c.Do(ctx, tc.cmd, tc.args)
		if !errors.As(err, &ae) || !strings.Contains(ae.Message, tc.want) {
			t.Errorf("%s %+v: %v, want %q", tc.cmd, tc.args, err, tc.want)
		}
	}
	if r := tr.Current(); r.State != race.Ready || r.Resets != 0 {
		t.Errorf("bad commands changed the race: %+v", r)
	}
	if err := c.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, api.CmdStart, nil); !errors.As(err, &ae) || !strings.Contains(ae.Message, "locked") {
		t.Fatalf("start after lock: %v", err)
	}
}

func cur(tr *track.Track) string {
	if r := tr.Current(); r != nil {
		return r.ID
	}
	return ""
}

// TestWrongPINFiveTimesLocksAMinute: the fifth wrong PIN in a row locks
// every console out for a minute, even the right PIN; then it works.
func TestWrongPINFiveTimesLocksAMinute(t *testing.T) {
	c, _, _, clk := serve(t, map[string]string{"Ana": "2468", "Ben": "1357"})
	ctx := context.Background()
	var ae *api.Error
	for i := 1; i <= 4; i++ {
		if _, err := c.Unlock(ctx, "0000"); !errors.As(err, &ae) || ae.Message != "wrong PIN" {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
	}
	if _, err := c.Unlock(ctx, "9999"); !errors.As(err, &ae) || ae.RetryAfter != Lockout {
		t.Fatalf("fifth wrong PIN: %v", err)
	}
	clk.add(Lockout - time.Second)
	if _, err := c.Unlock(ctx, "1357"); !errors.As(err, &ae) || !strings.Contains(ae.Message, "locked for 1s") {
		t.Fatalf("right PIN during the lockout: %v", err)
	}
	clk.add(time.Second)
	if who, err := c.Unlock(ctx, "1357"); err != nil || who != "Ben" {
		t.Fatalf("right PIN after the lockout: %q %v", who, err)
	}
}

// TestViewBeforeReply: when a command's reply arrives, the view showing
// its effect has arrived already.
func TestViewBeforeReply(t *testing.T) {
	c, tr, _, _ := serve(t, map[string]string{"Ana": "2468"})
	ctx := context.Background()
	if err := tr.PutRacer(ctx, "test", race.Racer{ID: "r1", Name: "Aiko"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Unlock(ctx, "2468"); err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		cmd   string
		args  any
		state string
	}{{api.CmdLoad, api.LoadArgs{Racer: "r1"}, "ready"}, {api.CmdStart, nil, "running"}, {api.CmdPause, nil, "paused"}} {
		if _, err := c.Do(ctx, step.cmd, step.args); err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-c.Views():
			if v.Race == nil || v.Race.State != step.state {
				t.Fatalf("step %d: view after the reply shows %+v, want %s", i, v.Race, step.state)
			}
		default:
			t.Fatalf("step %d: no view before the reply", i)
		}
	}
}
