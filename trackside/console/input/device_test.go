package input

import (
	"bytes"
	"testing"
)

func TestProbeClassifiesByCapability(t *testing.T) {
	mtA := deviceSpec{ // protocol A with single-touch emulation: no slots
		types: []int{EvSyn, EvKey, EvAbs}, keys: []int{BtnTouch},
		abs: []int{AbsX, AbsY, AbsMTPositionX, AbsMTPositionY},
	}
	for _, c := range []struct {
		name string
		spec deviceSpec
		want Capabilities
	}{
		{"protocol B panel", mtPanel, Capabilities{Kind: KindTouch, MultiTouch: true}},
		{"single-touch panel", stPanel, Capabilities{Kind: KindTouch}},
		{"protocol A panel uses its single-touch emulation", mtA, Capabilities{Kind: KindTouch}},
		{"keypad", keypadSpec, Capabilities{Kind: KindKeyboard}},
		{"keyboard", keyboardSpec, Capabilities{Kind: KindKeyboard}},
		{"power button", deviceSpec{types: []int{EvSyn, EvKey}, keys: []int{116}}, Capabilities{}},
		{"mouse", deviceSpec{types: []int{EvSyn, EvKey, 2}, keys: []int{0x110, 0x111}}, Capabilities{}},
		{"tablet axes without BTN_TOUCH", deviceSpec{types: []int{EvSyn, EvAbs}, abs: []int{AbsX, AbsY}}, Capabilities{}},
		{"HDMI CEC remote", deviceSpec{types: []int{EvSyn, EvKey}, keys: []int{103, 108, 105, 106, 28, 1}}, Capabilities{}},
	} {
		got, err := probe(newFake(c.spec, bytes.NewReader(nil)))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: %+v (%s), want %+v", c.name, got, got.Kind, c.want)
		}
	}
}
