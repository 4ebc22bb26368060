package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"
)

// This file reads a bbolt file page by page through ReadAt, with every
// offset and length checked, instead of through bbolt's memory map. bbolt
// trusts its pages: a page beyond the end of a truncated file is a SIGBUS
// inside the mmap, random bytes on a branch page an "assertion failed"
// panic. The walker finds the same damage as an error, which is what the
// consistency check at Open and Salvage need.
//
// The on-disk format (bbolt internal/common, stable since bbolt 1.0):
//
//	page header  id u64 | flags u16 | count u16 | overflow u32   (16 bytes)
//	meta         magic u32 | version u32 | page size u32 | flags u32 |
//	             root bucket {root u64, sequence u64} | freelist u64 |
//	             high water pgid u64 | txid u64 | checksum u64 (FNV-64a of
//	             the 56 bytes before it)
//	branch elem  pos u32 | ksize u32 | child pgid u64         (16 bytes)
//	leaf elem    flags u32 | pos u32 | ksize u32 | vsize u32  (16 bytes)
//	             pos counts from the element's own offset
//	bucket value root u64 | sequence u64 [| inline leaf page when root is 0]

const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	elemSize       = 16
	flagBranch     = 0x01
	flagLeaf       = 0x02
	flagMeta       = 0x04
	flagFreelist   = 0x10
	leafIsBucket   = 0x01
	maxTreeDepth   = 64 // a B+tree of 2^64 pages is far shallower; deeper is a cycle
)

// ErrDamaged is returned by Open and OpenReadOnly for a file whose pages
// are damaged (truncated, overwritten, not a bbolt file at all).
var ErrDamaged = errors.New("database file is damaged")

// pageFile is a bbolt file being read defensively.
type pageFile struct {
	f     io.ReaderAt
	size  int64
	psize int64
	meta  boltMeta
	// problems found so far, each naming the page.
	problems []string
	// seen pages (and their overflow) reached from a root; a page reached
	// twice is damage (two parents) or a cycle.
	seen map[uint64]bool
	// pages read, for the cost comment.
	pages int
}

type boltMeta struct {
	psize          uint32
	root, rootSeq  uint64
	highWater      uint64
	txid           uint64
	index          int // which meta page (0 or 1)
	ok             bool
	problemOfOther string
}

func (p *pageFile) problem(format string, args ...any) {
	const maxProblems = 1000 // a file of random bytes would list every page
	if len(p.problems) < maxProblems {
		p.problems = append(p.problems, fmt.Sprintf(format, args...))
	}
}

// openPageFile reads the meta pages of the bbolt file f of size bytes. It
// fails only when neither meta page is valid.
func openPageFile(f io.ReaderAt, size int64) (*pageFile, error) {
	p := &pageFile{f: f, size: size, seen: map[uint64]bool{}}
	if size < 2*pageHeaderSize {
		return nil, fmt.Errorf("%d bytes is too short for a bbolt file", size)
	}
	// Page size comes from meta page 0; if that one is damaged, try the
	// sizes bbolt uses (the OS page size) for meta page 1.
	m0, err0 := p.readMeta(0, 0)
	var metas []boltMeta
	if err0 == nil {
		metas = append(metas, m0)
	}
	sizes := []int64{int64(os.Getpagesize()), 4096, 8192, 16384, 65536}
	if err0 == nil {
		sizes = []int64{int64(m0.psize)}
	}
	var err1 error
	for _, ps := range sizes {
		m1, err := p.readMeta(1, ps)
		if err == nil {
			metas = append(metas, m1)
			err1 = nil
			break
		}
		err1 = err
	}
	if len(metas) == 0 {
		return nil, fmt.Errorf("invalid database: meta page 0: %v; meta page 1: %v", err0, err1)
	}
	best := metas[0]
	for _, m := range metas[1:] {
		if m.txid > best.txid {
			best = m
		}
	}
	if err0 != nil {
		best.problemOfOther = fmt.Sprintf("meta page 0: %v", err0)
	} else if err1 != nil {
		best.problemOfOther = fmt.Sprintf("meta page 1: %v", err1)
	}
	p.meta = best
	p.psize = int64(best.psize)
	return p, nil
}

