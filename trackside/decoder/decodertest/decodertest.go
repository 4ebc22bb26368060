// Package decodertest checks the promises every decoder.Codec makes: a
// stream decodes the same however it is split into Feed calls, the frame
// buffer stays within its bound, every reject wraps decoder.ErrFrame, and
// every event survives a round trip through the protocol's encoder. It also
// holds the Feed loop the codecs' benchmarks share.
//
// It is an ordinary package so that the tests of all four codec packages
// can share it, but only tests import it, as with net/http/httptest.
package decodertest

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"pitwall/trackside/decoder"
)

// Harness describes one codec to the checks. C is the codec's concrete
// type, so that Buffer can reach its unexported buffer from the codec
// package's own tests.
type Harness[C decoder.Codec] struct {
	// New returns a fresh codec.
	New func() C
	// Buffer returns the bytes the codec holds while it waits for the end
	// of a frame.
	Buffer func(C) []byte
	// Bound is the capacity New gives the buffer, which it must keep:
	// decoder.MaxFrame, or a codec's own larger record limit.
	Bound int
	// FrameEnd is the byte that completes a frame. A frame yields at most
	// one event, so no stream yields more events than it has FrameEnd bytes.
	FrameEnd byte
	// Reencode returns the wire form of ev, failing tb if ev holds values
	// the protocol cannot carry. Only CheckStream uses it.
	Reencode func(tb testing.TB, ev decoder.Event) []byte
}

// Result is what a run of Feed calls on one codec produced.
type Result struct {
	Events  []decoder.Event
	Rejects []error
}

// RejectTexts returns the rejects' messages. Two runs' rejects are compared
// by text: the codecs quote the offending bytes in it.
func (r Result) RejectTexts() []string {
	texts := make([]string, len(r.Rejects))
	for i, err := range r.Rejects {
		texts[i] = err.Error()
	}
	return texts
}

// CheckBuffer fails tb unless c's buffer holds at most h.Bound bytes in a
// capacity of exactly h.Bound. A larger capacity means append reallocated
// it, so memory is no longer bounded; a smaller one means the codec
// replaced the buffer New made.
func (h Harness[C]) CheckBuffer(tb testing.TB, c C) {
	tb.Helper()
	if fault := h.bufferFault(c); fault != "" {
		tb.Fatal(fault)
	}
}

// bufferFault is CheckBuffer's test without a tb, so that feed can run it
// after every Feed.
func (h Harness[C]) bufferFault(c C) string {
	b := h.Buffer(c)
	if len(b) > h.Bound || cap(b) != h.Bound {
		return fmt.Sprintf("buffer len %d cap %d, want len <= cap == %d", len(b), cap(b), h.Bound)
	}
	return ""
}

// FeedChunks feeds the chunks in order to a fresh codec, checking the
// buffer after every Feed and that every reject wraps decoder.ErrFrame.
func (h Harness[C]) FeedChunks(tb testing.TB, chunks ...[]byte) Result {
	tb.Helper()
	return h.feedChecked(tb, slices.Values(chunks))
}

// feedChecked is FeedChunks for chunks from an iterator.
func (h Harness[C]) feedChecked(tb testing.TB, chunks iter.Seq[[]byte]) Result {
	tb.Helper()
	r, fault := h.feed(chunks)
	if fault != "" {
		tb.Fatal(fault)
	}
	for _, err := range r.Rejects {
		if !errors.Is(err, decoder.ErrFrame) {
			tb.Errorf("reject %q does not wrap decoder.ErrFrame", err)
		}
	}
	return r
}

// unwrapped returns the first reject that does not wrap decoder.ErrFrame,
// or nil.
func unwrapped(rejects []error) error {
	for _, err := range rejects {
		if !errors.Is(err, decoder.ErrFrame) {
			return err
		}
	}
	return nil
}

// feed feeds chunks to a fresh codec and returns what it produced. It
// stops at the first Feed that leaves the buffer out of bound and returns
// that fault. It takes no tb, so the fuzz body can feed many splits without
// a tb.Helper call for each: Helper walks the stack, and per split it was a
// quarter of FuzzAMB's time.
func (h Harness[C]) feed(chunks iter.Seq[[]byte]) (r Result, fault string) {
	c := h.New()
	for p := range chunks {
		events, rejects := c.Feed(p)
		r.Events = append(r.Events, events...)
		r.Rejects = append(r.Rejects, rejects...)
		if fault := h.bufferFault(c); fault != "" {
			return r, fault
		}
	}
	return r, ""
}

