package input

import (
	"strings"
	"testing"
)

func TestTransform(t *testing.T) {
	// A controller 1000..5000 x 0..2000 on an 801x401 screen: the corners
	// and the centre, under every rotation and the axis options.
	x := AbsInfo{Minimum: 1000, Maximum: 5000}
	y := AbsInfo{Minimum: 0, Maximum: 2000}
	type pt struct{ x, y int }
	raw := []struct{ x, y int32 }{{1000, 0}, {5000, 0}, {1000, 2000}, {3000, 1000}, {2000, 500}}
	for _, c := range []struct {
		name string
		cfg  Config
		want []pt
	}{
		{"identity", Config{}, []pt{{0, 0}, {800, 0}, {0, 400}, {400, 200}, {200, 100}}},
		{"rotate 90", Config{Rotate: 90}, []pt{{800, 0}, {800, 400}, {0, 0}, {400, 200}, {600, 100}}},
		{"rotate 180", Config{Rotate: 180}, []pt{{800, 400}, {0, 400}, {800, 0}, {400, 200}, {600, 300}}},
		{"rotate 270", Config{Rotate: 270}, []pt{{0, 400}, {0, 0}, {800, 400}, {400, 200}, {200, 300}}},
		{"swap", Config{SwapXY: true}, []pt{{0, 0}, {0, 400}, {800, 0}, {400, 200}, {200, 100}}},
		{"invert x", Config{InvertX: true}, []pt{{800, 0}, {0, 0}, {800, 400}, {400, 200}, {600, 100}}},
		{"invert y", Config{InvertY: true}, []pt{{0, 400}, {800, 400}, {0, 0}, {400, 200}, {200, 300}}},
		{"swap then rotate 90", Config{SwapXY: true, Rotate: 90}, []pt{{800, 0}, {0, 0}, {800, 400}, {400, 200}, {600, 100}}},
	} {
		cfg := c.cfg
		cfg.Width, cfg.Height = 801, 401
		tf, err := newTransform(cfg, x, y)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range raw {
			gx, gy, ok := tf.screen(r.x, r.y)
			if !ok || gx != c.want[i].x || gy != c.want[i].y {
				t.Errorf("%s: raw (%d,%d) -> (%d,%d,%v), want %v", c.name, r.x, r.y, gx, gy, ok, c.want[i])
			}
		}
	}
}

func TestTransformDropsOutOfRange(t *testing.T) {
	tf, err := newTransform(Config{Width: 800, Height: 480}, AbsInfo{Minimum: 100, Maximum: 4000}, AbsInfo{Minimum: -50, Maximum: 4000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ x, y int32 }{{99, 0}, {4001, 0}, {500, -51}, {500, 4001}, {-2147483648, 2147483647}} {
		if x, y, ok := tf.screen(r.x, r.y); ok {
			t.Errorf("raw (%d,%d) mapped to (%d,%d)", r.x, r.y, x, y)
		}
	}
	for _, r := range []struct{ x, y int32 }{{100, -50}, {4000, 4000}} {
		x, y, ok := tf.screen(r.x, r.y)
		if !ok || x < 0 || x >= 800 || y < 0 || y >= 480 {
			t.Errorf("raw (%d,%d) edge -> (%d,%d,%v)", r.x, r.y, x, y, ok)
		}
	}
	if _, err := newTransform(Config{Width: 800, Height: 480}, AbsInfo{Minimum: 5, Maximum: 5}, AbsInfo{Maximum: 1}); err == nil || !strings.Contains(err.Error(), "x axis range") {
		t.Errorf("empty range: %v", err)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Width: 800, Height: 480, Rotate: 45}, "console.touch.rotate"},
		{Config{Width: 800, Height: 480, TapSlop: -1}, "console.touch.tap_slop"},
		{Config{Width: 800, Height: 480, LongPress: -1}, "console.touch.long_press"},
		{Config{Width: 0, Height: 480}, "screen size"},
		{Config{Width: 800, Height: 480, Hotkeys: map[string]string{"KPPLUS": "explode"}}, `console.keys.hotkeys.KPPLUS: "explode" is not an action`},
		{Config{Width: 800, Height: 480, Hotkeys: map[string]string{"HYPER": "start"}}, "console.keys.hotkeys.HYPER: no key of that name"},
	} {
		_, err := New(c.cfg, newFakeSource(), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to contain %q", c.cfg, err, c.want)
		}
	}
}

func TestHotkeyOverrides(t *testing.T) {
	cfg := screen800
	cfg.Hotkeys = map[string]string{"kpslash": "START", "U": "", "F1": "dnf"}
	stream := newStream(Layout64).at(ms(1, 0)).tap(98).tap(22).tap(59).tap(31).b // KPSLASH U F1 S
	spec := keyboardSpec
	got, _, err := replay(spec, cfg, stream)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		Key{Name: "KPSLASH", Action: ActionStart}, Key{Name: "U"},
		Key{Name: "F1", Action: ActionDNF}, Key{Name: "S", Action: ActionStart},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %v, want %v", i, got[i], want[i])
		}
	}
}
