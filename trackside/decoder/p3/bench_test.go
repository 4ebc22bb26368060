package p3

import (
	"testing"
	"time"
)

// BenchmarkFeed measures decoding PASSING records, several per read as a
// TCP read returns them and one per read; ns/record is the figure to watch.
func BenchmarkFeed(b *testing.B) {
	for _, perRead := range []int{1, 64} {
		var stream []byte
		for i := range perRead {
			stream = append(stream, EncodePassing(Passing{
				Number: uint32(1000 + i), Transponder: uint32(2097152 + i%20),
				RTC: rtc*time.Microsecond + time.Duration(i)*time.Second, Strength: 120, Hits: 30, DecoderID: 0x000A1B2C,
			})...)
		}
		b.Run(map[int]string{1: "1-per-read", 64: "64-per-read"}[perRead], func(b *testing.B) {
			harness.Benchmark(b, stream, perRead, "ns/record")
		})
	}
}
