package amb

import (
	"testing"
	"time"
)

// BenchmarkFeed measures decoding passing lines, one per read as a serial
// port often delivers them and 64 per read; ns/record is the figure to
// watch.
func BenchmarkFeed(b *testing.B) {
	for _, perRead := range []int{1, 64} {
		var stream []byte
		for i := range perRead {
			stream = append(stream, EncodePassing(uint32(2097152+i%20), time.Duration(i)*time.Second, 30, 120)...)
		}
		b.Run(map[int]string{1: "1-per-read", 64: "64-per-read"}[perRead], func(b *testing.B) {
			harness.Benchmark(b, stream, perRead, "ns/record")
		})
	}
}
