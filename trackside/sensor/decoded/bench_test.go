package decoded

import (
	"context"
	"testing"
	"time"

	"pitwall/trackside/crossing"
	"pitwall/trackside/decoder"
)

// BenchmarkHandlePassing measures the per-passing cost of the adapter
// between codec and sink: sequence check, clock placement, chatter filter,
// crossing construction and health update.
func BenchmarkHandlePassing(b *testing.B) {
	var host int64
	cfg := Config{Logger: testLoggerB(), HostClock: func() int64 { return host }}
	src := New("bench", nil, lineProtocol, cfg)
	sink := func(context.Context, crossing.Crossing) error { return nil }
	ctx := context.Background()
	txs := []string{"101", "102", "103", "104", "105", "106", "107", "108"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t := time.Duration(i) * 700 * time.Millisecond // each car every 5.6 s
		host = int64(t) + int64(time.Hour)
		ev := decoder.Event{Kind: decoder.Passing, Transponder: txs[i%len(txs)], Time: t, Seq: uint64(i + 1)}
		if err := src.handle(ctx, ev, sink); err != nil {
			b.Fatal(err)
		}
	}
	if h := src.Health(); h.Rejects != 0 || h.Chatter != 0 {
		b.Fatalf("health %+v: benchmark input was not clean", h)
	}
}
