package input

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// The recordings in testdata/*.evdev are raw evdev byte streams, exactly
// what read(2) on /dev/input/eventN returns (struct input_event records in
// the layout named in the recording). There is no touchscreen on the build
// machine, so they are written by the scripts below, which follow what the
// kernel emits (input-mt, protocol B: ABS_MT_SLOT when the slot changes,
// tracking id -1 on lift, the legacy ABS_X/ABS_Y/BTN_TOUCH emulation; keys
// with MSC_SCAN before EV_KEY). Regenerate after changing a script with
//
//	go test ./trackside/console/input/ -run TestRecordings -update
//
// Without -update the test replays the committed files and also fails if a
// file no longer matches its script.
var update = flag.Bool("update", false, "rewrite testdata/*.evdev from the scripts")

const (
	evMsc   = 4
	mscScan = 4
)

// stream builds a recording.
type stream struct {
	l Layout
	b []byte
	t time.Duration
}

func newStream(l Layout) *stream { return &stream{l: l} }

func (s *stream) at(t time.Duration) *stream { s.t = t; return s }
func (s *stream) ev(typ, code uint16, v int32) *stream {
	s.b = s.l.Append(s.b, RawEvent{Time: s.t, Type: typ, Code: code, Value: v})
	return s
}
func (s *stream) syn() *stream { return s.ev(EvSyn, SynReport, 0) }

// mtDown puts a new contact in slot (protocol B plus legacy emulation).
func (s *stream) mtDown(slot, id, x, y int32) *stream {
	return s.ev(EvAbs, AbsMTSlot, slot).ev(EvAbs, AbsMTTrackingID, id).
		ev(EvAbs, AbsMTPositionX, x).ev(EvAbs, AbsMTPositionY, y).
		ev(EvKey, BtnTouch, 1).ev(EvAbs, AbsX, x).ev(EvAbs, AbsY, y).syn()
}

func (s *stream) mtX(slot, x int32) *stream {
	return s.ev(EvAbs, AbsMTSlot, slot).ev(EvAbs, AbsMTPositionX, x).ev(EvAbs, AbsX, x).syn()
}

func (s *stream) mtXY(slot, x, y int32) *stream {
	return s.ev(EvAbs, AbsMTSlot, slot).ev(EvAbs, AbsMTPositionX, x).ev(EvAbs, AbsMTPositionY, y).
		ev(EvAbs, AbsX, x).ev(EvAbs, AbsY, y).syn()
}

func (s *stream) mtUp(slot int32) *stream {
	return s.ev(EvAbs, AbsMTSlot, slot).ev(EvAbs, AbsMTTrackingID, -1).ev(EvKey, BtnTouch, 0).syn()
}

// key presses (1), repeats (2) or releases (0) a key the way a USB HID
// keyboard reports it.
func (s *stream) key(code uint16, v int32) *stream {
	return s.ev(evMsc, mscScan, 0x70000+int32(code)).ev(EvKey, code, v).syn()
}

func (s *stream) tap(code uint16) *stream {
	s.key(code, 1)
	s.t += 80 * time.Millisecond
	s.key(code, 0)
	s.t += 200 * time.Millisecond
	return s
}

func ms(sec, milli int) time.Duration {
	return time.Duration(sec)*time.Second + time.Duration(milli)*time.Millisecond
}

