package decoded

import "time"

// chatterFilter drops a second passing of the same transponder within the
// debounce window of its last accepted passing: a car sitting on or
// wobbling over the loop is reported several times, but no car laps a
// track in a second. Times are anchored monotonic ns, so the window spans
// decoder clock re-anchors without a false lap.
type chatterFilter struct {
	window int64            // ns; <= 0 disables the filter
	last   map[string]int64 // transponder ("" for a beam break) → mono ns of its last accepted passing
	newest int64            // latest mono ns accepted, to prune stale entries
}

// pruneAt bounds the map: garbage transponder ids from a noisy line must
// not grow it without limit.
const pruneAt = 1024

func newChatterFilter(window time.Duration) *chatterFilter {
	return &chatterFilter{window: int64(window), last: make(map[string]int64)}
}

// chatter reports whether a passing of tx at mono is chatter; if it is not,
// it becomes tx's last accepted passing.
func (f *chatterFilter) chatter(tx string, mono int64) bool {
	if f.window <= 0 {
		return false
	}
	if prev, ok := f.last[tx]; ok {
		d := mono - prev
		if d < 0 {
			d = -d // out-of-order report of the same visit to the loop
		}
		if d < f.window {
			return true
		}
	}
	if len(f.last) >= pruneAt {
		f.prune()
	}
	f.last[tx] = mono
	if mono > f.newest {
		f.newest = mono
	}
	return false
}

// prune forgets transponders whose last passing is older than the window:
// their next passing cannot be chatter anyway.
func (f *chatterFilter) prune() {
	for tx, at := range f.last {
		if f.newest-at >= f.window {
			delete(f.last, tx)
		}
	}
}
