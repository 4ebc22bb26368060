package gpio

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"pitwall/trackside/crossing"
)

var hostTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const ms = int64(time.Millisecond)

func newTestSource(t *testing.T, chip Chip, cfg Config) *Source {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New("gpio:finish", chip, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.now = func() time.Time { return hostTime }
	s.openMin, s.openMax = time.Millisecond, 4*time.Millisecond
	s.sinkMin, s.sinkMax = time.Millisecond, 4*time.Millisecond
	return s
}

func twoLines() Config {
	return Config{Lines: []LineConfig{
		{Line: 0, Offsets: []int{17, 27}}, // start/finish: a pair of strips
		{Line: 1, Offsets: []int{22}},     // split: one beam
	}}
}

func TestNewValidates(t *testing.T) {
	one := []LineConfig{{Line: 0, Offsets: []int{17}}}
	tests := []struct {
		name    string
		src     string
		chip    Chip
		cfg     Config
		wantErr string
	}{
		{name: "ok", src: "g", chip: newFakeChip(), cfg: Config{Lines: one}},
		{name: "empty name", src: "", chip: newFakeChip(), cfg: Config{Lines: one}, wantErr: "empty name"},
		{name: "nil chip", src: "g", cfg: Config{Lines: one}, wantErr: "nil chip"},
		{name: "no lines", src: "g", chip: newFakeChip(), cfg: Config{}, wantErr: "no timing lines"},
		{name: "negative line", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: []LineConfig{{Line: -1, Offsets: []int{1}}}}, wantErr: "negative"},
		{name: "line twice", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: []LineConfig{{Line: 0, Offsets: []int{1}}, {Line: 0, Offsets: []int{2}}}}, wantErr: "configured twice"},
		{name: "no strips", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: []LineConfig{{Line: 0}}}, wantErr: "0 strips"},
		{name: "three strips", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: []LineConfig{{Line: 0, Offsets: []int{1, 2, 3}}}}, wantErr: "3 strips"},
		{name: "negative offset", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: []LineConfig{{Line: 0, Offsets: []int{-4}}}}, wantErr: "offset -4"},
		{name: "offset shared by two lines", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: []LineConfig{{Line: 0, Offsets: []int{5}}, {Line: 1, Offsets: []int{6, 5}}}}, wantErr: "already used by timing line 0"},
		{name: "offset twice on one line", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: []LineConfig{{Line: 0, Offsets: []int{5, 5}}}}, wantErr: "already used"},
		{name: "negative hold-off", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: one, HoldOff: -time.Millisecond}, wantErr: "hold-off"},
		{name: "hold-off in wrong unit", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: one, HoldOff: 300 * time.Second}, wantErr: "hold-off"},
		{name: "debounce in wrong unit", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: one, Debounce: 5 * time.Second}, wantErr: "debounce"},
		{name: "negative debounce", src: "g", chip: newFakeChip(),
			cfg: Config{Lines: one, Debounce: -time.Millisecond}, wantErr: "debounce -1ms is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.src, tt.chip, tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if h := s.Health(); h.State != crossing.StateConnecting || h.Name != tt.src {
					t.Errorf("fresh health = %+v", h)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewCopiesConfig(t *testing.T) {
	offs := []int{17}
	s := newTestSource(t, newFakeChip(), Config{Lines: []LineConfig{{Line: 0, Offsets: offs}}})
	offs[0] = 99
	if _, ok := s.lineOf[17]; !ok || s.cfg.Lines[0].Offsets[0] != 17 {
		t.Fatal("source shares its offsets with the caller's slice")
	}
	// Kernel debounce stays off unless asked for: it would delay and
	// jitter the kernel's stamps.
	if s.cfg.HoldOff != DefaultHoldOff || s.cfg.Debounce != 0 {
		t.Errorf("defaults: hold-off %v debounce %v", s.cfg.HoldOff, s.cfg.Debounce)
	}
}

// rise and fall build edges; seq is the LineSeqno.
func rise(off int, tsMS int64, seq uint32) Edge {
	return Edge{Offset: off, Rising: true, TimestampNS: tsMS * ms, LineSeqno: seq}
}

func fall(off int, tsMS int64, seq uint32) Edge {
	return Edge{Offset: off, Rising: false, TimestampNS: tsMS * ms, LineSeqno: seq}
}

type want struct {
	line int
	ms   int64
	seq  uint64
}

func TestAccept(t *testing.T) {
	tests := []struct {
		name    string
		holdOff time.Duration
		edges   []Edge
		want    []want
		chatter uint64
		lost    uint64
		rejects uint64
	}{
		{
			name:  "only the edge to the active level is a crossing",
			edges: []Edge{rise(17, 1000, 1), fall(17, 1150, 2), rise(17, 9000, 3), fall(17, 9100, 4)},
			want:  []want{{0, 1000, 1}, {0, 9000, 3}},
		},
		{
			name:    "car touching both strips of a line is one crossing",
			edges:   []Edge{rise(17, 1000, 1), rise(27, 1040, 1)},
			want:    []want{{0, 1000, 1}},
			chatter: 1,
		},
		{
			name:    "second strip stamped earlier but read later is still chatter",
			edges:   []Edge{rise(27, 1040, 1), rise(17, 1000, 1)},
			want:    []want{{0, 1040, 1}},
			chatter: 1,
		},
		{
			name: "bouncing strip within hold-off",
			edges: []Edge{
				rise(17, 1000, 1), rise(17, 1002, 2), rise(17, 1010, 3), rise(17, 1299, 4),
			},
			want:    []want{{0, 1000, 1}},
			chatter: 3,
		},
		{
			name:  "hold-off counts from the last accepted crossing, by kernel stamp",
			edges: []Edge{rise(17, 1000, 1), rise(17, 1299, 2), rise(17, 1300, 3), rise(27, 1500, 1), rise(27, 1601, 2)},
			want:  []want{{0, 1000, 1}, {0, 1300, 3}, {0, 1601, 2}},
			// 1299 is within 300 ms of 1000; 1500 within 300 ms of 1300.
			chatter: 2,
		},
		{
			name:    "custom hold-off",
			holdOff: 50 * time.Millisecond,
			edges:   []Edge{rise(17, 1000, 1), rise(27, 1049, 1), rise(27, 1050, 2)},
			want:    []want{{0, 1000, 1}, {0, 1050, 2}},
			chatter: 1,
		},
		{
			name:  "lines are independent",
			edges: []Edge{rise(17, 1000, 1), rise(22, 1010, 1), rise(22, 1100, 2), rise(27, 1020, 1)},
			want:  []want{{0, 1000, 1}, {1, 1010, 1}},
			// 22@1100 is chatter of line 1, 27@1020 of line 0.
			chatter: 2,
		},
		{
			name:  "gap in a line's sequence is lost events",
			edges: []Edge{rise(17, 1000, 1), rise(17, 5000, 5), rise(22, 5000, 1)},
			want:  []want{{0, 1000, 1}, {0, 5000, 5}, {1, 5000, 1}},
			lost:  3,
		},
		{
			name:  "gap before the first event of a request",
			edges: []Edge{rise(22, 1000, 3)},
			want:  []want{{1, 1000, 3}},
			lost:  2,
		},
		{
			name:  "each strip has its own sequence",
			edges: []Edge{rise(17, 1000, 1), rise(17, 5000, 3), rise(27, 9000, 2)},
			want:  []want{{0, 1000, 1}, {0, 5000, 3}, {0, 9000, 2}},
			lost:  2,
		},
		{
			name:  "uAPI v1 has no sequence numbers and reports no loss",
			edges: []Edge{rise(17, 1000, 0), rise(17, 5000, 0)},
			want:  []want{{0, 1000, 0}, {0, 5000, 0}},
		},
		{
			name:    "edge on an offset never requested is rejected",
			edges:   []Edge{rise(4, 1000, 1), rise(17, 2000, 1)},
			want:    []want{{0, 2000, 1}},
			rejects: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := twoLines()
			cfg.HoldOff = tt.holdOff
			s := newTestSource(t, newFakeChip(), cfg)
			s.lineSeq = map[int]uint32{}
			var got []want
			for _, e := range tt.edges {
				if c, ok := s.accept(e); ok {
					if c.Source != "gpio:finish" || c.Clock != crossing.ClockKernel || c.Transponder != "" || !c.Host.Equal(hostTime) {
						t.Errorf("crossing fields: %+v", c)
					}
					got = append(got, want{c.Line, c.MonoNS / ms, c.Seq})
				}
			}
			if !equalWants(got, tt.want) {
				t.Errorf("crossings = %v, want %v", got, tt.want)
			}
			h := s.Health()
			if h.Chatter != tt.chatter || h.Lost != tt.lost || h.Rejects != tt.rejects {
				t.Errorf("chatter/lost/rejects = %d/%d/%d, want %d/%d/%d",
					h.Chatter, h.Lost, h.Rejects, tt.chatter, tt.lost, tt.rejects)
			}
		})
	}
}

