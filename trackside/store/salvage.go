package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strings"

	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
)

// SalvageReport says what Salvage copied and what it could not read.
type SalvageReport struct {
	Crossings int  `json:"crossings"`
	Races     int  `json:"races"`
	Racers    int  `json:"racers"`
	Audit     int  `json:"audit"`
	Settings  int  `json:"settings"`
	Engine    bool `json:"engine"` // the race engine's snapshot (queue, current race)
	// FromOlderCopies counts races and racers found only in older copies of
	// the tree (pages bbolt had replaced but not yet reused): they may miss
	// their last changes.
	FromOlderCopies []string `json:"from_older_copies,omitempty"`
	// OutboxDropped: messages that were waiting for the broker. They are not
	// copied; the unit publishes its state again.
	OutboxDropped int `json:"outbox_dropped"`
	// MissingCrossings and MissingAudit are id ranges ("17-40") below the
	// stored count that no readable page holds.
	MissingCrossings []string `json:"missing_crossings,omitempty"`
	MissingAudit     []string `json:"missing_audit,omitempty"`
	// CountsUnknown: the bucket headers holding how many crossings and audit
	// entries were ever stored were not readable, so entries above the
	// highest id found may be lost without a trace.
	CountsUnknown bool `json:"counts_unknown,omitempty"`
	// Problems are the damaged pages and unreadable entries.
	Problems []string `json:"problems,omitempty"`
}

// Lost reports whether anything could not be read.
func (r SalvageReport) Lost() bool {
	return len(r.MissingCrossings) > 0 || len(r.MissingAudit) > 0 || len(r.Problems) > 0 || len(r.FromOlderCopies) > 0 || r.CountsUnknown
}

// String is the report for a person.
func (r SalvageReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "copied: %d crossings, %d races, %d racers, %d audit entries, %d settings, engine snapshot %v\n",
		r.Crossings, r.Races, r.Racers, r.Audit, r.Settings, r.Engine)
	if r.OutboxDropped > 0 {
		fmt.Fprintf(&b, "not copied: %d outbox messages (the unit republishes its state)\n", r.OutboxDropped)
	}
	if len(r.MissingCrossings) > 0 {
		fmt.Fprintf(&b, "crossings not readable: ids %s\n", strings.Join(r.MissingCrossings, ", "))
	}
	if len(r.MissingAudit) > 0 {
		fmt.Fprintf(&b, "audit entries not readable: ids %s\n", strings.Join(r.MissingAudit, ", "))
	}
	if r.CountsUnknown {
		b.WriteString("the number of crossings and audit entries stored was not readable: entries after the highest id found may be lost\n")
	}
	if len(r.FromOlderCopies) > 0 {
		fmt.Fprintf(&b, "recovered from older copies, may miss their latest changes: %s\n", strings.Join(r.FromOlderCopies, ", "))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	if !r.Lost() {
		b.WriteString("nothing was lost\n")
	}
	return b.String()
}

// salvaged is what the page walks found, per pitwall bucket.
type salvaged struct {
	crossings, audit  map[uint64]json.RawMessage
	races, racers     map[string]json.RawMessage
	settings          map[string][]byte
	engine            []byte
	timeline          []byte // the engine's Timeline: its stamps mean nothing without it
	crossSeq, audSeq  uint64
	seqKnown          bool // the crossings bucket header was read
	outbox            int
	older             map[string]bool // "race x" / "racer y" from an older copy
	problems          []string
	sawPitwallBuckets bool
}

