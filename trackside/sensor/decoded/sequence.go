package decoded

// passingNumbers follows a decoder's own passing numbers to count passings
// it sent that never arrived.
type passingNumbers struct {
	last uint64 // 0: none seen yet
}

// seqStep is what one passing number tells.
type seqStep struct {
	lost      uint64 // numbers skipped since the previous one
	restarted bool   // numbering went backwards: the decoder restarted its count
}

// observe takes the passing number of one received passing (0: the
// protocol has none, which tells nothing).
func (n *passingNumbers) observe(seq uint64) seqStep {
	if seq == 0 {
		return seqStep{}
	}
	var s seqStep
	switch {
	case n.last == 0:
	case seq > n.last+1:
		s.lost = seq - n.last - 1
	case seq <= n.last:
		// A repeat or a lower number: the decoder rebooted and counts
		// from the start again. Nothing was lost that we can tell.
		s.restarted = true
	}
	n.last = seq
	return s
}
