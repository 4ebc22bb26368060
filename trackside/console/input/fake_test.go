package input

import (
	"bytes"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// deviceSpec describes a fake device: what EVIOCGBIT, EVIOCGNAME,
// EVIOCGABS, EVIOCGMTSLOTS and EVIOCGKEY answer.
type deviceSpec struct {
	name    string
	layout  Layout
	types   []int
	keys    []int
	abs     []int
	absinfo map[uint16]AbsInfo
	// slots answers EVIOCGMTSLOTS per code; nil makes it fail (ENOTTY),
	// as on a device without the ioctl.
	slots map[uint16][]int32
	// slotsLater, when set, answers EVIOCGMTSLOTS from the second read of
	// the tracking ids on (the state after a SYN_DROPPED).
	slotsLater map[uint16][]int32
	keyState   []int
}

func bitmap(codes []int) []byte {
	b := make([]byte, keyCount/8)
	for _, c := range codes {
		b[c/8] |= 1 << (c % 8)
	}
	return b
}

// fakeDevice replays r as the device's byte stream.
type fakeDevice struct {
	spec    deviceSpec
	r       io.Reader
	closed  atomic.Bool
	idReads int
	// now, when set, makes the device an eventClock.
	now func() time.Duration
}

func newFake(spec deviceSpec, r io.Reader) *fakeDevice { return &fakeDevice{spec: spec, r: r} }

func (f *fakeDevice) Read(p []byte) (int, error) {
	if f.closed.Load() {
		return 0, os.ErrClosed
	}
	n, err := f.r.Read(p)
	if f.closed.Load() {
		return 0, os.ErrClosed // like an os.File closed during its Read
	}
	return n, err
}

func (f *fakeDevice) Close() error {
	f.closed.Store(true)
	if c, ok := f.r.(io.Closer); ok {
		c.Close()
	}
	return nil
}

func (f *fakeDevice) Layout() Layout        { return f.spec.layout }
func (f *fakeDevice) Name() (string, error) { return f.spec.name, nil }

func (f *fakeDevice) Bits(t uint16) ([]byte, error) {
	switch t {
	case 0:
		return bitmap(f.spec.types), nil
	case EvKey:
		return bitmap(f.spec.keys), nil
	case EvAbs:
		return bitmap(f.spec.abs), nil
	}
	return bitmap(nil), nil
}

func (f *fakeDevice) AbsInfo(code uint16) (AbsInfo, error) {
	a, ok := f.spec.absinfo[code]
	if !ok {
		return a, syscall.EINVAL
	}
	return a, nil
}

func (f *fakeDevice) MTSlots(code uint16, n int) ([]int32, error) {
	slots := f.spec.slots
	if code == AbsMTTrackingID {
		f.idReads++
	}
	if f.spec.slotsLater != nil && f.idReads > 1 {
		slots = f.spec.slotsLater
	}
	v, ok := slots[code]
	if !ok {
		return nil, syscall.ENOTTY
	}
	out := make([]int32, n)
	copy(out, v)
	return out, nil
}

func (f *fakeDevice) KeyState() ([]byte, error) { return bitmap(f.spec.keyState), nil }

// clockDevice is a fakeDevice with a readable event clock.
type clockDevice struct {
	*fakeDevice
}

func (c clockDevice) Now() time.Duration { return c.now() }

// fakeSource is a /dev/input whose listing tests change.
type fakeSource struct {
	mu    sync.Mutex
	devs  map[string]Device
	opens map[string]int
	// refuse makes the next Open of a path fail (udev not done yet).
	refuse map[string]error
}

func newFakeSource() *fakeSource {
	return &fakeSource{devs: map[string]Device{}, opens: map[string]int{}, refuse: map[string]error{}}
}

func (s *fakeSource) plug(path string, d Device) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devs[path] = d
}

func (s *fakeSource) unplug(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.devs, path)
}

func (s *fakeSource) List() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var l []string
	for p := range s.devs {
		l = append(l, p)
	}
	return l, nil
}

func (s *fakeSource) Open(path string) (Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opens[path]++
	if err := s.refuse[path]; err != nil {
		delete(s.refuse, path)
		return nil, err
	}
	d, ok := s.devs[path]
	if !ok {
		return nil, syscall.ENOENT
	}
	if f, ok := d.(*fakeDevice); ok && f.closed.Load() {
		return nil, syscall.ENODEV // a device is good for one open, like a node whose device went away
	}
	if c, ok := d.(clockDevice); ok && c.closed.Load() {
		return nil, syscall.ENODEV
	}
	return d, nil
}

func (s *fakeSource) openCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens[path]
}

// replay runs stream through the same reader the Input uses, synchronously,
// and returns what it emitted and its counters.
func replay(spec deviceSpec, cfg Config, stream []byte) ([]Event, counters, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, counters{}, err
	}
	hot, err := buildHotkeys(cfg.Hotkeys)
	if err != nil {
		return nil, counters{}, err
	}
	dev := newFake(spec, bytes.NewReader(stream))
	caps, err := probe(dev)
	if err != nil {
		return nil, counters{}, err
	}
	var got []Event
	p, err := newPipeline(dev, caps, cfg, hot, func(e Event) { got = append(got, e) })
	if err != nil {
		return nil, counters{}, err
	}
	r := &reader{dev: dev, p: p}
	err = r.run()
	p.gone()
	if err == io.EOF {
		err = nil
	}
	return got, p.c, err
}