// CheckAnySplit feeds stream whole, then one byte at a time, two bytes at a
// time, in 50 rounds of random pieces of 1 to 40 bytes and in 10 rounds of
// random pieces of 1 to 4096 bytes, each to a fresh codec through
// FeedChunks. Every split must give the events and reject texts of the
// whole feed, which it returns so the caller can check that the stream
// exercises what it should.
func (h Harness[C]) CheckAnySplit(tb testing.TB, stream []byte) Result {
	tb.Helper()
	whole := h.FeedChunks(tb, stream)
	same := func(how string, chunks iter.Seq[[]byte]) bool {
		tb.Helper()
		if d := difference(h.feedChecked(tb, chunks), whole); d != "" {
			tb.Errorf("fed %s, the result differs from a single Feed: %s", how, d)
			return false
		}
		return true
	}
	same("one byte at a time", pieces(stream, func(int) int { return 1 }))
	same("two bytes at a time", pieces(stream, func(int) int { return 2 }))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range []struct{ rounds, most int }{{50, 40}, {10, 4096}} {
		for round := range r.rounds {
			chunks := pieces(stream, func(int) int { return 1 + rng.IntN(r.most) })
			if !same(fmt.Sprintf("in random pieces of 1-%d bytes, round %d", r.most, round), chunks) {
				break // one failing round says it; more would bury it
			}
		}
	}
	return whole
}

// CheckStream checks what holds for any byte stream, and is meant as the
// body of a codec's fuzz target: feeding data whole keeps the buffer bound
// and wraps every reject in decoder.ErrFrame (FeedChunks); it yields no
// more events than data has FrameEnd bytes; feeding it one byte at a time,
// in two halves and (over 256 bytes) in pieces of 1 to 13 bytes gives the
// same events and reject texts as feeding it whole; and every event
// re-encodes (Reencode) to a frame that a fresh codec decodes to that event
// alone, with no reject. It returns the whole feed's result.
func (h Harness[C]) CheckStream(tb testing.TB, data []byte) Result {
	tb.Helper()
	// feed, not feedChecked: one tb.Helper call less per exec.
	whole, fault := h.feed(slices.Values([][]byte{data}))
	if fault != "" {
		tb.Fatal(fault)
	}
	if err := unwrapped(whole.Rejects); err != nil {
		tb.Fatalf("reject %q does not wrap decoder.ErrFrame", err)
	}
	if n := bytes.Count(data, []byte{h.FrameEnd}); len(whole.Events) > n {
		tb.Fatalf("%d events from input with %d frame ends (%q)", len(whole.Events), n, h.FrameEnd)
	}

	type feeding struct {
		how    string
		chunks iter.Seq[[]byte]
	}
	cut := len(data) / 2
	feedings := []feeding{
		{"one byte at a time", pieces(data, func(int) int { return 1 })},
		{fmt.Sprintf("in two halves cut at %d", cut), slices.Values([][]byte{data[:cut], data[cut:]})},
	}
	if len(data) > 256 {
		// Long inputs also get mixed piece sizes, which feed several bytes
		// per call with a cut at every kind of position.
		feedings = append(feedings, feeding{"in pieces of 1 to 13 bytes", pieces(data, func(i int) int { return 1 + i*7%13 })})
	}
	for _, f := range feedings {
		got, fault := h.feed(f.chunks)
		if fault != "" {
			tb.Fatalf("fed %s: %s", f.how, fault)
		}
		if d := difference(got, whole); d != "" {
			tb.Fatalf("fed %s, the result differs from a single Feed: %s", f.how, d)
		}
	}

	for _, ev := range whole.Events {
		frame := h.Reencode(tb, ev)
		again, fault := h.feed(slices.Values([][]byte{frame}))
		if fault != "" || len(again.Rejects) != 0 || !slices.Equal(again.Events, []decoder.Event{ev}) {
			tb.Fatalf("event %+v re-encoded as %q decodes to %+v, rejects %q %s", ev, frame, again.Events, again.RejectTexts(), fault)
		}
	}
	return whole
}

