package zround

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkFeed measures decoding of a realistic stream: detections and
// clock syncs, each frame followed by CRLF as real decoders send them.
func BenchmarkFeed(b *testing.B) {
	const frames = 1000
	var stream bytes.Buffer
	for i := range frames {
		if i%10 == 0 {
			stream.Write(EncodeClock(time.Duration(i) * 500 * time.Millisecond))
		} else {
			stream.Write(EncodePassing(uint32(1000+i%40), time.Duration(i)*1234*time.Millisecond))
		}
		stream.WriteString("\r\n")
	}
	harness.Benchmark(b, stream.Bytes(), frames, "ns/frame")
}
