package p3

import "testing"

// TestCRCKnownAnswers checks CRC against values worked out by hand and one
// published check value.
//
// By hand, for the single byte 0x00: the register starts at 0xFFFF, so the
// step is T[0xFF] ^ 0xFF00 ^ 0x00. T[0xFF] is 0xFF00 shifted through eight
// steps of polynomial 0x1021:
//
//	0xFF00 → 0xEE21 → 0xCC63 → 0x88E7 → 0x01EF → 0x03DE → 0x07BC → 0x0F78 → 0x1EF0
//
// (the first four shifts carry a 1 out and XOR in 0x1021), giving
// 0x1EF0 ^ 0xFF00 = 0xE1F0. A second 0x00 byte gives T[0xE1] ^ 0xF000, with
// 0xE100 → 0xD221 → 0xB463 → 0x78E7 → 0xF1CE → 0xF3BD → 0xF75B → 0xFE97 →
// 0xED0F, so 0xED0F ^ 0xF000 = 0x1D0F.
//
// 0x1D0F is no accident: this step is the non-direct ("augmented") form of
// the CCITT CRC, and 0xFFFF pushed through two zero bytes is the 0x1D0F
// initial value of the catalogued CRC-16/AUG-CCITT. Hence the P3 CRC of
// "123456789" followed by two zero bytes equals that CRC's published check
// value for "123456789", 0xE5CC.
func TestCRCKnownAnswers(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint16
	}{
		{"empty keeps the initial value", nil, 0xFFFF},
		{"one zero byte (by hand)", []byte{0x00}, 0xE1F0},
		{"two zero bytes (by hand)", []byte{0x00, 0x00}, 0x1D0F},
		{"AUG-CCITT check value", []byte("123456789\x00\x00"), 0xE5CC},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CRC(tc.in); got != tc.want {
				t.Errorf("CRC(% X) = 0x%04X, want 0x%04X", tc.in, got, tc.want)
			}
		})
	}
}

func TestCRCTable(t *testing.T) {
	tests := []struct {
		i    int
		want uint16
	}{
		{0x00, 0x0000},
		{0x01, 0x1021}, // one shift step out of the top bit: the polynomial itself
		{0xE1, 0xED0F}, // by hand, see TestCRCKnownAnswers
		{0xFF, 0x1EF0}, // by hand, see TestCRCKnownAnswers
	}
	for _, tc := range tests {
		if got := crcTable[tc.i]; got != tc.want {
			t.Errorf("crcTable[0x%02X] = 0x%04X, want 0x%04X", tc.i, got, tc.want)
		}
	}
}