func mtSpec(name string, l Layout, maxX, maxY int32) deviceSpec {
	return deviceSpec{
		name: name, layout: l,
		types: []int{EvSyn, EvKey, EvAbs},
		keys:  []int{BtnTouch},
		abs:   []int{AbsX, AbsY, AbsMTSlot, AbsMTPositionX, AbsMTPositionY, AbsMTTrackingID},
		absinfo: map[uint16]AbsInfo{
			AbsX: {Maximum: maxX}, AbsY: {Maximum: maxY},
			AbsMTPositionX: {Maximum: maxX}, AbsMTPositionY: {Maximum: maxY},
			AbsMTSlot: {Maximum: 9}, AbsMTTrackingID: {Maximum: 65535},
		},
		slots: map[uint16][]int32{
			AbsMTTrackingID: {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
			AbsMTPositionX:  make([]int32, 10), AbsMTPositionY: make([]int32, 10),
		},
	}
}

var (
	// A 7" capacitive panel, protocol B, 0..4095 on both axes.
	mtPanel = mtSpec("ILITEK ILITEK-TP", Layout64, 4095, 4095)
	// A portrait controller (0..4000 x 0..2400) mounted turned 90°.
	portraitPanel = mtSpec("Goodix Capacitive TouchScreen", Layout64, 4000, 2400)
	// A resistive single-touch panel on a 32-bit armv7 (16-byte records);
	// its range does not start at 0.
	stPanel = deviceSpec{
		name: "eGalax Inc. USB TouchController", layout: Layout32,
		types: []int{EvSyn, EvKey, EvAbs},
		keys:  []int{BtnTouch},
		abs:   []int{AbsX, AbsY},
		absinfo: map[uint16]AbsInfo{
			AbsX: {Minimum: 200, Maximum: 3900}, AbsY: {Minimum: 150, Maximum: 3950},
		},
	}
	keypadSpec = deviceSpec{
		name: "USB Numeric Keypad", layout: Layout64,
		types: []int{EvSyn, EvKey, evMsc},
		keys:  []int{14, 55, 69, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 96, 98},
	}
	keyboardSpec = deviceSpec{
		name: "Logitech USB Keyboard", layout: Layout64,
		types: []int{EvSyn, EvKey, evMsc},
		keys: func() []int {
			var k []int
			for c := 1; c <= 111; c++ {
				k = append(k, c)
			}
			return k
		}(),
	}
)

type recording struct {
	file   string
	spec   deviceSpec
	cfg    Config
	script func() []byte
	want   []Event
	// counters expected after the replay
	offPanel, malformed, synDropped, resyncFail uint64
}

var screen800 = Config{Width: 800, Height: 480}

func recordings() []recording {
	rotated := screen800
	rotated.Rotate, rotated.SwapXY = 90, true
	noSlots := mtPanel
	noSlots.slots = nil
	resynced := mtPanel
	resynced.slotsLater = map[uint16][]int32{ // the kernel's view after the drop: finger 200 still down
		// and finger 201, whose touch-down was lost, down in slot 1
		AbsMTTrackingID: {200, 201, -1, -1, -1, -1, -1, -1, -1, -1},
		AbsMTPositionX:  {3000, 2000, 0, 0, 0, 0, 0, 0, 0, 0},
		AbsMTPositionY:  {3000, 2000, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	dropped := func() []byte {
		s := newStream(Layout64)
		s.at(ms(20, 0)).mtDown(0, 200, 1000, 1000)
		s.at(ms(20, 20)).mtX(0, 1200)
		// The kernel buffer overflowed: SYN_DROPPED, then a partial picture
		// (a lift and a new finger in slot 1) up to the next SYN_REPORT.
		s.at(ms(20, 30)).ev(EvSyn, SynDropped, 0).ev(EvAbs, AbsMTPositionX, 1300).
			ev(EvAbs, AbsMTTrackingID, -1).ev(EvAbs, AbsMTSlot, 1).ev(EvAbs, AbsMTTrackingID, 201).
			ev(EvAbs, AbsMTPositionX, 2000).syn()
		s.at(ms(20, 100)).mtX(0, 3100) // finger 200 still moving: it is not a new gesture
		s.at(ms(20, 150)).mtUp(1)      // finger 201 lifts: no tap from a touch-down never seen
		s.at(ms(20, 200)).mtUp(0)
		s.at(ms(21, 0)).mtDown(0, 202, 2048, 2048)
		s.at(ms(21, 50)).mtUp(0)
		return s.b
	}
	droppedWant := []Event{
		Drag{X: 234, Y: 117, DX: 39, DY: 0, Phase: DragBegin},
		Drag{X: 234, Y: 117, Phase: DragCancel},
		Tap{X: 400, Y: 240},
	}
	return []recording{
		{
			file: "mt_protocol_b.evdev", spec: mtPanel, cfg: screen800,
			script: func() []byte {
				s := newStream(Layout64)
				// tap, with a wobble inside the slop
				s.at(ms(5, 0)).mtDown(0, 100, 2048, 2048)
				s.at(ms(5, 80)).mtX(0, 2060)
				s.at(ms(5, 120)).mtUp(0)
				// drag
				s.at(ms(6, 0)).mtDown(0, 101, 1000, 2000)
				s.at(ms(6, 16)).mtX(0, 1100)
				s.at(ms(6, 32)).mtXY(0, 1200, 2100)
				s.at(ms(6, 48)).mtX(0, 1300)
				s.at(ms(6, 64)).mtUp(0)
				// long-press: still wobbling within the slop after 650 ms
				s.at(ms(7, 0)).mtDown(0, 102, 3000, 1000)
				s.at(ms(7, 300)).mtX(0, 3010)
				s.at(ms(7, 650)).mtX(0, 3005)
				s.at(ms(8, 0)).mtUp(0)
				// two fingers: only the first one taps
				s.at(ms(9, 0)).mtDown(0, 103, 500, 500)
				s.at(ms(9, 10)).mtDown(1, 104, 3500, 3500)
				s.at(ms(9, 50)).mtUp(1)
				s.at(ms(9, 90)).mtUp(0)
				// ... and a second finger left behind never taps
				s.at(ms(9, 500)).mtDown(0, 105, 500, 500)
				s.at(ms(9, 510)).mtDown(1, 106, 3500, 3500)
				s.at(ms(9, 550)).mtUp(0)
				s.at(ms(9, 600)).mtUp(1)
				// off the panel: beyond the maximum, below the minimum
				s.at(ms(10, 0)).mtDown(0, 107, 4500, 2000)
				s.at(ms(10, 50)).mtUp(0)
				s.at(ms(10, 100)).mtDown(0, 108, 100, -20)
				s.at(ms(10, 150)).mtUp(0)
				// a drag sliding off the edge is cancelled, and coming back does nothing
				s.at(ms(11, 0)).mtDown(0, 109, 2000, 2000)
				s.at(ms(11, 20)).mtX(0, 2200)
				s.at(ms(11, 40)).mtX(0, 4200)
				s.at(ms(11, 60)).mtX(0, 3000)
				s.at(ms(11, 80)).mtUp(0)
				// a slot the device does not have: its values are ignored
				s.at(ms(12, 0)).ev(EvAbs, AbsMTSlot, 99).ev(EvAbs, AbsMTTrackingID, 110).ev(EvAbs, AbsMTPositionX, 1000).syn()
				s.at(ms(12, 100)).mtDown(0, 111, 2048, 2048)
				s.at(ms(12, 150)).mtUp(0)
				// held past the long-press time, then moved: the long-press
				// stands (the timestamps say it was due before the move)
				s.at(ms(13, 0)).mtDown(0, 112, 1000, 1000)
				s.at(ms(13, 700)).mtX(0, 1500)
				s.at(ms(13, 720)).mtX(0, 1700)
				s.at(ms(13, 800)).mtUp(0)
				return s.b
			},
			want: []Event{
				Tap{X: 400, Y: 240},
				Drag{X: 215, Y: 234, DX: 20, DY: 0, Phase: DragBegin},
				Drag{X: 234, Y: 246, DX: 19, DY: 12, Phase: DragMove},
				Drag{X: 254, Y: 246, DX: 20, DY: 0, Phase: DragMove},
				Drag{X: 254, Y: 246, Phase: DragEnd},
				LongPress{X: 585, Y: 117},
				Tap{X: 98, Y: 58},
				Tap{X: 98, Y: 58},
				Drag{X: 429, Y: 234, DX: 39, DY: 0, Phase: DragBegin},
				Drag{X: 429, Y: 234, Phase: DragCancel},
				Tap{X: 400, Y: 240},
				LongPress{X: 195, Y: 117},
			},
			offPanel: 3, malformed: 3,
		},
		{
			file: "st_resistive_32bit.evdev", spec: stPanel, cfg: screen800,
			script: func() []byte {
				s := newStream(Layout32)
				st := func(x, y, btn int32) *stream {
					if x >= 0 {
						s.ev(EvAbs, AbsX, x)
					}
					if y >= 0 {
						s.ev(EvAbs, AbsY, y)
					}
					if btn >= 0 {
						s.ev(EvKey, BtnTouch, btn)
					}
					return s.syn()
				}
				s.at(ms(30, 0)) // tap in the middle
				st(2050, 2050, 1)
				s.at(ms(30, 100))
				st(-1, -1, 0)
				s.at(ms(31, 0)) // drag right, then down
				st(570, 1100, 1)
				s.at(ms(31, 20))
				st(940, -1, -1)
				s.at(ms(31, 40))
				st(-1, 1480, -1)
				s.at(ms(31, 60))
				st(-1, -1, 0)
				s.at(ms(32, 0)) // held still 800 ms: no event until the lift
				st(2050, 2050, 1)
				s.at(ms(32, 800))
				st(-1, -1, 0)
				s.at(ms(33, 0)) // left of the range's minimum
				st(100, 2050, 1)
				s.at(ms(33, 50))
				st(-1, -1, 0)
				s.at(ms(34, 0)) // Y unchanged since the last touch: the kernel does not repeat it
				st(2050, -1, 1)
				s.at(ms(34, 50))
				st(-1, -1, 0)
				return s.b
			},
			want: []Event{
				Tap{X: 400, Y: 240},
				Drag{X: 160, Y: 120, DX: 80, DY: 0, Phase: DragBegin},
				Drag{X: 160, Y: 168, DX: 0, DY: 48, Phase: DragMove},
				Drag{X: 160, Y: 168, Phase: DragEnd},
				LongPress{X: 400, Y: 240},
				Tap{X: 400, Y: 240},
			},
			offPanel: 1,
		},
		{
			file: "mt_rotated90_swap.evdev", spec: portraitPanel, cfg: rotated,
			script: func() []byte {
				s := newStream(Layout64)
				s.at(ms(40, 0)).mtDown(0, 1, 1000, 600)
				s.at(ms(40, 50)).mtUp(0)
				s.at(ms(41, 0)).mtDown(0, 2, 2000, 1200)
				s.at(ms(41, 20)).mtXY(0, 2000, 1440)
				s.at(ms(41, 40)).mtX(0, 1800)
				s.at(ms(41, 60)).mtUp(0)
				s.at(ms(42, 0)).mtDown(0, 3, 0, 0)
				s.at(ms(42, 50)).mtUp(0)
				s.at(ms(43, 0)).mtDown(0, 4, 4000, 2400)
				s.at(ms(43, 50)).mtUp(0)
				return s.b
			},
			want: []Event{
				Tap{X: 599, Y: 120},
				Drag{X: 400, Y: 287, DX: 0, DY: 47, Phase: DragBegin},
				Drag{X: 439, Y: 287, DX: 39, DY: 0, Phase: DragMove},
				Drag{X: 439, Y: 287, Phase: DragEnd},
				Tap{X: 799, Y: 0},
				Tap{X: 0, Y: 479},
			},
		},
		{
			file: "mt_syn_dropped.evdev", spec: resynced, cfg: screen800,
			script: dropped, want: droppedWant, synDropped: 1,
		},
		{
			// The same stream on a device without EVIOCGMTSLOTS: every
			// contact counts as lifted after the drop.
			file: "mt_syn_dropped.evdev", spec: noSlots, cfg: screen800,
			script: dropped, want: droppedWant, synDropped: 1, resyncFail: 2, // at open and after the drop
		},
		{
			file: "keypad.evdev", spec: keypadSpec, cfg: screen800,
			script: func() []byte {
				s := newStream(Layout64).at(ms(50, 0))
				for _, c := range []uint16{79, 80, 81, 75, 96} { // 1 2 3 4 ENTER
					s.tap(c)
				}
				s.key(78, 1) // KPPLUS held: autorepeat must not add resets
				for i := 0; i < 3; i++ {
					s.t += 33 * time.Millisecond
					s.key(78, 2)
				}
				s.key(78, 0)
				for _, c := range []uint16{74, 55, 83, 69} { // - * . NUMLOCK
					s.tap(c)
				}
				s.key(14, 1).key(14, 2).key(14, 0) // BACKSPACE held
				return s.b
			},
			want: []Event{
				Key{Name: "KP1", Action: "digit_1"}, Key{Name: "KP2", Action: "digit_2"},
				Key{Name: "KP3", Action: "digit_3"}, Key{Name: "KP4", Action: "digit_4"},
				Key{Name: "KPENTER", Action: ActionConfirm},
				Key{Name: "KPPLUS", Action: ActionResetPlus},
				Key{Name: "KPMINUS", Action: ActionResetMinus},
				Key{Name: "KPASTERISK", Action: ActionCaptureLap},
				Key{Name: "KPDOT", Action: ActionErase},
				Key{Name: "NUMLOCK"},
				Key{Name: "BACKSPACE", Action: ActionErase},
			},
		},
		{
			file: "keyboard.evdev", spec: keyboardSpec, cfg: screen800,
			script: func() []byte {
				s := newStream(Layout64).at(ms(60, 0))
				for _, c := range []uint16{31, 57, 25, 25, 32, 18, 22} { // S SPACE P P D E U
					s.tap(c)
				}
				s.key(108, 1).key(108, 2).key(108, 2).key(108, 0) // DOWN held: repeats
				s.tap(30)                                         // A
				s.tap(1)                                          // ESC
				return s.b
			},
			want: []Event{
				Key{Name: "S", Action: ActionStart}, Key{Name: "SPACE", Action: ActionCaptureLap},
				Key{Name: "P", Action: ActionPause}, Key{Name: "P", Action: ActionPause},
				Key{Name: "D", Action: ActionDNF}, Key{Name: "E", Action: ActionEnd},
				Key{Name: "U", Action: ActionUndoFalseFinish},
				Key{Name: "DOWN"}, Key{Name: "DOWN", Repeat: true}, Key{Name: "DOWN", Repeat: true},
				Key{Name: "A"}, Key{Name: "ESC", Action: ActionCancel},
			},
		},
	}
}

func TestRecordings(t *testing.T) {
	for _, r := range recordings() {
		t.Run(r.file+"/"+r.spec.name, func(t *testing.T) {
			path := filepath.Join("testdata", r.file)
			script := r.script()
			if *update {
				if err := os.WriteFile(path, script, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			recorded, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write the recordings)", err)
			}
			if !bytes.Equal(recorded, script) {
				t.Fatalf("%s does not match its script (run with -update)", path)
			}
			got, c, err := replay(r.spec, r.cfg, recorded)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, r.want) {
				t.Errorf("events\n got %v\nwant %v", got, r.want)
			}
			want := counters{offPanel: r.offPanel, malformed: r.malformed, synDropped: r.synDropped, resyncFail: r.resyncFail}
			if c != want {
				t.Errorf("counters %+v, want %+v", c, want)
			}
		})
	}
}