// Salvage copies every readable crossing, race, racer, audit entry, setting
// and the engine snapshot of the damaged database at damaged into a new
// database at dst, which must not exist. damaged is only read, through
// pread with every offset checked (never bbolt's memory map), so no damage
// can crash it. Crossings and audit entries keep their ids.
//
// It reads the tree under the newest valid meta page; then, for what that
// tree no longer reaches (a truncated file, an overwritten branch page, both
// meta pages gone), it scans every page of the file: crossings and audit
// entries never change once written, so any copy of one found on a loose
// leaf page is the entry; races and racers are taken from older copies of
// the root only when the newest tree lost them, and reported as such.
func Salvage(damaged, dst string, log *slog.Logger) (SalvageReport, error) {
	if log == nil {
		log = slog.Default()
	}
	var rep SalvageReport
	if _, err := os.Stat(dst); err == nil {
		return rep, fmt.Errorf("salvage to %s: the file exists; choose a new name", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return rep, fmt.Errorf("salvage to %s: %w", dst, err)
	}
	f, err := os.Open(damaged)
	if err != nil {
		return rep, fmt.Errorf("salvage %s: %w", damaged, err)
	}
	defer f.Close()
	// The shared lock: a running unit must not be rewriting what we read.
	if err := lockShared(f, false, DefaultLockTimeout); err != nil {
		return rep, fmt.Errorf("salvage %s: %w (stop the unit first)", damaged, err)
	}
	info, err := f.Stat()
	if err != nil {
		return rep, fmt.Errorf("salvage %s: %w", damaged, err)
	}
	sv := salvaged{
		crossings: map[uint64]json.RawMessage{}, audit: map[uint64]json.RawMessage{},
		races: map[string]json.RawMessage{}, racers: map[string]json.RawMessage{},
		settings: map[string][]byte{}, older: map[string]bool{},
	}
	if info.Size() == 0 {
		return rep, fmt.Errorf("salvage %s: the file is empty: nothing to salvage", damaged)
	}
	sv.read(f, info.Size())
	if !sv.sawPitwallBuckets && len(sv.crossings) == 0 && len(sv.audit) == 0 {
		return rep, fmt.Errorf("salvage %s: no pitwall data found (not a pitwall store, or nothing readable): %s",
			damaged, strings.Join(firstN(sv.problems, 3), "; "))
	}

	st, err := Open(dst, Options{Logger: log})
	if err != nil {
		return rep, fmt.Errorf("salvage to %s: %w", dst, err)
	}
	defer st.Close()
	rep.Problems = sv.problems
	err = st.Update(func(t *Tx) error { return sv.write(t, &rep) })
	if err != nil {
		_ = st.Close()
		_ = os.Remove(dst)
		return rep, fmt.Errorf("salvage to %s: %w", dst, err)
	}
	rep.MissingCrossings = missing(sv.crossings, sv.crossSeq)
	rep.MissingAudit = missing(sv.audit, sv.audSeq)
	rep.OutboxDropped = sv.outbox
	rep.CountsUnknown = !sv.seqKnown
	for k := range sv.older {
		rep.FromOlderCopies = append(rep.FromOlderCopies, k)
	}
	sort.Strings(rep.FromOlderCopies)
	return rep, nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// read fills sv from the newest tree, then from the rest of the file.
func (sv *salvaged) read(f *os.File, size int64) {
	p, err := openPageFile(f, size)
	if err != nil {
		sv.problems = append(sv.problems, err.Error())
		// Without a meta page: guess the page size and scan everything.
		p = &pageFile{f: f, size: size, psize: int64(os.Getpagesize()), seen: map[uint64]bool{}}
		p.meta.highWater = uint64(size / p.psize)
	} else {
		if p.meta.problemOfOther != "" {
			sv.problems = append(sv.problems, p.meta.problemOfOther)
		}
		p.walk(sv.visitor(false))
		sv.problems = append(sv.problems, p.problems...)
	}
	// What the newest tree reached is in p.seen. Every other page is a
	// candidate: loose leaves of crossings and audit entries, and older
	// copies of the root bucket page.
	filePages := uint64(size / p.psize)
	le := binary.LittleEndian
	type oldRoot struct {
		page []byte
		id   uint64
		rank uint64
	}
	var roots []oldRoot
	for id := uint64(2); id < filePages; id++ {
		if p.seen[id] {
			continue
		}
		var h [pageHeaderSize]byte
		if _, err := f.ReadAt(h[:], int64(id)*p.psize); err != nil || le.Uint64(h[0:]) != id || le.Uint16(h[8:]) != flagLeaf {
			continue
		}
		overflow := uint64(le.Uint32(h[12:]))
		if id+overflow >= filePages {
			continue
		}
		page := make([]byte, int64(overflow+1)*p.psize)
		if _, err := f.ReadAt(page, int64(id)*p.psize); err != nil {
			continue
		}
		loose := &pageFile{f: f, size: size, psize: p.psize, meta: boltMeta{highWater: filePages}, seen: map[uint64]bool{}}
		var isRoot bool
		var rank uint64
		loose.walkPage("", 0, page, maxTreeDepth, nil, nil, kvVisitor{
			// depth maxTreeDepth: the scan looks at this page only; its
			// buckets are walked below if it is an older root.
			bucket: func(path string, seq uint64) {
				switch path {
				case string(bucketCrossings), string(bucketAudit):
					isRoot = true
					rank += seq
				case string(bucketOutbox):
					rank += seq // grows with nearly every commit
				}
			},
			kv: func(_ string, k, v []byte) { sv.loose(k, v) },
		})
		if isRoot {
			roots = append(roots, oldRoot{page: page, id: id, rank: rank})
		}
	}
	// Newest older root first: the crossing, audit and outbox counters
	// only grow, and nearly every commit moves one of them.
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].rank > roots[j].rank })
	for i, r := range roots {
		old := &pageFile{f: f, size: size, psize: p.psize, meta: boltMeta{highWater: filePages}, seen: map[uint64]bool{}}
		// Without a meta page the newest copy of the root stands in for
		// the tree it pointed to.
		stands := i == 0 && !p.meta.ok
		if stands {
			sv.problems = append(sv.problems, fmt.Sprintf("no valid meta page: read the newest copy of the root found (page %d)", r.id))
		}
		old.walkPage("", r.id, r.page, 0, nil, nil, sv.visitor(!stands))
		if stands {
			sv.problems = append(sv.problems, old.problems...)
		}
		// Problems of older copies are expected (their pages were reused)
		// and not reported.
	}
}

