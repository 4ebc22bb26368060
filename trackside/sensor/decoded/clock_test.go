package decoded

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"pitwall/trackside/decoder"
)

// clockStep is one input to a decoderClock and what it must yield.
type clockStep struct {
	op         string // "pass", "sync" or "open"
	t, host    time.Duration
	wantMono   []time.Duration // placed passings, in order
	wantReject int
	wantAnchor bool // the step (re)anchors the clock
}

func pass(t, host time.Duration, mono ...time.Duration) clockStep {
	return clockStep{op: "pass", t: t, host: host, wantMono: mono}
}

func clockAt(t, host time.Duration, mono ...time.Duration) clockStep {
	return clockStep{op: "sync", t: t, host: host, wantMono: mono}
}

func (s clockStep) anchors() clockStep      { s.wantAnchor = true; return s }
func (s clockStep) rejects(n int) clockStep { s.wantReject = n; return s }
func open(rejects int) clockStep            { return clockStep{op: "open", wantReject: rejects} }

func sec(v float64) time.Duration   { return time.Duration(v * float64(time.Second)) }
func hours(v float64) time.Duration { return time.Duration(v * float64(time.Hour)) }
func (s clockStep) String() string  { return s.op + " " + s.t.String() + "@" + s.host.String() }

func TestDecoderClock(t *testing.T) {
	const epoch0 = 1_700_000_000 * time.Second
	tests := []struct {
		name  string
		steps []clockStep
	}{
		{"lap times are decoder differences, not arrival differences", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(sec(20.5), sec(110.9), sec(110.5)),
			pass(sec(31), sec(121.02), sec(121)),
		}},
		{"clock sync that agrees keeps the anchor", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			clockAt(sec(15), sec(105.3)),
			pass(sec(20), sec(110.2), sec(110)),
		}},
		{"clock sync far off re-anchors (race start zeroed the decoder)", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			clockAt(sec(2), sec(130)).anchors(),
			pass(sec(12), sec(140.1), sec(140)),
		}},
		{"first event may be a clock sync", []clockStep{
			clockAt(sec(50), sec(100)).anchors(),
			pass(sec(55), sec(105.2), sec(105)),
		}},
		{"out-of-order passing within tolerance is accepted", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(sec(9), sec(100.5), sec(99)),
		}},
		{"decoder restart with the link up re-anchors", []clockStep{
			pass(sec(100), sec(100), sec(100)).anchors(),
			pass(sec(3), sec(110), sec(110)).anchors(),
			pass(sec(13), sec(120.2), sec(120)),
		}},
		{"implausible backwards jump is held, then rejected by an agreeing passing", []clockStep{
			pass(sec(100), sec(100), sec(100)).anchors(),
			pass(sec(50), sec(101)),
			pass(sec(102), sec(102), sec(102)).rejects(1),
		}},
		{"forward jump beyond MaxJump is held, then rejected", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(sec(10)+hours(2), sec(101)),
			pass(sec(12), sec(102), sec(102)).rejects(1),
		}},
		{"forward jump within MaxJump is accepted", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(sec(10)+30*time.Minute, sec(101), sec(100)+30*time.Minute),
		}},
		{"forward jump confirmed by the next passing re-anchors and emits both", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(hours(2), sec(101)),
			pass(hours(2)+sec(10), sec(111.3), sec(101), sec(111)).anchors(),
		}},
		{"a passing agreeing with neither replaces the held one", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(hours(2), sec(101)),
			pass(hours(5), sec(102)).rejects(1),
			pass(hours(5)+sec(3), sec(105), sec(102), sec(105)).anchors(),
		}},
		{"held passing confirmed by a clock sync", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(hours(2), sec(101)),
			clockAt(hours(2)+sec(1), sec(102), sec(101)).anchors(),
		}},
		{"held passing rejected by an agreeing clock sync", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(hours(2), sec(101)),
			clockAt(sec(12), sec(102)).rejects(1),
		}},
		{"reopened link whose decoder clock continued keeps the anchor", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			open(0),
			pass(sec(30), sec(120.3), sec(120)),
		}},
		{"reopened link after a decoder power cycle re-anchors", []clockStep{
			pass(sec(500), sec(100), sec(100)).anchors(),
			open(0),
			pass(sec(2), sec(130), sec(130)).anchors(),
		}},
		{"reopening rejects a held passing", []clockStep{
			pass(sec(10), sec(100), sec(100)).anchors(),
			pass(hours(2), sec(101)),
			open(1),
			pass(sec(30), sec(120), sec(120)),
		}},
		{"epoch clock going back a minute is not a restart", []clockStep{
			pass(epoch0, sec(100), sec(100)).anchors(),
			pass(epoch0-sec(60), sec(110)),
			pass(epoch0+sec(10), sec(110.1), sec(110)).rejects(1),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newDecoderClock(time.Hour)
			for i, st := range tt.steps {
				e := timed{ev: decoder.Event{Time: st.t}, host: int64(st.host)}
				var v verdict
				switch st.op {
				case "pass":
					e.ev.Kind = decoder.Passing
					v = c.passing(e)
				case "sync":
					e.ev.Kind = decoder.ClockSync
					v = c.sync(e)
				case "open":
					v.rejects = c.linkOpened(false)
				}
				var got []time.Duration
				for _, p := range v.emit {
					got = append(got, time.Duration(p.mono))
				}
				if !equalDurations(got, st.wantMono) {
					t.Errorf("step %d (%v): placed %v, want %v", i, st, got, st.wantMono)
				}
				if len(v.rejects) != st.wantReject {
					t.Errorf("step %d (%v): %d rejects %v, want %d", i, st, len(v.rejects), v.rejects, st.wantReject)
				}
				for _, r := range v.rejects {
					if !errors.Is(r, ErrAbsurdTime) {
						t.Errorf("step %d: reject %v does not wrap ErrAbsurdTime", i, r)
					}
				}
				if (v.reanchor != "") != st.wantAnchor {
					t.Errorf("step %d (%v): reanchor %q, want anchored=%v", i, st, v.reanchor, st.wantAnchor)
				}
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzDecoderClock feeds arbitrary event sequences (9 bytes each: op,
// signed decoder time step in ms, host time step in ms) and checks:
// every passing is placed or rejected exactly once; every placed passing is
// its decoder time plus the anchor offset in force after the call, so
// differences of placed times are exactly decoder differences; the offset
// changes only with a reported re-anchor.
func FuzzDecoderClock(f *testing.F) {
	f.Add(clockSeed(0, 10_000, 1000, 0, 10_500, 10_400, 0, 7_200_000, 100, 0, -7_190_000, 10_000))
	f.Add(clockSeed(0, 100_000, 1000, 1, -98_000, 20_000, 2, 0, 5000, 0, 4000, 4100))
	f.Add(clockSeed(0, 5000, 0, 0, 7_200_000, 1, 0, 10_000, 10_000, 2, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newDecoderClock(time.Hour)
		var dec, host int64 = 0, int64(time.Hour)
		fed := 0
		seen := map[uint64]bool{}
		resolved := 0
		check := func(v verdict, before int64, wasAnchored bool) {
			for _, p := range v.emit {
				if seen[p.ev.Seq] {
					t.Fatalf("passing #%d placed twice", p.ev.Seq)
				}
				seen[p.ev.Seq] = true
				if p.mono-int64(p.ev.Time) != c.at.offset {
					t.Fatalf("passing #%d placed at %d with offset %d, anchor offset is %d", p.ev.Seq, p.mono, p.mono-int64(p.ev.Time), c.at.offset)
				}
			}
			if v.reanchor == "" && wasAnchored && c.at.offset != before {
				t.Fatalf("offset moved from %d to %d without a re-anchor", before, c.at.offset)
			}
			resolved += len(v.emit) + len(v.rejects)
		}
		for len(data) >= 9 {
			op := data[0] % 3
			dec += int64(int32(binary.LittleEndian.Uint32(data[1:5]))) * int64(time.Millisecond)
			dec = max(dec, 0)
			host += int64(binary.LittleEndian.Uint32(data[5:9])%3_600_000) * int64(time.Millisecond)
			data = data[9:]
			before, wasAnchored := c.at.offset, c.anchored
			switch op {
			case 0:
				fed++
				ev := decoder.Event{Kind: decoder.Passing, Time: time.Duration(dec), Seq: uint64(fed)}
				check(c.passing(timed{ev: ev, host: host}), before, wasAnchored)
			case 1:
				ev := decoder.Event{Kind: decoder.ClockSync, Time: time.Duration(dec)}
				check(c.sync(timed{ev: ev, host: host}), before, wasAnchored)
			case 2:
				resolved += len(c.linkOpened(false))
			}
		}
		resolved += len(c.linkOpened(false))
		if resolved != fed {
			t.Fatalf("%d passings fed, %d placed or rejected", fed, resolved)
		}
	})
}

// clockSeed encodes (op, decoder step ms, host step ms) triples.
func clockSeed(v ...int64) []byte {
	var b []byte
	for i := 0; i+2 < len(v); i += 3 {
		b = append(b, byte(v[i]))
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(v[i+1])))
		b = binary.LittleEndian.AppendUint32(b, uint32(v[i+2]))
	}
	return b
}
