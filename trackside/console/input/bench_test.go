package input

import (
	"bytes"
	"testing"
)

// BenchmarkDecodeAndRecognize measures one evdev event from bytes to
// gesture: decoding, framing, slot tracking, scaling and drag recognition
// (the flood drag: X, Y, SYN_REPORT per frame).
func BenchmarkDecodeAndRecognize(b *testing.B) {
	stream, _ := floodDrag()
	events := len(stream) / Layout64.Size()
	cfg, _ := screen800.withDefaults()
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		dev := newFake(mtPanel, bytes.NewReader(stream))
		caps, _ := probe(dev)
		p, err := newPipeline(dev, caps, cfg, nil, func(Event) {})
		if err != nil {
			b.Fatal(err)
		}
		r := &reader{dev: dev, p: p}
		r.run()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}