func equalWants(a, b []want) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// recorder is a Sink that fails its first failures calls.
type recorder struct {
	mu       sync.Mutex
	failures int
	calls    []crossing.Crossing
	recorded chan crossing.Crossing
}

func newRecorder(failures int) *recorder {
	return &recorder{failures: failures, recorded: make(chan crossing.Crossing, 64)}
}

func (r *recorder) sink(ctx context.Context, c crossing.Crossing) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	if r.failures > 0 {
		r.failures--
		return errors.New("store busy")
	}
	r.recorded <- c
	return nil
}

func (r *recorder) next(t *testing.T) crossing.Crossing {
	t.Helper()
	select {
	case c := <-r.recorded:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no crossing recorded")
		return crossing.Crossing{}
	}
}

func startRun(t *testing.T, s *Source, sink crossing.Sink) (cancel func()) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, sink) }()
	return func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil on cancel", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

// waitHealth polls until ok(Health()) holds: health is updated right after
// the sink returns, so a test that just saw a crossing recorded must wait.
func waitHealth(t *testing.T, s *Source, ok func(crossing.Health) bool) crossing.Health {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h := s.Health()
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("health never reached the expected state: %+v", h)
		}
		time.Sleep(time.Millisecond)
	}
}

func granted(t *testing.T, c *fakeChip) *fakeLines {
	t.Helper()
	select {
	case l := <-c.granted:
		return l
	case <-time.After(5 * time.Second):
		t.Fatal("lines never requested")
		return nil
	}
}

