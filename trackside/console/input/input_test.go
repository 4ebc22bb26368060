package input

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

func startInput(t *testing.T, src Source, cfg Config) *Input {
	t.Helper()
	in, err := New(cfg, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return in
}

func nextEvent(t *testing.T, in *Input) Event {
	t.Helper()
	select {
	case e, ok := <-in.Events():
		if !ok {
			t.Fatal("events closed")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return nil
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestDiscoveryUsesTouchAndKeyboardsOnly(t *testing.T) {
	src := newFakeSource()
	touchR, touchW := io.Pipe()
	keysR, keysW := io.Pipe()
	src.plug("/dev/input/event0", newFake(mtPanel, touchR))
	src.plug("/dev/input/event1", newFake(keypadSpec, keysR))
	src.plug("/dev/input/event2", newFake(deviceSpec{name: "pwr_button", layout: Layout64, types: []int{EvSyn, EvKey}, keys: []int{116}}, bytes.NewReader(nil)))
	cfg := screen800
	cfg.Rescan = time.Hour // scans only when the test says
	in := startInput(t, src, cfg)
	eventually(t, "two devices open", func() bool { return len(in.Stats().Devices) == 2 })
	in.scan()
	in.scan()
	if n := src.openCount("/dev/input/event2"); n != 1 {
		t.Errorf("power button opened %d times; a device that is neither touch nor keyboard is skipped until it goes away", n)
	}
	want := []DeviceStatus{
		{Path: "/dev/input/event0", Name: "ILITEK ILITEK-TP", Kind: KindTouch},
		{Path: "/dev/input/event1", Name: "USB Numeric Keypad", Kind: KindKeyboard},
	}
	got := in.Stats().Devices
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("device %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	go touchW.Write(newStream(Layout64).at(ms(1, 0)).mtDown(0, 1, 2048, 2048).at(ms(1, 50)).mtUp(0).b)
	if e := nextEvent(t, in); e != (Tap{X: 400, Y: 240}) {
		t.Errorf("touch: %v", e)
	}
	go keysW.Write(newStream(Layout64).at(ms(1, 0)).tap(78).b)
	if e := nextEvent(t, in); e != (Key{Name: "KPPLUS", Action: ActionResetPlus}) {
		t.Errorf("keypad: %v", e)
	}
}

// Right after a plug-in the node may still be root-only: the first open
// fails, the next scan opens it.
func TestOpenFailureIsRetried(t *testing.T) {
	src := newFakeSource()
	r, w := io.Pipe()
	defer w.Close()
	src.plug("/dev/input/event7", newFake(keypadSpec, r))
	src.refuse["/dev/input/event7"] = syscall.EACCES
	cfg := screen800
	cfg.Rescan = time.Hour
	in := startInput(t, src, cfg)
	eventually(t, "first open refused", func() bool { return src.openCount("/dev/input/event7") == 1 })
	in.scan()
	if n := len(in.Stats().Devices); n != 1 || src.openCount("/dev/input/event7") != 2 {
		t.Fatalf("%d devices after a second scan", n)
	}
}

// The touchscreen is unplugged in the middle of a drag (its read fails with
// ENODEV): the drag is cancelled, never finished, and the same panel
// plugged back in under another name works again.
func TestUnplugMidDragThenReplug(t *testing.T) {
	src := newFakeSource()
	r1, w1 := io.Pipe()
	src.plug("/dev/input/event3", newFake(mtPanel, r1))
	cfg := screen800
	cfg.Rescan = time.Hour
	in := startInput(t, src, cfg)
	eventually(t, "panel open", func() bool { return len(in.Stats().Devices) == 1 })

	go w1.Write(newStream(Layout64).at(ms(1, 0)).mtDown(0, 7, 1000, 2000).at(ms(1, 20)).mtX(0, 1200).b)
	if e := nextEvent(t, in); e != (Drag{X: 234, Y: 234, DX: 39, Phase: DragBegin}) {
		t.Fatalf("before unplug: %v", e)
	}
	src.unplug("/dev/input/event3")
	w1.CloseWithError(syscall.ENODEV)
	if e := nextEvent(t, in); e != (Drag{X: 234, Y: 234, Phase: DragCancel}) {
		t.Fatalf("unplug mid-drag: %v, want a cancelled drag", e)
	}
	eventually(t, "panel closed", func() bool { s := in.Stats(); return len(s.Devices) == 0 && s.Unplugs == 1 })

	r2, w2 := io.Pipe()
	src.plug("/dev/input/event4", newFake(mtPanel, r2))
	in.Rescan()
	eventually(t, "panel reopened", func() bool { return len(in.Stats().Devices) == 1 })
	if d := in.Stats().Devices[0]; d.Path != "/dev/input/event4" {
		t.Errorf("reopened %+v", d)
	}
	go w2.Write(newStream(Layout64).at(ms(2, 0)).mtDown(0, 1, 2048, 2048).at(ms(2, 50)).mtUp(0).b)
	if e := nextEvent(t, in); e != (Tap{X: 400, Y: 240}) {
		t.Errorf("after replug: %v", e)
	}
}

// floodDrag is one finger dragged across the panel in 10,000 events over
// one second of event time (a frame is X, Y, SYN_REPORT).
func floodDrag() (stream []byte, frames int) {
	s := newStream(Layout64).at(ms(100, 0)).mtDown(0, 1, 100, 2000)
	x := int32(100)
	for n := 7; n+3 <= 10000-4; n += 3 {
		s.t += 300 * time.Microsecond
		x++
		s.ev(EvAbs, AbsMTPositionX, x).ev(EvAbs, AbsMTPositionY, 2000+x%7).syn()
		frames++
	}
	s.t += time.Millisecond
	s.mtUp(0)
	return s.b, frames
}

// A flood of 10,000 events/s reaches a console that is not reading at all:
// the reader is never blocked (it reaches the end of the stream), moves
// waiting in the queue are merged, and the console then gets exactly
// begin, one move adding up the whole way, end.
func TestFloodIsCoalescedAndNeverBlocksTheReader(t *testing.T) {
	stream, frames := floodDrag()
	src := newFakeSource()
	src.plug("/dev/input/event0", newFake(mtPanel, bytes.NewReader(stream)))
	cfg := screen800
	cfg.Rescan = time.Hour
	in := startInput(t, src, cfg)
	eventually(t, "the whole flood read while nobody takes events", func() bool { return in.Stats().Unplugs == 1 })

	begin, _ := nextEvent(t, in).(Drag)
	move, _ := nextEvent(t, in).(Drag)
	end, _ := nextEvent(t, in).(Drag)
	if begin.Phase != DragBegin || move.Phase != DragMove || end.Phase != DragEnd {
		t.Fatalf("got %v %v %v", begin, move, end)
	}
	x0, _, _ := (transform{maxX: 4095, maxY: 4095, w: 800, h: 480}).screen(100, 2000)
	if begin.X-begin.DX != x0 || begin.DX+move.DX != end.X-x0 || move.X != end.X {
		t.Errorf("deltas do not add up: start %d, %v %v %v", x0, begin, move, end)
	}
	// Unqueued, the same stream gives begin, n moves, end: all n moves
	// but the one delivered were merged into it.
	direct, _, err := replay(mtPanel, screen800, stream)
	if err != nil {
		t.Fatal(err)
	}
	moves := len(direct) - 2
	s := in.Stats()
	if moves < 500 || s.Coalesced != uint64(moves-1) || s.Dropped != 0 {
		t.Errorf("%d moves, coalesced %d, dropped %d", moves, s.Coalesced, s.Dropped)
	}
	t.Logf("%d bytes, %d frames, coalesced %d moves", len(stream), frames, s.Coalesced)
}

// garbage is 10,000 records of rubbish: random bytes, and events of the
// right types whose coordinates are all off the panel, slots out of range,
// random tracking ids, SYN_DROPPED storms.
func garbage() []byte {
	rng := rand.New(rand.NewPCG(8, 10000))
	s := newStream(Layout64).at(ms(200, 0))
	off := func() int32 {
		v := rng.Int32() - rng.Int32()
		if v >= 0 && v <= 4095 {
			v += 4096
		}
		return v
	}
	for i := 0; i < 10000; i++ {
		s.t += 100 * time.Microsecond
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			rec := make([]byte, Layout64.Size())
			for j := range rec {
				rec[j] = byte(rng.Uint32())
			}
			s.b = append(s.b, rec...)
		case 4:
			s.ev(EvAbs, AbsMTSlot, rng.Int32N(40)-10)
		case 5:
			s.ev(EvAbs, AbsMTTrackingID, rng.Int32N(100)-2)
		case 6:
			s.ev(EvAbs, AbsMTPositionX, off())
		case 7:
			s.ev(EvAbs, AbsMTPositionY, off())
		case 8:
			s.syn()
		case 9:
			if rng.IntN(20) == 0 {
				s.ev(EvSyn, SynDropped, 0)
			} else {
				s.ev(EvKey, uint16(rng.IntN(0x300)), rng.Int32N(3))
			}
		}
	}
	return s.b
}

func TestGarbageFloodActsOnNothing(t *testing.T) {
	spec := mtSpec("ILITEK ILITEK-TP", Layout64, 4095, 4095)
	off := []int32{9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999}
	// Where the slots were last: off the panel, so a tracking id without
	// a position stays there, as protocol B says.
	spec.slots[AbsMTPositionX], spec.slots[AbsMTPositionY] = off, off
	got, c, err := replay(spec, screen800, garbage())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if d, ok := e.(Drag); ok && d.Phase == DragCancel {
			continue // a cancel acts on nothing
		}
		t.Errorf("garbage produced %#v", e)
	}
	if c.offPanel == 0 || c.malformed == 0 || c.synDropped == 0 {
		t.Errorf("counters %+v: the garbage was not seen as such", c)
	}
	t.Logf("counters %+v", c)
}

// Feeding frames allocates nothing, so memory stays flat however long a
// flood lasts; only delivered events (at most the queue size) take memory.
func TestFramesDoNotAllocate(t *testing.T) {
	cfg, _ := screen800.withDefaults()
	dev := newFake(mtPanel, bytes.NewReader(nil))
	caps, _ := probe(dev)
	p, err := newPipeline(dev, caps, cfg, nil, func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	frame := []RawEvent{{Type: EvAbs, Code: AbsMTSlot}, {Type: EvAbs, Code: AbsMTTrackingID, Value: 5}, {Type: EvAbs, Code: AbsMTPositionX, Value: 9000}, {Type: EvSyn}}
	for _, e := range frame {
		p.feed(e)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		for _, e := range frame[2:] {
			e.Value++
			p.feed(e)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame", allocs)
	}
}

// With a device clock (the Linux device's CLOCK_MONOTONIC) a long-press
// fires while the finger is still held, with no further event.
func TestLongPressFiresWhileHeld(t *testing.T) {
	src := newFakeSource()
	r, w := io.Pipe()
	dev := newFake(mtPanel, r)
	var now time.Duration = ms(10, 100)
	nowCh := make(chan time.Duration, 1)
	nowCh <- now
	dev.now = func() time.Duration { v := <-nowCh; nowCh <- v; return v }
	src.plug("/dev/input/event0", clockDevice{dev})
	cfg := screen800
	cfg.Rescan = time.Hour
	in := startInput(t, src, cfg)
	eventually(t, "panel open", func() bool { return len(in.Stats().Devices) == 1 })

	// Held 100 ms of the 600: the lift taps; no long-press came first.
	w.Write(newStream(Layout64).at(ms(10, 0)).mtDown(0, 1, 2048, 2048).b)
	w.Write(newStream(Layout64).at(ms(10, 200)).mtUp(0).b)
	if e := nextEvent(t, in); e != (Tap{X: 400, Y: 240}) {
		t.Fatalf("short hold: %v", e)
	}
	// The clock says 700 ms have passed since the finger went down.
	<-nowCh
	nowCh <- ms(11, 700)
	w.Write(newStream(Layout64).at(ms(11, 0)).mtDown(0, 2, 2048, 2048).b)
	if e := nextEvent(t, in); e != (LongPress{X: 400, Y: 240}) {
		t.Fatalf("held: %v", e)
	}
	go w.Write(newStream(Layout64).at(ms(12, 0)).mtUp(0).at(ms(12, 100)).mtDown(0, 3, 0, 0).at(ms(12, 150)).mtUp(0).b)
	if e := nextEvent(t, in); e != (Tap{X: 0, Y: 0}) {
		t.Fatalf("the long-press's lift must add nothing: %v", e)
	}
}

// 10,000 events of taps (833 of them) reach a console that takes nothing
// until the reader has finished: the queue keeps its 256 oldest (plus the
// one being handed over), counts the rest as dropped, and the reader is
// never held up.
func TestTapFloodDropsBeyondTheQueue(t *testing.T) {
	s := newStream(Layout64).at(ms(300, 0))
	taps := 0
	for len(s.b)/Layout64.Size()+12 <= 10000 {
		s.mtDown(0, int32(taps+1), 2048, 2048)
		s.t += 500 * time.Microsecond
		s.mtUp(0)
		s.t += 500 * time.Microsecond
		taps++
	}
	src := newFakeSource()
	src.plug("/dev/input/event0", newFake(mtPanel, bytes.NewReader(s.b)))
	cfg := screen800
	cfg.Rescan = time.Hour
	in := startInput(t, src, cfg)
	eventually(t, "the flood read", func() bool { return in.Stats().Unplugs == 1 })
	st := in.Stats()
	if st.Dropped < uint64(taps-defaultQueueSize-1) || st.Dropped > uint64(taps-defaultQueueSize) {
		t.Fatalf("%d taps, dropped %d with a queue of %d", taps, st.Dropped, defaultQueueSize)
	}
	for i := 0; i < taps-int(st.Dropped); i++ {
		if e := nextEvent(t, in); e != (Tap{X: 400, Y: 240}) {
			t.Fatalf("event %d: %v", i, e)
		}
	}
	if _, ok := in.q.pop(); ok {
		t.Error("more events than taps not dropped")
	}
	t.Logf("%d taps in %d events: %d dropped", taps, len(s.b)/Layout64.Size(), st.Dropped)
}
