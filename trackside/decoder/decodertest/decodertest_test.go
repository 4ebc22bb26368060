package decodertest

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"pitwall/trackside/decoder"
)

// lines is a small codec for exercising the checks: a line "P<digits>\n"
// is a passing of transponder <digits>, any other line a reject. A line is
// kept across Feed calls; one longer than lineBound is rejected whole at
// its line feed. Without a fault it keeps every promise of decoder.Codec;
// each fault breaks one.
type lines struct {
	buf      []byte
	overlong bool
	seq      uint64
	fault    fault
}

type fault int

const (
	correct fault = iota
	// forgetsPartialLine drops an unfinished line at the end of each Feed,
	// so the result depends on how the stream is split.
	forgetsPartialLine
	// growsBuffer keeps appending past lineBound instead of dropping bytes.
	growsBuffer
	// bareRejects reports rejects that do not wrap decoder.ErrFrame.
	bareRejects
	// numbersPassings puts a count of passings over the codec's life in
	// Seq, so the second passing re-encodes to a frame that a fresh codec
	// decodes with another Seq.
	numbersPassings
	// doublesPassings emits every passing twice.
	doublesPassings
	// stopsAfterGarbage never decodes again after an overlong line.
	stopsAfterGarbage
)

const lineBound = 16

func (c *lines) Feed(p []byte) (events []decoder.Event, rejects []error) {
	for _, b := range p {
		if b != '\n' {
			if len(c.buf) == lineBound && c.fault != growsBuffer {
				c.overlong = true
				continue
			}
			c.buf = append(c.buf, b)
			continue
		}
		ev, err := c.parse()
		if err != nil {
			if c.fault != bareRejects {
				err = fmt.Errorf("lines: %w: %w", decoder.ErrFrame, err)
			}
			rejects = append(rejects, err)
		} else {
			events = append(events, ev)
			if c.fault == doublesPassings {
				events = append(events, ev)
			}
		}
		c.buf = c.buf[:0]
		if c.fault != stopsAfterGarbage {
			c.overlong = false
		}
	}
	if c.fault == forgetsPartialLine {
		c.buf, c.overlong = c.buf[:0], false
	}
	return events, rejects
}

func (c *lines) parse() (decoder.Event, error) {
	if c.overlong {
		return decoder.Event{}, fmt.Errorf("line longer than %d bytes", lineBound)
	}
	if len(c.buf) < 2 || c.buf[0] != 'P' || strings.Trim(string(c.buf[1:]), "0123456789") != "" {
		return decoder.Event{}, fmt.Errorf("not a passing: %q", c.buf)
	}
	ev := decoder.Event{Kind: decoder.Passing, Transponder: string(c.buf[1:])}
	if c.fault == numbersPassings {
		c.seq++
		ev.Seq = c.seq
	}
	return ev, nil
}

func harness(f fault) Harness[*lines] {
	return Harness[*lines]{
		New:      func() *lines { return &lines{buf: make([]byte, 0, lineBound), fault: f} },
		Buffer:   func(c *lines) []byte { return c.buf },
		Bound:    lineBound,
		FrameEnd: '\n',
		Reencode: func(tb testing.TB, ev decoder.Event) []byte {
			if ev.Kind != decoder.Passing {
				tb.Fatalf("event of unexpected kind %v", ev.Kind)
			}
			return []byte("P" + ev.Transponder + "\n")
		},
	}
}

func passing(tx string) decoder.Event { return decoder.Event{Kind: decoder.Passing, Transponder: tx} }

// stream has two good lines, a bad one, an overlong one, an empty one and an
// unfinished one; every fault changes what the checks see of it.
const stream = "P1\nhello\nP22\n" + "P0123456789012345678\n" + "\nP333\nP4"

// recorder is a testing.TB that records failures instead of failing the
// test, so a check can be run on a broken codec and be expected to fail.
// Fatal ends the check's goroutine, as it does on a real test. Methods that
// cannot fail a test (Logf, Name, ...) go to the real test.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recorder) Fail()                             { r.fail("Fail called") }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.failures) > 0
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