func TestRunDeliversAndReleases(t *testing.T) {
	chip := newFakeChip()
	cfg := twoLines()
	cfg.ActiveLow = true
	cfg.ChipLabel = LabelPi5
	s := newTestSource(t, chip, cfg)
	rec := newRecorder(0)
	stop := startRun(t, s, rec.sink)
	lines := granted(t, chip)
	lines.ch <- rise(27, 1000, 1)
	lines.ch <- rise(17, 1010, 1) // the other strip: chatter
	lines.ch <- rise(22, 1500, 1)
	if c := rec.next(t); c.Line != 0 || c.MonoNS != 1000*ms || c.Seq != 1 {
		t.Errorf("first crossing %+v", c)
	}
	if c := rec.next(t); c.Line != 1 || c.MonoNS != 1500*ms {
		t.Errorf("second crossing %+v", c)
	}
	h := waitHealth(t, s, func(h crossing.Health) bool { return h.Crossings == 2 })
	if h.State != crossing.StateOK || h.Crossings != 2 || h.Chatter != 1 || h.Reconnect != 1 || !h.Last.Equal(hostTime) ||
		h.Detail != "pinctrl-rp1 offsets [17 22 27]" {
		t.Errorf("health while running = %+v", h)
	}
	stop()
	if !lines.isClosed() {
		t.Error("lines not released when Run returned")
	}
	if h := s.Health(); h.State != crossing.StateDown {
		t.Errorf("state after Run = %q, want down", h.State)
	}
	got := chip.calls()
	if len(got) != 1 || !equalInts(got[0].offsets, []int{17, 22, 27}) || !got[0].activeLow || got[0].debounce != 0 {
		t.Errorf("requests = %+v", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunDebounceIsPassedToTheKernel(t *testing.T) {
	for _, d := range []time.Duration{0, 5 * time.Millisecond} {
		chip := newFakeChip()
		cfg := twoLines()
		cfg.Debounce = d
		s := newTestSource(t, chip, cfg)
		stop := startRun(t, s, newRecorder(0).sink)
		granted(t, chip)
		stop()
		if got := chip.calls(); len(got) != 1 || got[0].debounce != d || got[0].activeLow {
			t.Errorf("debounce %v: requests = %+v, want debounce %v, active high", d, got, d)
		}
	}
}

// The hold-off must compare kernel stamps: two edges stamped 10 ms apart are
// one crossing however late the second is read, and two stamped a second
// apart are two crossings even when read back to back.
func TestRunHoldOffUsesKernelTimestamps(t *testing.T) {
	chip := newFakeChip()
	cfg := twoLines()
	cfg.HoldOff = 50 * time.Millisecond
	s := newTestSource(t, chip, cfg)
	rec := newRecorder(0)
	stop := startRun(t, s, rec.sink)
	defer stop()
	lines := granted(t, chip)

	lines.ch <- rise(17, 1000, 1)
	rec.next(t)
	time.Sleep(100 * time.Millisecond) // read well after the hold-off…
	lines.ch <- rise(27, 1010, 1)      // …but stamped within it
	lines.ch <- rise(17, 2000, 2)      // stamped a second later
	lines.ch <- rise(27, 3000, 2)      // and another, read right away
	if c := rec.next(t); c.MonoNS != 2000*ms {
		t.Errorf("crossing at %d ms, want 2000", c.MonoNS/ms)
	}
	if c := rec.next(t); c.MonoNS != 3000*ms {
		t.Errorf("crossing at %d ms, want 3000", c.MonoNS/ms)
	}
	if h := waitHealth(t, s, func(h crossing.Health) bool { return h.Crossings == 3 }); h.Chatter != 1 {
		t.Errorf("chatter %d crossings %d, want 1 and 3", h.Chatter, h.Crossings)
	}
}

func TestRunRetriesSink(t *testing.T) {
	chip := newFakeChip()
	s := newTestSource(t, chip, twoLines())
	rec := newRecorder(3)
	stop := startRun(t, s, rec.sink)
	defer stop()
	lines := granted(t, chip)
	lines.ch <- rise(17, 1000, 1)
	lines.ch <- rise(22, 2000, 1)
	first := rec.next(t)
	second := rec.next(t)
	if first.MonoNS != 1000*ms || second.MonoNS != 2000*ms {
		t.Fatalf("recorded %d ms then %d ms, want 1000 then 2000", first.MonoNS/ms, second.MonoNS/ms)
	}
	rec.mu.Lock()
	calls := append([]crossing.Crossing(nil), rec.calls...)
	rec.mu.Unlock()
	if len(calls) != 5 {
		t.Fatalf("sink called %d times, want 3 refusals + 2 successes", len(calls))
	}
	for i := range 4 {
		if calls[i] != first {
			t.Errorf("call %d offered %+v, want the same crossing %+v", i, calls[i], first)
		}
	}
	waitHealth(t, s, func(h crossing.Health) bool { return h.Crossings == 2 })
}

func TestRunRetriesMissingChip(t *testing.T) {
	missing := errors.New("find gpio chip \"pinctrl-rp1\": gpio chip not found")
	chip := newFakeChip(missing, missing)
	s := newTestSource(t, chip, twoLines())
	s.openMin, s.openMax = 30*time.Millisecond, 30*time.Millisecond
	rec := newRecorder(0)
	stop := startRun(t, s, rec.sink)
	defer stop()

	h := waitHealth(t, s, func(h crossing.Health) bool { return h.State == crossing.StateDown })
	if !strings.Contains(h.Detail, "not found") {
		t.Fatalf("health with chip missing = %+v", h)
	}
	lines := granted(t, chip)
	lines.ch <- rise(17, 1000, 1)
	rec.next(t)
	if h := waitHealth(t, s, func(h crossing.Health) bool { return h.Crossings == 1 }); h.State != crossing.StateOK || h.Reconnect != 1 {
		t.Errorf("health after chip appeared = %+v", h)
	}
	if n := len(chip.calls()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRunRequestsAgainWhenEdgesEnd(t *testing.T) {
	chip := newFakeChip()
	s := newTestSource(t, chip, twoLines())
	rec := newRecorder(0)
	stop := startRun(t, s, rec.sink)
	defer stop()
	first := granted(t, chip)
	first.ch <- rise(17, 1000, 1)
	rec.next(t)
	first.Close() // the request died under us

	second := granted(t, chip)
	// Sequence numbers restart with the new request (no loss), while the
	// hold-off carries over: kernel stamps share one monotonic timeline.
	second.ch <- rise(27, 1100, 1)
	second.ch <- rise(17, 9000, 1)
	if c := rec.next(t); c.MonoNS != 9000*ms {
		t.Errorf("crossing at %d ms, want 9000", c.MonoNS/ms)
	}
	if h := waitHealth(t, s, func(h crossing.Health) bool { return h.Crossings == 2 }); h.Reconnect != 2 || h.Lost != 0 || h.Chatter != 1 {
		t.Errorf("health = %+v, want 2 opens, no loss, 1 chatter", h)
	}
}

func TestRunRefusesNilSinkAndSecondRun(t *testing.T) {
	chip := newFakeChip()
	s := newTestSource(t, chip, twoLines())
	if err := s.Run(context.Background(), nil); err == nil {
		t.Error("Run with nil sink succeeded")
	}
	stop := startRun(t, s, newRecorder(0).sink)
	defer stop()
	granted(t, chip)
	if err := s.Run(context.Background(), newRecorder(0).sink); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run = %v, want already running", err)
	}
}
