package gpio

import (
	"encoding/binary"
	"log/slog"
	"testing"
	"time"
)

// edgesFrom decodes 6-byte records (offset selector, flags, 32-bit ms
// delta) into edges with increasing-ish stamps and per-offset sequences.
func edgesFrom(data []byte, offsets []int) []Edge {
	var edges []Edge
	seq := map[int]uint32{}
	var ts int64
	for len(data) >= 6 {
		off := offsets[int(data[0])%len(offsets)]
		flags := data[1]
		delta := int64(binary.LittleEndian.Uint32(data[2:6]) % 2000)
		data = data[6:]
		if flags&4 != 0 {
			ts -= delta // a strip read out of order
		} else {
			ts += delta
		}
		seq[off] += 1 + uint32(flags>>5) // upper bits: events the kernel dropped
		edges = append(edges, Edge{Offset: off, Rising: flags&1 == 0, TimestampNS: ts * ms, LineSeqno: seq[off]})
	}
	return edges
}

// FuzzAccept checks the hold-off and loss accounting on any edge sequence:
// accepted crossings of one line are at least HoldOff apart, every active
// edge is either a crossing or chatter, and Lost equals the sequence jumps.
func FuzzAccept(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 0, 0, 1, 0, 20, 0, 0, 0, 2, 0, 0, 2, 0, 0})
	f.Add([]byte{0, 0, 0, 4, 0, 0, 1, 4, 40, 0, 0, 0, 0, 0x40, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := New("fuzz", newFakeChip(), Config{
			Lines:  []LineConfig{{Line: 0, Offsets: []int{17, 27}}, {Line: 1, Offsets: []int{22}}},
			Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		s.lineSeq = map[int]uint32{}
		edges := edgesFrom(data, []int{17, 27, 22})
		last := map[int]int64{}
		var active, crossings, wantLost uint64
		prevSeq := map[int]uint32{}
		for _, e := range edges {
			wantLost += uint64(e.LineSeqno - prevSeq[e.Offset] - 1)
			prevSeq[e.Offset] = e.LineSeqno
			if e.Rising {
				active++
			}
			c, ok := s.accept(e)
			if !ok {
				continue
			}
			crossings++
			if !e.Rising {
				t.Fatalf("inactive edge %+v made a crossing", e)
			}
			if prev, seen := last[c.Line]; seen && time.Duration(c.MonoNS-prev) < DefaultHoldOff {
				t.Fatalf("line %d crossings %v apart, hold-off %v", c.Line, time.Duration(c.MonoNS-prev), DefaultHoldOff)
			}
			last[c.Line] = c.MonoNS
		}
		h := s.Health()
		if crossings+h.Chatter != active {
			t.Fatalf("%d crossings + %d chatter != %d active edges", crossings, h.Chatter, active)
		}
		if h.Lost != wantLost {
			t.Fatalf("Lost = %d, want %d", h.Lost, wantLost)
		}
	})
}

func BenchmarkAccept(b *testing.B) {
	s, err := New("bench", newFakeChip(), Config{
		Lines:  []LineConfig{{Line: 0, Offsets: []int{17, 27}}, {Line: 1, Offsets: []int{22}}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	s.lineSeq = map[int]uint32{}
	offsets := []int{17, 27, 22}
	seq := map[int]uint32{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		off := offsets[i%3]
		seq[off]++
		s.accept(Edge{Offset: off, Rising: true, TimestampNS: int64(i) * 100 * ms, LineSeqno: seq[off]})
	}
}
