package display

import (
	"image/png"
	"sync"
)

// PNGBuffer is a png.EncoderBufferPool that keeps one buffer: the zlib
// state and row buffers (about 1 MB at 1080p) of the last frame, reused by
// the next rather than left to the garbage collector several times a
// second. The PNG file output and the HTTP preview each hold one.
type PNGBuffer struct {
	mu  sync.Mutex
	buf *png.EncoderBuffer
}

var _ png.EncoderBufferPool = (*PNGBuffer)(nil)

// Get hands out the kept buffer, or nil (the encoder then allocates one).
func (p *PNGBuffer) Get() *png.EncoderBuffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buf
	p.buf = nil
	return b
}

// Put keeps b for the next frame.
func (p *PNGBuffer) Put(b *png.EncoderBuffer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = b
}
