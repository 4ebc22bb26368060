package console

import (
	"testing"

	"pitwall/trackside/console/input"
)

func TestFromInput(t *testing.T) {
	for _, tc := range []struct {
		in   input.Event
		want Event
		ok   bool
	}{
		{input.Tap{X: 1, Y: 2}, Tap{X: 1, Y: 2}, true},
		{input.LongPress{X: 3, Y: 4}, LongPress{X: 3, Y: 4}, true},
		{input.Drag{X: 5, Y: 6, DX: 1, DY: -30, Phase: input.DragMove}, Drag{X: 5, Y: 6, DX: 1, DY: -30}, true},
		{input.Drag{X: 5, Y: 6, Phase: input.DragEnd}, Drag{X: 5, Y: 6, End: true}, true},
		{input.Drag{X: 5, Y: 6, DY: 400, Phase: input.DragCancel}, nil, false},
		{input.Key{Name: "KPPLUS", Action: input.ActionResetPlus}, Key{Name: "KPPLUS", Action: ActResetPlus}, true},
		{input.Key{Name: "BACKSPACE", Repeat: true}, nil, false},
	} {
		got, ok := FromInput(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("FromInput(%#v) = %#v, %v; want %#v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	// The input package's action names are the ones the console acts on.
	for _, a := range []struct {
		in   input.Action
		want string
	}{{input.ActionConfirm, ActConfirm}, {input.ActionErase, ActErase}, {input.ActionCancel, ActCancel},
		{input.ActionResetPlus, ActResetPlus}, {input.ActionResetMinus, ActResetMinus}, {input.ActionCaptureLap, ActCapture},
		{input.ActionStart, ActStart}, {input.ActionPause, ActPause}, {input.ActionDNF, ActDNF}, {input.ActionEnd, ActEnd},
		{input.ActionUndoFalseFinish, ActUndoFalseFinish}, {input.DigitAction(7), actDigitPrefix + "7"}} {
		if string(a.in) != a.want {
			t.Errorf("input action %q, console acts on %q", a.in, a.want)
		}
	}
}