// visitor collects a tree's pitwall buckets; older marks an older copy,
// which only fills what the newer trees lacked.
func (sv *salvaged) visitor(older bool) kvVisitor {
	return kvVisitor{
		bucket: func(path string, seq uint64) {
			switch path {
			case string(bucketCrossings):
				sv.sawPitwallBuckets = true
				sv.seqKnown = true
				sv.crossSeq = max(sv.crossSeq, seq)
			case string(bucketAudit):
				sv.audSeq = max(sv.audSeq, seq)
			}
		},
		kv: func(path string, k, v []byte) {
			switch path {
			case string(bucketCrossings):
				sv.crossing(k, v, true)
			case string(bucketAudit):
				sv.auditEntry(k, v, true)
			case string(bucketRaces):
				if _, ok := sv.races[string(k)]; !ok {
					sv.races[string(k)] = clone(v)
					if older {
						sv.older["race "+string(k)] = true
					}
				}
			case string(bucketRacers):
				if _, ok := sv.racers[string(k)]; !ok {
					sv.racers[string(k)] = clone(v)
					if older {
						sv.older["racer "+string(k)] = true
					}
				}
			case string(bucketSettings):
				if _, ok := sv.settings[string(k)]; !ok {
					sv.settings[string(k)] = clone(v)
				}
			case string(bucketEngine):
				if string(k) == string(timelineKey) && sv.timeline == nil && !older {
					sv.timeline = clone(v)
				}
				if string(k) == "snapshot" && sv.engine == nil {
					// An older snapshot only when the newest tree lost it:
					// race.Restore checks it, and it is reported.
					sv.engine = clone(v)
					if older {
						sv.older["engine snapshot"] = true
					}
				}
			case string(bucketOutbox):
				if !older {
					sv.outbox++
				}
			}
		},
	}
}

// loose takes an entry from a page no tree reaches, if it is recognisably a
// crossing or an audit entry.
func (sv *salvaged) loose(k, v []byte) {
	if len(k) != 8 || len(v) == 0 || v[0] != '{' {
		return
	}
	if !sv.crossing(k, v, false) {
		sv.auditEntry(k, v, false)
	}
}

