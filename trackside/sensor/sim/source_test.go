package sim

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

const anchor = int64(1_000_000 * time.Second) // a fixed host monotonic reading

func fixedClock() int64 { return anchor }

func testConfig() Config {
	return Config{
		Line:   0,
		Cars:   RandomCars(3, 11),
		Speed:  maxSpeed,
		Seed:   42,
		Clock:  fixedClock,
		Logger: slog.New(slog.DiscardHandler),
	}
}

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	s, err := New("sim", cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.sinkMin, s.sinkMax = time.Millisecond, 4*time.Millisecond
	return s
}

// collect runs s until n crossings are recorded and returns them. onCrossing,
// if set, runs inside the sink after each recorded crossing.
func collect(t *testing.T, s *Source, n int, onCrossing func(i int, c crossing.Crossing)) []crossing.Crossing {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []crossing.Crossing
	sink := func(_ context.Context, c crossing.Crossing) error {
		got = append(got, c)
		if onCrossing != nil {
			onCrossing(len(got)-1, c)
		}
		if len(got) == n {
			cancel()
		}
		return nil
	}
	if err := s.Run(ctx, sink); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(got) != n {
		t.Fatalf("Run ended after %d crossings, want %d", len(got), n)
	}
	return got
}

func TestNewValidates(t *testing.T) {
	ok := []Car{{Transponder: "A", Mean: 10 * time.Second, Jitter: time.Second}}
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantErr string
	}{
		{name: "ok", mutate: func(c *Config) {}},
		{name: "no cars", mutate: func(c *Config) { c.Cars = nil }, wantErr: "no cars"},
		{name: "zero mean", mutate: func(c *Config) { c.Cars = []Car{{Mean: 0}} }, wantErr: "mean lap"},
		{name: "mean in wrong unit", mutate: func(c *Config) { c.Cars = []Car{{Mean: 10e3 * time.Second}} }, wantErr: "mean lap"},
		{name: "negative jitter", mutate: func(c *Config) { c.Cars = []Car{{Mean: time.Second, Jitter: -1}} }, wantErr: "jitter"},
		{name: "jitter could make a lap negative", mutate: func(c *Config) {
			c.Cars = []Car{{Mean: 9 * time.Second, Jitter: 3 * time.Second}}
		}, wantErr: "too large"},
		{name: "negative line", mutate: func(c *Config) { c.Line = -1 }, wantErr: "timing line"},
		{name: "negative speed", mutate: func(c *Config) { c.Speed = -2 }, wantErr: "speed"},
		{name: "absurd speed", mutate: func(c *Config) { c.Speed = 1e9 }, wantErr: "speed"},
		{name: "off-track above 1", mutate: func(c *Config) { c.OffTrack = 1.5 }, wantErr: "off-track"},
		{name: "chatter negative", mutate: func(c *Config) { c.Chatter = -0.1 }, wantErr: "chatter"},
		{name: "laps per run negative", mutate: func(c *Config) { c.LapsPerRun = -1 }, wantErr: "laps per run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Cars: ok}
			tt.mutate(&cfg)
			s, err := New("sim", cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if s.cfg.Speed != 1 || s.cfg.Clock == nil || s.cfg.Logger == nil {
					t.Errorf("defaults not applied: %+v", s.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := New("", Config{Cars: ok}); err == nil {
		t.Error("New with empty name succeeded")
	}
}

type key struct {
	tx   string
	mono int64
	seq  uint64
}

func keys(cs []crossing.Crossing) []key {
	out := make([]key, len(cs))
	for i, c := range cs {
		out[i] = key{c.Transponder, c.MonoNS, c.Seq}
	}
	return out
}

func TestRunIsDeterministic(t *testing.T) {
	cfg := testConfig()
	cfg.OffTrack, cfg.Chatter, cfg.LapsPerRun = 0.3, 0.2, 4
	a := keys(collect(t, newSource(t, cfg), 60, nil))
	b := keys(collect(t, newSource(t, cfg), 60, nil))
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("crossing %d differs between runs with one seed: %+v vs %+v", i, a[i], b[i])
		}
	}
	cfg.Seed++
	c := keys(collect(t, newSource(t, cfg), 60, nil))
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same == len(a) {
		t.Error("another seed gave the same session")
	}
}

func TestRunCrossingFields(t *testing.T) {
	cfg := testConfig()
	cfg.Line = 2
	got := collect(t, newSource(t, cfg), 5, nil)
	for i, c := range got {
		if c.Source != "sim" || c.Line != 2 || c.Clock != crossing.ClockHost || c.Seq != uint64(i+1) ||
			c.Transponder != cfg.Cars[0].Transponder || c.Host.IsZero() {
			t.Errorf("crossing %d = %+v", i, c)
		}
	}
	if got[0].MonoNS != anchor+int64(startDelay) {
		t.Errorf("first crossing at %d, want anchor + %v", got[0].MonoNS, startDelay)
	}
}

func TestRunEmitsChatterAsClosePairs(t *testing.T) {
	cfg := testConfig()
	cfg.Chatter = 0.5
	got := collect(t, newSource(t, cfg), 80, nil)
	pairs := 0
	for i := 1; i < len(got); i++ {
		d := time.Duration(got[i].MonoNS - got[i-1].MonoNS)
		if d < time.Second {
			pairs++
			if d < echoMin || d > echoMax {
				t.Errorf("echo %v after its crossing, want %v..%v", d, echoMin, echoMax)
			}
			if got[i].Seq != got[i-1].Seq+1 || got[i].Transponder != got[i-1].Transponder {
				t.Errorf("echo %+v of %+v: want its own Seq and the same car", got[i], got[i-1])
			}
		}
	}
	if pairs < 15 || pairs > 40 {
		t.Errorf("%d echo pairs in 80 crossings at chatter 0.5", pairs)
	}
}

func TestRunCompressesTime(t *testing.T) {
	const speed = 200
	cfg := testConfig()
	cfg.Speed = speed
	cfg.Cars = []Car{{Transponder: "A", Mean: 8 * time.Second}}
	begin := time.Now()
	got := collect(t, newSource(t, cfg), 4, nil)
	elapsed := time.Since(begin)
	for i := 1; i < len(got); i++ {
		if lap := time.Duration(got[i].MonoNS - got[i-1].MonoNS); lap != 8*time.Second {
			t.Errorf("lap %d = %v, want the simulated 8s", i, lap)
		}
	}
	simulated := time.Duration(got[len(got)-1].MonoNS - anchor)
	if floor := simulated / speed; elapsed < floor {
		t.Errorf("session took %v, cannot be shorter than %v", elapsed, floor)
	}
	if elapsed > simulated/10 {
		t.Errorf("session took %v for %v simulated at ×%d: not compressed", elapsed, simulated, speed)
	}
}

func TestRunRetriesSink(t *testing.T) {
	s := newSource(t, testConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var calls []crossing.Crossing
	sink := func(_ context.Context, c crossing.Crossing) error {
		calls = append(calls, c)
		if len(calls) <= 3 {
			return errors.New("store busy")
		}
		if len(calls) == 5 {
			cancel()
		}
		return nil
	}
	if err := s.Run(ctx, sink); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i := 1; i < 4; i++ {
		if calls[i] != calls[0] {
			t.Errorf("retry %d offered %+v, want %+v", i, calls[i], calls[0])
		}
	}
	if calls[4].Seq != 2 {
		t.Errorf("next crossing has Seq %d, want 2", calls[4].Seq)
	}
	if h := s.Health(); h.Crossings != 2 || h.State != crossing.StateDown {
		t.Errorf("health after Run = %+v", h)
	}
}

func TestSetCar(t *testing.T) {
	cfg := testConfig()
	s := newSource(t, cfg)
	if err := s.SetCar(3); err == nil {
		t.Error("SetCar(3) with 3 cars succeeded")
	}
	if err := s.SetCar(-1); err == nil {
		t.Error("SetCar(-1) succeeded")
	}
	if err := s.SetCar(2); err != nil { // before Run: the first car
		t.Fatal(err)
	}
	got := collect(t, s, 8, func(i int, c crossing.Crossing) {
		if i == 3 {
			if err := s.SetCar(0); err != nil {
				t.Error(err)
			}
		}
	})
	tx := cfg.Cars
	for i, c := range got {
		want := tx[2].Transponder
		if i >= 4 {
			want = tx[0].Transponder
		}
		if c.Transponder != want {
			t.Errorf("crossing %d by %s, want %s", i, c.Transponder, want)
		}
	}
	if gap := time.Duration(got[4].MonoNS - got[3].MonoNS); gap < changeover {
		t.Errorf("new car started %v after the old one's last crossing, want ≥ %v", gap, changeover)
	}
}

func TestOffTrackHook(t *testing.T) {
	cfg := testConfig()
	cfg.OffTrack = 1
	var mu sync.Mutex
	var offs []string
	cfg.OnOffTrack = func(tx string) {
		mu.Lock()
		offs = append(offs, tx)
		mu.Unlock()
	}
	got := collect(t, newSource(t, cfg), 4, nil)
	mu.Lock()
	defer mu.Unlock()
	// Every lap had an off-track before the crossing that closed it.
	if len(offs) != 3 {
		t.Fatalf("hook called %d times for 3 laps", len(offs))
	}
	for _, tx := range offs {
		if tx != cfg.Cars[0].Transponder {
			t.Errorf("hook called for %q", tx)
		}
	}
	for i := 1; i < len(got); i++ {
		lap := time.Duration(got[i].MonoNS - got[i-1].MonoNS)
		if lap < cfg.Cars[0].Mean-3*cfg.Cars[0].Jitter+offTrackMin {
			t.Errorf("lap %d with an off-track took only %v", i, lap)
		}
	}
}

func TestRunStopsPromptlyAndOnlyOnce(t *testing.T) {
	cfg := testConfig()
	cfg.Speed = 1 // the first crossing is 2 s away
	s := newSource(t, cfg)
	if err := s.Run(context.Background(), nil); err == nil {
		t.Error("Run with nil sink succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(context.Context, crossing.Crossing) error { return nil }) }()
	for !s.running.Load() {
		time.Sleep(time.Millisecond)
	}
	if err := s.Run(ctx, func(context.Context, crossing.Crossing) error { return nil }); err == nil {
		t.Error("second concurrent Run succeeded")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRandomCars(t *testing.T) {
	a, b := RandomCars(20, 5), RandomCars(20, 5)
	seen := map[string]bool{}
	for i, c := range a {
		if c != b[i] {
			t.Fatalf("car %d differs for one seed: %+v vs %+v", i, c, b[i])
		}
		if c.Mean < 8*time.Second || c.Mean > 15*time.Second {
			t.Errorf("car %d mean %v outside 8–15 s", i, c.Mean)
		}
		if c.Jitter < c.Mean/50-time.Millisecond || c.Jitter > c.Mean/20+time.Millisecond {
			t.Errorf("car %d jitter %v outside 2–5 %% of %v", i, c.Jitter, c.Mean)
		}
		if seen[c.Transponder] {
			t.Errorf("transponder %s twice", c.Transponder)
		}
		seen[c.Transponder] = true
	}
	if RandomCars(20, 6)[0] == a[0] && RandomCars(20, 6)[1] == a[1] {
		t.Error("another seed gave the same cars")
	}
	if RandomCars(0, 1) != nil || RandomCars(-3, 1) != nil {
		t.Error("RandomCars(n ≤ 0) returned cars")
	}
	if _, err := New("sim", Config{Cars: RandomCars(5, 1)}); err != nil {
		t.Errorf("random cars rejected by New: %v", err)
	}
}