// record runs check against a recorder in its own goroutine, so that a
// Fatal can end it, and returns the failures it reported.
func record(t *testing.T, check func(tb testing.TB)) []string {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.failures
}

// wantFailure fails t unless check reported a failure containing want.
func wantFailure(t *testing.T, want string, check func(tb testing.TB)) {
	t.Helper()
	failures := record(t, check)
	for _, f := range failures {
		if strings.Contains(f, want) {
			return
		}
	}
	t.Errorf("failures %q, want one containing %q", failures, want)
}

func TestChecksPassACorrectCodec(t *testing.T) {
	h := harness(correct)
	var whole Result
	if f := record(t, func(tb testing.TB) { whole = h.CheckAnySplit(tb, []byte(stream)) }); len(f) != 0 {
		t.Errorf("CheckAnySplit failed a correct codec: %q", f)
	}
	wantEvents := []decoder.Event{passing("1"), passing("22"), passing("333")}
	wantRejects := []string{
		`lines: malformed frame: not a passing: "hello"`,
		"lines: malformed frame: line longer than 16 bytes",
		`lines: malformed frame: not a passing: ""`,
	}
	if d := difference(whole, Result{Events: wantEvents, Rejects: []error{
		errors.New(wantRejects[0]), errors.New(wantRejects[1]), errors.New(wantRejects[2]),
	}}); d != "" {
		t.Errorf("CheckAnySplit returned a wrong whole result: %s", d)
	}
	checks := map[string]func(tb testing.TB){
		"CheckStream": func(tb testing.TB) { h.CheckStream(tb, []byte(stream)) },
		"CheckGarbageBounded": func(tb testing.TB) {
			h.CheckGarbageBounded(tb, []byte("P"), []byte("\nP42\n"), []decoder.Event{passing("42")})
		},
		"CheckRejects": func(tb testing.TB) {
			kind := fmt.Errorf("kind: %w", decoder.ErrFrame)
			CheckRejects(tb, []error{fmt.Errorf("detail: %w", kind)}, kind)
		},
		"CheckRejectTexts": func(tb testing.TB) {
			CheckRejectTexts(tb, h.FeedChunks(tb, []byte(stream)).Rejects, "lines: malformed frame: ", "hello", "longer", `""`)
		},
	}
	for name, check := range checks {
		if f := record(t, check); len(f) != 0 {
			t.Errorf("%s failed a correct codec: %q", name, f)
		}
	}
}

func TestCheckAnySplitCatchesChunkDependence(t *testing.T) {
	wantFailure(t, "fed one byte at a time, the result differs from a single Feed: event 0 is none, want",
		func(tb testing.TB) { harness(forgetsPartialLine).CheckAnySplit(tb, []byte(stream)) })
}

func TestCheckStreamCatchesEachFault(t *testing.T) {
	tests := []struct {
		fault fault
		data  string
		want  string
	}{
		{forgetsPartialLine, stream, "fed one byte at a time, the result differs from a single Feed"},
		{growsBuffer, stream, "cap 32, want len <= cap == 16"},
		{bareRejects, stream, `reject "not a passing: \"hello\"" does not wrap decoder.ErrFrame`},
		{numbersPassings, stream, `re-encoded as "P22\n" decodes to [{Kind:passing Transponder:22 Time:0s Epoch:false Seq:1 `},
		{doublesPassings, "P1\n", "2 events from input with 1 frame ends"},
	}
	for _, tc := range tests {
		wantFailure(t, tc.want, func(tb testing.TB) { harness(tc.fault).CheckStream(tb, []byte(tc.data)) })
	}
}

func TestCheckStreamCatchesABadEvent(t *testing.T) {
	h := harness(correct)
	h.Reencode = func(tb testing.TB, ev decoder.Event) []byte {
		tb.Fatalf("event %+v cannot be encoded", ev)
		return nil
	}
	wantFailure(t, "cannot be encoded", func(tb testing.TB) { h.CheckStream(tb, []byte("P1\n")) })
}