// crossing keeps a crossing that decodes and validates; report says
// whether a bad one is a problem (it is in the tree) or just not one (a
// loose page of something else).
func (sv *salvaged) crossing(k, v []byte, report bool) bool {
	if len(k) != 8 {
		if report {
			sv.problems = append(sv.problems, fmt.Sprintf("crossing key %x: want 8 bytes", k))
		}
		return false
	}
	id := binary.BigEndian.Uint64(k)
	if _, ok := sv.crossings[id]; ok {
		return true
	}
	var c crossing.Crossing
	err := json.Unmarshal(v, &c)
	if err == nil {
		err = ValidateCrossing(c)
	}
	if err != nil {
		if report {
			sv.problems = append(sv.problems, fmt.Sprintf("crossing %d: %v", id, err))
		}
		return false
	}
	sv.crossings[id] = clone(v)
	sv.crossSeq = max(sv.crossSeq, id)
	return true
}

func (sv *salvaged) auditEntry(k, v []byte, report bool) bool {
	if len(k) != 8 {
		if report {
			sv.problems = append(sv.problems, fmt.Sprintf("audit key %x: want 8 bytes", k))
		}
		return false
	}
	id := binary.BigEndian.Uint64(k)
	if _, ok := sv.audit[id]; ok {
		return true
	}
	var a Audit
	err := json.Unmarshal(v, &a)
	if err == nil {
		err = validateAudit(a)
	}
	if err == nil && a.ID != id {
		err = fmt.Errorf("says id %d", a.ID)
	}
	if err != nil {
		if report {
			sv.problems = append(sv.problems, fmt.Sprintf("audit %d: %v", id, err))
		}
		return false
	}
	sv.audit[id] = clone(v)
	sv.audSeq = max(sv.audSeq, id)
	return true
}

// write puts everything into the new store, keeping crossing and audit ids.
func (sv *salvaged) write(t *Tx, rep *SalvageReport) error {
	put := func(bucket []byte, data map[uint64]json.RawMessage, seq uint64) (int, error) {
		b, err := t.bucket(bucket)
		if err != nil {
			return 0, err
		}
		for id, v := range data {
			if err := b.Put(u64(id), v); err != nil {
				return 0, fmt.Errorf("%s %d: %w", bucket, id, err)
			}
		}
		// Ids go on from the old count, never reusing a lost one.
		return len(data), b.SetSequence(seq)
	}
	var err error
	if rep.Crossings, err = put(bucketCrossings, sv.crossings, sv.crossSeq); err != nil {
		return err
	}
	if rep.Audit, err = put(bucketAudit, sv.audit, sv.audSeq); err != nil {
		return err
	}
	for id, v := range sv.racers {
		var r race.Racer
		err := json.Unmarshal(v, &r)
		if err == nil && r.ID != id {
			err = fmt.Errorf("says id %q", r.ID)
		}
		if err == nil {
			err = t.PutRacer(r)
		}
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("racer %q: %v", printable([]byte(id)), err))
			delete(sv.older, "racer "+id)
			continue
		}
		rep.Racers++
	}
	for id, v := range sv.races {
		var r race.Race
		err := json.Unmarshal(v, &r)
		if err == nil && r.ID != id {
			err = fmt.Errorf("says id %q", r.ID)
		}
		if err == nil {
			err = t.PutRace(r)
		}
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("race %q: %v", printable([]byte(id)), err))
			delete(sv.older, "race "+id)
			continue
		}
		rep.Races++
	}
	for k, v := range sv.settings {
		if err := t.SetConfig(k, v); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("setting %q: %v", printable([]byte(k)), err))
			continue
		}
		rep.Settings++
	}
	if sv.engine != nil {
		if err := t.SetEngine(sv.engine); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("engine snapshot: %v", err))
		} else {
			rep.Engine = true
		}
	}
	if sv.timeline != nil {
		var tl Timeline
		err := json.Unmarshal(sv.timeline, &tl)
		if err == nil {
			err = t.SetTimeline(tl)
		}
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("engine timeline: %v", err))
		}
	}
	return nil
}

// missing lists the ids in 1..seq that are not in have, as ranges.
func missing(have map[uint64]json.RawMessage, seq uint64) []string {
	var out []string
	for id := uint64(1); id <= seq; id++ {
		if _, ok := have[id]; ok {
			continue
		}
		end := id
		for end+1 <= seq {
			if _, ok := have[end+1]; ok {
				break
			}
			end++
		}
		if end == id {
			out = append(out, fmt.Sprint(id))
		} else {
			out = append(out, fmt.Sprintf("%d-%d", id, end))
		}
		id = end
	}
	return out
}
