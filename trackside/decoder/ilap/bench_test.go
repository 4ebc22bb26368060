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
	data := stream.Bytes()
	d := New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		events, rejects := d.Feed(data)
		if len(events) != lines || len(rejects) != 0 {
			b.Fatalf("decoded %d events, %d rejects; want %d, 0", len(events), len(rejects), lines)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/frame")
}
