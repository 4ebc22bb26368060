package input

import (
	"fmt"
	"sort"
	"strings"
)

// Key codes this package names (linux/input-event-codes.h). Names are the
// kernel's without the KEY_ prefix, so any key can be looked up there.
const (
	keyA       = 30
	keyZ       = 44
	keySpace   = 57
	keyKP0     = 82
	keyKP9     = 73
	keyKPEnter = 96
)

var keyNames = map[uint16]string{
	1: "ESC", 2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9", 11: "0",
	12: "MINUS", 13: "EQUAL", 14: "BACKSPACE", 15: "TAB",
	16: "Q", 17: "W", 18: "E", 19: "R", 20: "T", 21: "Y", 22: "U", 23: "I", 24: "O", 25: "P",
	26: "LEFTBRACE", 27: "RIGHTBRACE", 28: "ENTER", 29: "LEFTCTRL",
	30: "A", 31: "S", 32: "D", 33: "F", 34: "G", 35: "H", 36: "J", 37: "K", 38: "L",
	39: "SEMICOLON", 40: "APOSTROPHE", 41: "GRAVE", 42: "LEFTSHIFT", 43: "BACKSLASH",
	44: "Z", 45: "X", 46: "C", 47: "V", 48: "B", 49: "N", 50: "M",
	51: "COMMA", 52: "DOT", 53: "SLASH", 54: "RIGHTSHIFT", 55: "KPASTERISK", 56: "LEFTALT",
	57: "SPACE", 58: "CAPSLOCK",
	59: "F1", 60: "F2", 61: "F3", 62: "F4", 63: "F5", 64: "F6", 65: "F7", 66: "F8", 67: "F9", 68: "F10",
	69: "NUMLOCK", 70: "SCROLLLOCK",
	71: "KP7", 72: "KP8", 73: "KP9", 74: "KPMINUS", 75: "KP4", 76: "KP5", 77: "KP6", 78: "KPPLUS",
	79: "KP1", 80: "KP2", 81: "KP3", 82: "KP0", 83: "KPDOT", 87: "F11", 88: "F12",
	96: "KPENTER", 97: "RIGHTCTRL", 98: "KPSLASH", 100: "RIGHTALT",
	102: "HOME", 103: "UP", 104: "PAGEUP", 105: "LEFT", 106: "RIGHT", 107: "END", 108: "DOWN",
	109: "PAGEDOWN", 110: "INSERT", 111: "DELETE", 117: "KPEQUAL", 121: "KPCOMMA",
}

var keyCodes = func() map[string]uint16 {
	m := make(map[string]uint16, len(keyNames))
	for c, n := range keyNames {
		m[n] = c
	}
	return m
}()

// KeyName returns the kernel name of a key code ("KPENTER"), or "KEY_<n>"
// for codes this package has no name for.
func KeyName(code uint16) string {
	if n, ok := keyNames[code]; ok {
		return n
	}
	return fmt.Sprintf("KEY_%d", code)
}

// Action is what a hotkey asks the console to do. The console decides
// whether an action applies on the screen it shows (a digit is PIN entry on
// the lock screen, nothing on the live screen).
type Action string

const (
	ActionNone            Action = ""
	ActionDigit0          Action = "digit_0" // digit_0 .. digit_9
	ActionConfirm         Action = "confirm"
	ActionErase           Action = "erase"
	ActionCancel          Action = "cancel"
	ActionResetPlus       Action = "reset_plus"
	ActionResetMinus      Action = "reset_minus"
	ActionCaptureLap      Action = "capture_lap"
	ActionStart           Action = "start"
	ActionPause           Action = "pause" // pause or resume, whichever applies
	ActionDNF             Action = "dnf"
	ActionEnd             Action = "end"
	ActionUndoFalseFinish Action = "undo_false_finish"
)

// DigitAction is the action of digit d (0..9).
func DigitAction(d int) Action { return Action(fmt.Sprintf("digit_%d", d)) }

var knownActions = func() map[Action]bool {
	m := map[Action]bool{
		ActionConfirm: true, ActionErase: true, ActionCancel: true, ActionResetPlus: true,
		ActionResetMinus: true, ActionCaptureLap: true, ActionStart: true, ActionPause: true,
		ActionDNF: true, ActionEnd: true, ActionUndoFalseFinish: true,
	}
	for d := 0; d <= 9; d++ {
		m[DigitAction(d)] = true
	}
	return m
}()

// DefaultHotkeys maps key names to actions. A numeric keypad alone can
// unlock (digits, KPENTER) and do the frequent live actions; the rarer
// ones (start, DNF, end, undo false finish) are letters on a keyboard or
// taps on the screen.
func DefaultHotkeys() map[string]Action {
	m := map[string]Action{
		"KPENTER": ActionConfirm, "ENTER": ActionConfirm,
		"BACKSPACE": ActionErase, "KPDOT": ActionErase,
		"ESC":    ActionCancel,
		"KPPLUS": ActionResetPlus, "KPMINUS": ActionResetMinus,
		"SPACE": ActionCaptureLap, "KPASTERISK": ActionCaptureLap,
		"KPSLASH": ActionPause,
		"S":       ActionStart, "P": ActionPause, "D": ActionDNF, "E": ActionEnd,
		"U": ActionUndoFalseFinish,
	}
	for d := 0; d <= 9; d++ {
		m[fmt.Sprintf("KP%d", d)] = DigitAction(d)
		m[fmt.Sprintf("%d", d)] = DigitAction(d)
	}
	return m
}

// hotkeyMap is the resolved key code -> action table.
type hotkeyMap map[uint16]Action

// buildHotkeys starts from DefaultHotkeys and applies overrides (key name ->
// action name, case-insensitive names; an empty action unbinds the key).
// Unknown key or action names are errors naming the key.
func buildHotkeys(overrides map[string]string) (hotkeyMap, error) {
	m := make(hotkeyMap)
	for name, a := range DefaultHotkeys() {
		m[keyCodes[name]] = a
	}
	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names) // the first error is the same on every run
	for _, n := range names {
		code, ok := keyCodes[strings.ToUpper(n)]
		if !ok {
			return nil, fmt.Errorf("console.keys.hotkeys.%s: no key of that name (use the kernel name without KEY_, e.g. KPENTER, SPACE, S)", n)
		}
		a := Action(strings.ToLower(overrides[n]))
		if a == ActionNone {
			delete(m, code)
			continue
		}
		if !knownActions[a] {
			return nil, fmt.Errorf("console.keys.hotkeys.%s: %q is not an action (%s)", n, overrides[n], actionList())
		}
		m[code] = a
	}
	return m, nil
}

func actionList() string {
	l := make([]string, 0, len(knownActions))
	for a := range knownActions {
		l = append(l, string(a))
	}
	sort.Strings(l)
	return strings.Join(l, ", ")
}