func (p *pageFile) readMeta(index int, psize int64) (boltMeta, error) {
	var b [pageHeaderSize + 64]byte
	off := int64(index) * psize
	if off+int64(len(b)) > p.size {
		return boltMeta{}, fmt.Errorf("beyond the end of the file")
	}
	if _, err := p.f.ReadAt(b[:], off); err != nil {
		return boltMeta{}, fmt.Errorf("read: %w", err)
	}
	le := binary.LittleEndian
	flags := le.Uint16(b[8:])
	m := b[pageHeaderSize:]
	h := fnv.New64a()
	h.Write(m[:56])
	switch {
	case le.Uint32(m[0:]) != boltMagic:
		return boltMeta{}, errors.New("no bbolt magic number")
	case le.Uint32(m[4:]) != boltVersion:
		return boltMeta{}, fmt.Errorf("bbolt format version %d, want %d", le.Uint32(m[4:]), boltVersion)
	case le.Uint64(m[56:]) != h.Sum64():
		return boltMeta{}, errors.New("checksum mismatch")
	case flags != flagMeta:
		return boltMeta{}, fmt.Errorf("page flags %#x, want meta", flags)
	}
	bm := boltMeta{psize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), rootSeq: le.Uint64(m[24:]),
		highWater: le.Uint64(m[40:]), txid: le.Uint64(m[48:]), index: index, ok: true}
	if bm.psize < 512 || bm.psize > 1<<20 || bm.psize&(bm.psize-1) != 0 {
		return boltMeta{}, fmt.Errorf("page size %d is not a power of two in 512..1M", bm.psize)
	}
	if psize != 0 && int64(bm.psize) != psize {
		return boltMeta{}, fmt.Errorf("page size %d, meta page 0 says %d", bm.psize, psize)
	}
	return bm, nil
}

// readPage reads page id with its overflow pages and checks its header.
func (p *pageFile) readPage(id uint64) ([]byte, error) {
	if id < 2 || id >= p.meta.highWater {
		return nil, fmt.Errorf("page %d is outside the file's pages 2..%d", id, p.meta.highWater-1)
	}
	off := int64(id) * p.psize
	if off+p.psize > p.size {
		return nil, fmt.Errorf("page %d is beyond the end of the file (%d bytes: truncated?)", id, p.size)
	}
	buf := make([]byte, p.psize)
	if _, err := p.f.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("page %d: read: %w", id, err)
	}
	le := binary.LittleEndian
	if got := le.Uint64(buf[0:]); got != id {
		return nil, fmt.Errorf("page %d: header says page %d (overwritten)", id, got)
	}
	overflow := uint64(le.Uint32(buf[12:]))
	if overflow > 0 {
		if id+overflow >= p.meta.highWater || off+int64(overflow+1)*p.psize > p.size {
			return nil, fmt.Errorf("page %d: %d overflow pages run beyond the file", id, overflow)
		}
		buf = append(buf, make([]byte, int64(overflow)*p.psize)...)
		if _, err := p.f.ReadAt(buf[p.psize:], off+p.psize); err != nil {
			return nil, fmt.Errorf("page %d: read: %w", id, err)
		}
	}
	for i := id; i <= id+overflow; i++ {
		if p.seen[i] {
			return nil, fmt.Errorf("page %d is reached twice (a cycle or two parents)", i)
		}
		p.seen[i] = true
	}
	p.pages++
	return buf, nil
}

// kvVisitor receives every key/value of a bucket (bucket is the path of
// bucket names joined by "/"), and the bucket itself when it is found.
type kvVisitor struct {
	bucket func(path string, seq uint64)
	kv     func(path string, k, v []byte)
}

// walk checks the whole tree under the current meta page and hands every
// key/value to v. Damaged pages are recorded as problems and their subtree
// skipped; the walk goes on with their siblings.
func (p *pageFile) walk(v kvVisitor) {
	p.walkBucket("", p.meta.root, v)
}

func (p *pageFile) walkBucket(path string, root uint64, v kvVisitor) {
	page, err := p.readPage(root)
	if err != nil {
		p.problem("bucket %q: %v", orRoot(path), err)
		return
	}
	p.walkPage(path, root, page, 0, nil, nil, v)
}

