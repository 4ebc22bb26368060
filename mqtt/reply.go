package mqtt

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
)

// Reply answers a command on the unit's AdminResp topic. A result too large
// for one message (exports, backups) comes as several replies with the same
// ID, each carrying one Chunk; see Assembly.
type Reply struct {
	V      int             `json:"v"`
	Track  string          `json:"track"`
	ID     string          `json:"id"`            // the command's correlation id ("" if it could not be parsed)
	Cmd    string          `json:"cmd,omitempty"` // the command's name, as parsed
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *CommandError   `json:"error,omitempty"`
	Chunk  *Chunk          `json:"chunk,omitempty"`
}

// Chunk is one piece of a large result. Pieces are numbered from 0; the last
// one says so and carries the whole result's size and SHA-256, so a stream
// can be chunked without knowing its length up front.
type Chunk struct {
	Index  int    `json:"index"`
	Last   bool   `json:"last,omitempty"`
	Size   int64  `json:"size,omitempty"`   // total bytes (last chunk)
	SHA256 []byte `json:"sha256,omitempty"` // of the whole (last chunk)
	Data   []byte `json:"data"`
}

// ChunkSize is the data carried per chunk: 256 KiB, about 350 KB of base64,
// well under MaxPayload and the default broker limits.
const ChunkSize = 256 << 10

// MaxReply bounds an encoded reply.
const MaxReply = MaxPayload

// EncodeReply stamps the version and marshals r.
func EncodeReply(r Reply) ([]byte, error) {
	r.V = Version
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode reply %s: %w", r.ID, err)
	}
	if len(b) > MaxReply {
		return nil, fmt.Errorf("encode reply %s: %d bytes exceeds %d", r.ID, len(b), MaxReply)
	}
	return b, nil
}

// DecodeReply parses a reply, refusing other versions and oversized input.
func DecodeReply(b []byte) (Reply, error) {
	var r Reply
	if len(b) > MaxReply {
		return r, fmt.Errorf("reply of %d bytes exceeds %d", len(b), MaxReply)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("decode reply: %w", err)
	}
	if r.V != Version {
		return r, fmt.Errorf("decode reply: v=%d, this build reads v=%d: %w", r.V, Version, ErrVersion)
	}
	if r.Chunk != nil && len(r.Chunk.Data) > ChunkSize {
		return r, fmt.Errorf("decode reply %s: chunk %d holds %d bytes, over %d", r.ID, r.Chunk.Index, len(r.Chunk.Data), ChunkSize)
	}
	return r, nil
}

// ChunkWriter cuts a stream into chunks of ChunkSize and hands each to emit
// as it fills; Close emits the last one (possibly empty) with the size and
// checksum. emit must not keep the data slice.
type ChunkWriter struct {
	emit  func(Chunk) error
	buf   []byte
	index int
	size  int64
	sum   hashWriter
	err   error
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

// NewChunkWriter returns a writer that emits chunks to emit.
func NewChunkWriter(emit func(Chunk) error) *ChunkWriter {
	return &ChunkWriter{emit: emit, buf: make([]byte, 0, ChunkSize), sum: sha256.New()}
}

func (w *ChunkWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	w.sum.Write(p)
	w.size += int64(n)
	for len(p) > 0 {
		k := min(ChunkSize-len(w.buf), len(p))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == ChunkSize && len(p) > 0 {
			if w.err = w.emit(Chunk{Index: w.index, Data: w.buf}); w.err != nil {
				return n - len(p), w.err
			}
			w.index++
			w.buf = w.buf[:0]
		}
	}
	return n, nil
}

// Close emits the last chunk.
func (w *ChunkWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.emit(Chunk{Index: w.index, Last: true, Size: w.size, SHA256: w.sum.Sum(nil), Data: w.buf})
	if w.err == nil {
		w.err = fmt.Errorf("chunk writer closed")
		return nil
	}
	return w.err
}

// Assembly puts the chunks of one result back together, in any order and
// with duplicates (QoS 1 may deliver one twice) dropped.
type Assembly struct {
	// MaxBytes bounds the result; 0 means 1 GiB.
	MaxBytes int64

	parts map[int][]byte
	held  int64
	last  *Chunk
}

// Add takes one chunk; done is true once every chunk up to the last is in
// and the size and checksum match.
func (a *Assembly) Add(c Chunk) (done bool, err error) {
	max := a.MaxBytes
	if max <= 0 {
		max = 1 << 30
	}
	if a.parts == nil {
		a.parts = map[int][]byte{}
	}
	switch {
	case c.Index < 0 || int64(c.Index) > max/ChunkSize+1:
		return false, fmt.Errorf("chunk %d: index out of range", c.Index)
	case len(c.Data) > ChunkSize:
		return false, fmt.Errorf("chunk %d: %d bytes, over %d", c.Index, len(c.Data), ChunkSize)
	case c.Last && (c.Size < 0 || c.Size > max):
		return false, fmt.Errorf("chunk %d: result of %d bytes, limit %d", c.Index, c.Size, max)
	case c.Last && a.last != nil && a.last.Index != c.Index:
		return false, fmt.Errorf("chunk %d: a second last chunk (first was %d)", c.Index, a.last.Index)
	case a.last != nil && c.Index > a.last.Index:
		return false, fmt.Errorf("chunk %d: after the last chunk %d", c.Index, a.last.Index)
	}
	if _, dup := a.parts[c.Index]; !dup {
		if a.held+int64(len(c.Data)) > max {
			return false, fmt.Errorf("chunk %d: result over the %d byte limit", c.Index, max)
		}
		a.parts[c.Index] = append([]byte(nil), c.Data...)
		a.held += int64(len(c.Data))
	}
	if c.Last && a.last == nil {
		cc := c
		a.last = &cc
	}
	if a.last == nil || len(a.parts) != a.last.Index+1 {
		return false, nil
	}
	if a.held != a.last.Size {
		return false, fmt.Errorf("result: got %d bytes, last chunk says %d", a.held, a.last.Size)
	}
	if !bytes.Equal(sha256Of(a.parts, a.last.Index), a.last.SHA256) {
		return false, fmt.Errorf("result: SHA-256 does not match")
	}
	return true, nil
}

// Bytes is the assembled result (complete once Add said done).
func (a *Assembly) Bytes() []byte {
	var out []byte
	if a.last == nil {
		return nil
	}
	out = make([]byte, 0, a.held)
	for i := 0; i <= a.last.Index; i++ {
		out = append(out, a.parts[i]...)
	}
	return out
}

func sha256Of(parts map[int][]byte, last int) []byte {
	h := sha256.New()
	for i := 0; i <= last; i++ {
		h.Write(parts[i])
	}
	return h.Sum(nil)
}
