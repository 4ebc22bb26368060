package decoded

import "testing"

func TestPassingNumbers(t *testing.T) {
	tests := []struct {
		name string
		seqs []uint64
		want []seqStep
	}{
		{"consecutive numbers lose nothing", []uint64{5, 6, 7}, []seqStep{{}, {}, {}}},
		{"first number after start is not a gap", []uint64{1000}, []seqStep{{}}},
		{"gap counts the missing numbers", []uint64{5, 9}, []seqStep{{}, {lost: 3}}},
		{"numbering restart is not a loss", []uint64{50, 1, 2}, []seqStep{{}, {restarted: true}, {}}},
		{"repeat is a restart, not a loss", []uint64{7, 7}, []seqStep{{}, {restarted: true}}},
		{"zero tells nothing", []uint64{5, 0, 6}, []seqStep{{}, {}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n passingNumbers
			for i, seq := range tt.seqs {
				if got := n.observe(seq); got != tt.want[i] {
					t.Errorf("seq %d (#%d): %+v, want %+v", seq, i, got, tt.want[i])
				}
			}
		})
	}
}