func orRoot(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// walkPage walks one page (id 0 for an inline bucket page) whose keys must
// lie in [lo, hi) (nil: unbounded).
func (p *pageFile) walkPage(path string, id uint64, page []byte, depth int, lo, hi []byte, v kvVisitor) {
	where := fmt.Sprintf("bucket %q page %d", orRoot(path), id)
	if id == 0 {
		where = fmt.Sprintf("bucket %q (inline)", orRoot(path))
	}
	if depth > maxTreeDepth {
		p.problem("%s: tree deeper than %d pages", where, maxTreeDepth)
		return
	}
	if len(page) < pageHeaderSize {
		p.problem("%s: %d bytes, shorter than a page header", where, len(page))
		return
	}
	le := binary.LittleEndian
	flags, count := le.Uint16(page[8:]), int(le.Uint16(page[10:]))
	if pageHeaderSize+count*elemSize > len(page) {
		p.problem("%s: %d elements do not fit in the page", where, count)
		return
	}
	if count == 0 && flags == flagBranch {
		p.problem("%s: empty branch page", where)
		return
	}
	var prev []byte
	for i := 0; i < count; i++ {
		e := pageHeaderSize + i*elemSize
		var pos, ksize, vsize uint64
		var child uint64
		var eflags uint32
		switch flags {
		case flagBranch:
			pos, ksize, child = uint64(le.Uint32(page[e:])), uint64(le.Uint32(page[e+4:])), le.Uint64(page[e+8:])
		case flagLeaf:
			eflags, pos, ksize, vsize = le.Uint32(page[e:]), uint64(le.Uint32(page[e+4:])), uint64(le.Uint32(page[e+8:])), uint64(le.Uint32(page[e+12:]))
		default:
			p.problem("%s: flags %#x, want a branch or leaf page", where, flags)
			return
		}
		start := uint64(e) + pos
		if start+ksize+vsize > uint64(len(page)) {
			p.problem("%s: element %d runs beyond the page", where, i)
			return
		}
		key := page[start : start+ksize]
		if ksize == 0 {
			p.problem("%s: element %d has an empty key", where, i)
			return
		}
		if (prev != nil && bytes.Compare(key, prev) <= 0) || (lo != nil && bytes.Compare(key, lo) < 0) || (hi != nil && bytes.Compare(key, hi) >= 0) {
			p.problem("%s: key %d (%q) out of order", where, i, printable(key))
			return
		}
		prev = key
		if flags == flagBranch {
			var next []byte
			if i+1 < count {
				ne := pageHeaderSize + (i+1)*elemSize
				np, nk := uint64(le.Uint32(page[ne:])), uint64(le.Uint32(page[ne+4:]))
				if s := uint64(ne) + np; s+nk <= uint64(len(page)) {
					next = page[s : s+nk]
				}
			}
			if next == nil {
				next = hi
			}
			cp, err := p.readPage(child)
			if err != nil {
				p.problem("bucket %q: %v", orRoot(path), err)
				continue // siblings may be fine
			}
			p.walkPage(path, child, cp, depth+1, key, next, v)
			continue
		}
		val := page[start+ksize : start+ksize+vsize]
		if eflags&leafIsBucket == 0 {
			if v.kv != nil {
				v.kv(path, key, val)
			}
			continue
		}
		sub := string(key)
		if path != "" {
			sub = path + "/" + sub
		}
		if len(val) < 16 {
			p.problem("%s: bucket %q: header of %d bytes, want 16", where, sub, len(val))
			continue
		}
		root, seq := le.Uint64(val[0:]), le.Uint64(val[8:])
		if v.bucket != nil {
			v.bucket(sub, seq)
		}
		if root == 0 {
			p.walkPage(sub, 0, val[16:], depth+1, nil, nil, v)
		} else {
			p.walkBucket(sub, root, v)
		}
	}
}

// printable shortens a key for a message.
func printable(k []byte) string {
	if len(k) > 32 {
		k = k[:32]
	}
	return strings.ToValidUTF8(string(k), "?")
}

// checkFile walks every page reachable from the file's meta page. It is the
// consistency check of Open: it reads what bbolt would read, without the
// memory map, so damage becomes an error instead of a crash. Cost: about
// one pread per page; see the measured figure at checkBeforeOpen.
//
// One damaged meta page is not an error: bbolt writes the two meta pages in
// turn so that a torn meta write (power cut) leaves the other one; warning
// says so.
func checkFile(path string, exclusive bool, timeout time.Duration) (pages int, warning string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	// bbolt's own lock, taken for the check and released before bbolt
	// takes it again: a writer that slipped in meanwhile makes bbolt's Open
	// time out (ErrInUse); a writer that came and went left a good file.
	if err := lockShared(f, exclusive, timeout); err != nil {
		return 0, "", err
	}
	info, err := f.Stat()
	if err != nil {
		return 0, "", err
	}
	r, unmap, err := mapFile(f, info.Size())
	if err != nil {
		return 0, "", err
	}
	defer unmap()
	defer func(old bool) {
		debug.SetPanicOnFault(old)
		if rec := recover(); rec != nil {
			// The file shrank under the check (every offset was checked
			// against its size at the start).
			err = fmt.Errorf("%w: reading pages: %v", ErrDamaged, rec)
		}
	}(debug.SetPanicOnFault(true))
	p, err := openPageFile(r, info.Size())
	if err != nil {
		return 0, "", fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	warning = p.meta.problemOfOther
	p.walk(kvVisitor{})
	if len(p.problems) > 0 {
		more := ""
		if len(p.problems) > 3 {
			more = fmt.Sprintf(" (and %d more problems)", len(p.problems)-3)
		}
		shown := p.problems
		if len(shown) > 3 {
			shown = shown[:3]
		}
		return p.pages, warning, fmt.Errorf("%w: %s%s", ErrDamaged, strings.Join(shown, "; "), more)
	}
	return p.pages, warning, nil
}