// CheckGarbageBounded feeds one codec 10 KiB each of random bytes, of 'x',
// and of open followed by '1's (a frame that never ends), 100 bytes per
// Feed, checking the buffer after every Feed. Then good must still decode
// to want; its rejects are not checked, as the garbage left in the buffer
// may be rejected when good arrives.
func (h Harness[C]) CheckGarbageBounded(tb testing.TB, open, good []byte, want []decoder.Event) {
	tb.Helper()
	c := h.New()
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 10*1024)
	for i := range noise {
		noise[i] = byte(rng.IntN(256))
	}
	endless := append(slices.Clone(open), bytes.Repeat([]byte{'1'}, 10*1024)...)
	for _, garbage := range [][]byte{noise, bytes.Repeat([]byte{'x'}, 10*1024), endless} {
		for piece := range slices.Chunk(garbage, 100) {
			c.Feed(piece)
			h.CheckBuffer(tb, c)
		}
	}
	if events, _ := c.Feed(good); !slices.Equal(events, want) {
		tb.Errorf("after garbage, %q decodes to %+v, want %+v", good, events, want)
	}
}

// Benchmark feeds stream to one codec once per iteration of b.Loop, failing
// unless it decodes to frames events and no rejects, and reports the time
// per frame as the metric unit ("ns/frame", "ns/record").
func (h Harness[C]) Benchmark(b *testing.B, stream []byte, frames int, unit string) {
	c := h.New()
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		events, rejects := c.Feed(stream)
		if len(events) != frames || len(rejects) != 0 {
			b.Fatalf("decoded %d events, %d rejects; want %d, 0", len(events), len(rejects), frames)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), unit)
}

// CheckRejects fails tb unless rejects are exactly of the given kinds, in
// order (by errors.Is), and each wraps decoder.ErrFrame.
func CheckRejects(tb testing.TB, rejects []error, kinds ...error) {
	tb.Helper()
	if len(rejects) != len(kinds) {
		tb.Fatalf("got %d rejects %v, want %d", len(rejects), rejects, len(kinds))
	}
	for i, err := range rejects {
		if !errors.Is(err, decoder.ErrFrame) {
			tb.Errorf("reject %d %q does not wrap decoder.ErrFrame", i, err)
		}
		if !errors.Is(err, kinds[i]) {
			tb.Errorf("reject %d = %q, want kind %q", i, err, kinds[i])
		}
	}
}

// CheckRejectTexts fails tb unless there is one reject per want, in order,
// each wrapping decoder.ErrFrame, starting with prefix and containing its
// want.
func CheckRejectTexts(tb testing.TB, rejects []error, prefix string, want ...string) {
	tb.Helper()
	texts := Result{Rejects: rejects}.RejectTexts()
	for _, err := range rejects {
		if !errors.Is(err, decoder.ErrFrame) {
			tb.Errorf("reject %q does not wrap decoder.ErrFrame", err)
		}
	}
	if len(texts) != len(want) {
		tb.Fatalf("rejects = %q, want %d", texts, len(want))
	}
	for i, w := range want {
		if !strings.Contains(texts[i], w) {
			tb.Errorf("reject %d = %q, want it to contain %q", i, texts[i], w)
		}
		if !strings.HasPrefix(texts[i], prefix) {
			tb.Errorf("reject %d = %q, want the prefix %q", i, texts[i], prefix)
		}
	}
}

// pieces cuts stream into pieces; size(i) is the length of piece i, cut
// short at the end of the stream.
func pieces(stream []byte, size func(i int) int) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for i, rest := 0, stream; len(rest) > 0; i++ {
			n := min(size(i), len(rest))
			if !yield(rest[:n]) {
				return
			}
			rest = rest[n:]
		}
	}
}

// difference describes the first way got differs from want, or is "" when
// they have the same events and reject texts.
func difference(got, want Result) string {
	if d := firstDifference("event", got.Events, want.Events, func(ev decoder.Event) decoder.Event { return ev }); d != "" {
		return d
	}
	return firstDifference("reject", got.Rejects, want.Rejects, error.Error)
}

// firstDifference describes the first index at which got and want differ
// by key, or is "" when they do not.
func firstDifference[T any, K comparable](what string, got, want []T, key func(T) K) string {
	for i := range max(len(got), len(want)) {
		if i < len(got) && i < len(want) && key(got[i]) == key(want[i]) {
			continue
		}
		var g, w any = "none", "none"
		if i < len(got) {
			g = key(got[i])
		}
		if i < len(want) {
			w = key(want[i])
		}
		return fmt.Sprintf("%s %d is %+v, want %+v (%d %ss in all, %d)", what, i, g, w, len(got), what, len(want))
	}
	return ""
}
