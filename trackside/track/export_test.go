package track

// Queued is how many requests wait for the writer, so a test can build a
// batch in a known order before the writer runs.
func (t *Track) Queued() int { return len(t.reqs) }
