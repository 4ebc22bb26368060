package ilap

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkFeed measures decoding of a realistic stream of passing lines
// from one decoder.
func BenchmarkFeed(b *testing.B) {
	const lines = 1000
	var stream bytes.Buffer
	for i := range lines {
		stream.Write(EncodePassing("1", uint32(minTransponder+i%40), time.Duration(i)*1234*time.Millisecond))
	}
	harness.Benchmark(b, stream.Bytes(), lines, "ns/frame")
}