func TestCheckGarbageBoundedCatchesFaults(t *testing.T) {
	good, want := []byte("\nP42\n"), []decoder.Event{passing("42")}
	wantFailure(t, "want len <= cap == 16", func(tb testing.TB) {
		harness(growsBuffer).CheckGarbageBounded(tb, []byte("P"), good, want)
	})
	wantFailure(t, `after garbage, "\nP42\n" decodes to [], want`, func(tb testing.TB) {
		harness(stopsAfterGarbage).CheckGarbageBounded(tb, []byte("P"), good, want)
	})
}

func TestCheckRejectsCatchesWrongRejects(t *testing.T) {
	kind := fmt.Errorf("kind: %w", decoder.ErrFrame)
	other := fmt.Errorf("other: %w", decoder.ErrFrame)
	bare := errors.New("bare")
	wantFailure(t, "got 1 rejects [kind: malformed frame], want 2",
		func(tb testing.TB) { CheckRejects(tb, []error{kind}, kind, kind) })
	wantFailure(t, `reject 0 = "other: malformed frame", want kind "kind: malformed frame"`,
		func(tb testing.TB) { CheckRejects(tb, []error{other}, kind) })
	wantFailure(t, `reject 0 "bare" does not wrap decoder.ErrFrame`,
		func(tb testing.TB) { CheckRejects(tb, []error{bare}, bare) })
}

func TestCheckRejectTextsCatchesWrongRejects(t *testing.T) {
	reject := fmt.Errorf("p: %w: bad byte 'x'", decoder.ErrFrame)
	wantFailure(t, `rejects = ["p: malformed frame: bad byte 'x'"], want 0`,
		func(tb testing.TB) { CheckRejectTexts(tb, []error{reject}, "p: ") })
	wantFailure(t, `want it to contain "bad byte 'y'"`,
		func(tb testing.TB) { CheckRejectTexts(tb, []error{reject}, "p: ", "bad byte 'y'") })
	wantFailure(t, `want the prefix "q: "`,
		func(tb testing.TB) { CheckRejectTexts(tb, []error{reject}, "q: ", "bad byte") })
	wantFailure(t, `reject "p: bad" does not wrap decoder.ErrFrame`,
		func(tb testing.TB) { CheckRejectTexts(tb, []error{errors.New("p: bad")}, "p: ", "bad") })
}

func TestBenchmarkChecksTheFrameCount(t *testing.T) {
	h := harness(correct)
	data := []byte("P1\nP2\n")
	// testing.Benchmark returns a zero result when the benchmark fails.
	if r := testing.Benchmark(func(b *testing.B) { h.Benchmark(b, data, 3, "ns/frame") }); r.N != 0 {
		t.Errorf("Benchmark of 2 frames claimed as 3 ran %d iterations, want a failure", r.N)
	}
	// A passing benchmark runs for -test.benchtime, 1s by default; 100
	// iterations show it passes and reports its metric.
	benchtime := flag.Lookup("test.benchtime")
	old := benchtime.Value.String()
	if err := benchtime.Value.Set("100x"); err != nil {
		t.Fatalf("set -test.benchtime: %v", err)
	}
	t.Cleanup(func() {
		if err := benchtime.Value.Set(old); err != nil {
			t.Errorf("restore -test.benchtime %s: %v", old, err)
		}
	})
	r := testing.Benchmark(func(b *testing.B) { h.Benchmark(b, data, 2, "ns/frame") })
	if r.N != 100 || r.Extra["ns/frame"] <= 0 || r.Bytes != int64(len(data)) {
		t.Errorf("Benchmark of a correct codec: N %d, ns/frame %v, bytes %d; want N 100, ns/frame > 0, bytes %d",
			r.N, r.Extra["ns/frame"], r.Bytes, len(data))
	}
}
