package console

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pitwall/trackside/console/api"
	"pitwall/trackside/console/input"
	"pitwall/trackside/pin"
	"pitwall/trackside/race"
	"pitwall/trackside/store"
	"pitwall/trackside/unit"
)

// replayDevice is an evdev device that plays a recorded byte stream at the
// pace of its kernel timestamps, one SYN_REPORT frame at a time, then
// stays idle until closed: what a keypad on a unit does.
type replayDevice struct {
	data  []byte
	keys  []int
	l     input.Layout
	mu    sync.Mutex
	off   int
	last  time.Duration
	close chan struct{}
	once  sync.Once
}

func (d *replayDevice) Read(p []byte) (int, error) {
	size := d.l.Size()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.off >= len(d.data) {
		d.mu.Unlock()
		<-d.close
		d.mu.Lock()
		return 0, os.ErrClosed
	}
	// One frame: records up to and including the next SYN_REPORT.
	end := d.off
	for end+size <= len(d.data) {
		e := d.l.Decode(d.data[end:])
		end += size
		if e.Type == input.EvSyn && e.Code == input.SynReport {
			if d.last != 0 && e.Time > d.last {
				d.mu.Unlock()
				select {
				case <-time.After(e.Time - d.last):
				case <-d.close:
				}
				d.mu.Lock()
			}
			d.last = e.Time
			break
		}
	}
	n := copy(p, d.data[d.off:end])
	n -= n % size
	d.off += n
	return n, nil
}

func (d *replayDevice) Close() error              { d.once.Do(func() { close(d.close) }); return nil }
func (d *replayDevice) Layout() input.Layout      { return d.l }
func (d *replayDevice) Name() (string, error)     { return "USB Numeric Keypad", nil }
func (d *replayDevice) KeyState() ([]byte, error) { return make([]byte, 96), nil }
func (d *replayDevice) AbsInfo(uint16) (input.AbsInfo, error) {
	return input.AbsInfo{}, errors.New("no absolute axes")
}
func (d *replayDevice) MTSlots(uint16, int) ([]int32, error) { return nil, errors.New("no slots") }
func (d *replayDevice) Bits(evType uint16) ([]byte, error) {
	b := make([]byte, 96)
	set := func(n int) { b[n/8] |= 1 << (n % 8) }
	switch evType {
	case 0:
		for _, t := range []int{input.EvSyn, input.EvKey, 4} { // EV_MSC: the scan codes
			set(t)
		}
	case input.EvKey:
		for _, k := range d.keys {
			set(k)
		}
	}
	return b, nil
}

type replaySource struct{ dev *replayDevice }

func (s replaySource) List() ([]string, error) { return []string{"/dev/input/event3"}, nil }
func (s replaySource) Open(string) (input.Device, error) {
	return s.dev, nil
}

var _ io.ReadCloser = (*replayDevice)(nil)

// TestKeypadRecordingDrivesTheRace replays the input package's recorded
// USB keypad (KP1 KP2 KP3 KP4 KPENTER, KPPLUS held with autorepeat,
// KPMINUS, KPASTERISK, KPDOT, NUMLOCK, BACKSPACE held) through evdev
// decoding and the console's run loop against a real trackside: the PIN
// unlocks, the held + counts one reset, − takes it back, * captures a lap.
func TestKeypadRecordingDrivesTheRace(t *testing.T) {
	rec, err := os.ReadFile(filepath.Join("input", "testdata", "keypad.evdev"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := unitConfig(dir, "", 0.01) // a car too slow to close a lap meanwhile
	u, _ := runUnit(t, cfg, race.Racer{ID: "r1", Name: "Aiko Tanaka"})
	hashed := mustHash(t, "1234")
	if err := unit.SetPINIn(u.Store(), "Keypad Official", hashed); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := u.Track().LoadRacer(ctx, "test", "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Track().Start(ctx, "test"); err != nil {
		t.Fatal(err)
	}

	client := api.NewClient(cfg.Console.Socket, nil)
	go client.Run(ctx, 50*time.Millisecond)
	c, err := New(Config{Width: 800, Height: 480}, client)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the trackside before any key arrives.
	for !client.Connected() {
		time.Sleep(10 * time.Millisecond)
	}
	dev := &replayDevice{data: rec, l: input.Layout64, close: make(chan struct{}),
		keys: []int{14, 55, 69, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 96, 98}}
	in, err := input.New(input.Config{Width: 800, Height: 480}, replaySource{dev}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go in.Run(ctx)
	events := make(chan Event, 64)
	go Pump(in.Events(), events)
	var frames countingSink
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, client.Views(), events, &frames) }()

	// The recording lasts about 3 s; then the audit must hold exactly this.
	want := map[string]int{"reset": 2, "capture": 1}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := audited(t, u.Store(), "Keypad Official")
		if got["capture"] == 1 && got["reset"] >= 2 {
			time.Sleep(500 * time.Millisecond) // anything more would show now
			got = audited(t, u.Store(), "Keypad Official")
			for a, n := range want {
				if got[a] != n {
					t.Errorf("%s audited %d times, want %d (all: %v)", a, got[a], n, got)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the keypad recording the official's audit is %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := u.Track().Current()
	if r == nil || len(r.Laps) != 1 || !r.Laps[0].Manual || r.Resets != 0 {
		t.Errorf("race after the keypad: %+v", r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func mustHash(t *testing.T, p string) []byte {
	t.Helper()
	h, err := pin.Hash(p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// audited counts the audit entries of who by action.
func audited(t *testing.T, st *store.Store, who string) map[string]int {
	t.Helper()
	got := map[string]int{}
	if err := st.View(func(tx *store.Tx) error {
		return tx.ForEachAudit(func(a store.Audit) error {
			if a.Who == who {
				got[a.Action]++
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
