// Package input turns Linux evdev devices (/dev/input/event*) into the
// officials' console's high-level input: taps, drags, long-presses from a
// touchscreen and named keys (with their hotkey actions) from a USB keyboard
// or numeric keypad.
//
// The layers, each usable on its own and each fed by plain bytes so that
// recorded streams replay deterministically:
//
//	Device (bytes, capabilities, ranges)   real on Linux, fake in tests
//	  -> decoder   struct input_event records, 24 or 16 bytes (Layout)
//	  -> pipeline  SYN_REPORT frames, SYN_DROPPED recovery, touch slots, keys
//	  -> recognizer tap / drag / long-press in screen pixels
//	  -> queue     bounded, coalesces drag moves, counts what it drops
//	  -> Input.Events()
package input

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"
)

// Event types and codes from linux/input-event-codes.h that this package
// uses. The values are part of the kernel ABI and never change.
const (
	EvSyn = 0x00
	EvKey = 0x01
	EvAbs = 0x03

	SynReport  = 0
	SynDropped = 3

	AbsX             = 0x00
	AbsY             = 0x01
	AbsMTSlot        = 0x2f
	AbsMTPositionX   = 0x35
	AbsMTPositionY   = 0x36
	AbsMTTrackingID  = 0x39
	absCount         = 0x40
	BtnTouch         = 0x14a
	keyCount         = 0x300
	maxSlots         = 64 // more than any panel reports; bounds what a device can make us allocate
	trackingIDLifted = -1
)

// RawEvent is one decoded struct input_event.
type RawEvent struct {
	// Time is the kernel's timestamp (seconds and microseconds folded
	// together). Gestures are timed with it, never with the wall clock, so
	// a replayed stream gives the same gestures every time.
	Time  time.Duration
	Type  uint16
	Code  uint16
	Value int32
}

// Layout is the binary shape of struct input_event on one ABI:
//
//	struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; };
//
// The timeval is two C longs: 8 bytes each on 64-bit kernels (24-byte
// records), 4 bytes each on 32-bit armv7 (16-byte records; the kernel keeps
// it at 32 bits even for 64-bit time_t user space).
type Layout struct {
	// Word is the size of a C long in bytes: 8 or 4.
	Word  int
	Order binary.ByteOrder
}

// The layouts tests and recordings use; both little-endian like every Pi.
var (
	Layout64 = Layout{Word: 8, Order: binary.LittleEndian}
	Layout32 = Layout{Word: 4, Order: binary.LittleEndian}
)

// NativeLayout is the layout of the running program, which is the one the
// kernel writes to it: a 64-bit build reads 24-byte records even from a
// kernel that also serves 32-bit programs.
func NativeLayout() Layout {
	return Layout{Word: int(unsafe.Sizeof(uintptr(0))), Order: binary.NativeEndian}
}

// Size is the length of one record in bytes.
func (l Layout) Size() int { return 2*l.Word + 8 }

func (l Layout) valid() error {
	if (l.Word != 4 && l.Word != 8) || l.Order == nil {
		return fmt.Errorf("input_event layout: word size %d bytes is neither 4 nor 8", l.Word)
	}
	return nil
}

// Decode reads one record from b, which must hold at least Size bytes.
func (l Layout) Decode(b []byte) RawEvent {
	var sec, usec int64
	if l.Word == 8 {
		sec = int64(l.Order.Uint64(b[0:]))
		usec = int64(l.Order.Uint64(b[8:]))
	} else {
		// __kernel_ulong_t on 32-bit: unsigned, so times after 2038 stay positive.
		sec = int64(l.Order.Uint32(b[0:]))
		usec = int64(l.Order.Uint32(b[4:]))
	}
	o := 2 * l.Word
	return RawEvent{
		Time:  time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond,
		Type:  l.Order.Uint16(b[o:]),
		Code:  l.Order.Uint16(b[o+2:]),
		Value: int32(l.Order.Uint32(b[o+4:])),
	}
}

// Append encodes e as one record and appends it to b. Recordings in
// testdata are written with it (see recording_test.go).
func (l Layout) Append(b []byte, e RawEvent) []byte {
	rec := make([]byte, l.Size())
	sec := int64(e.Time / time.Second)
	usec := int64(e.Time % time.Second / time.Microsecond)
	if l.Word == 8 {
		l.Order.PutUint64(rec[0:], uint64(sec))
		l.Order.PutUint64(rec[8:], uint64(usec))
	} else {
		l.Order.PutUint32(rec[0:], uint32(sec))
		l.Order.PutUint32(rec[4:], uint32(usec))
	}
	o := 2 * l.Word
	l.Order.PutUint16(rec[o:], e.Type)
	l.Order.PutUint16(rec[o+2:], e.Code)
	l.Order.PutUint32(rec[o+4:], uint32(e.Value))
	return append(b, rec...)
}

// ErrTruncated is returned when a stream ends inside a record.
var ErrTruncated = errors.New("input_event stream ends inside a record")

// decoder cuts a byte stream into records. The kernel always returns whole
// records from an evdev read, but a pipe or a file replay may not, so a
// partial record is kept and completed by the next read instead of shifting
// every later record.
type decoder struct {
	r      io.Reader
	layout Layout
	buf    []byte
	have   int // bytes of buf holding data not yet decoded
}

func newDecoder(r io.Reader, l Layout) *decoder {
	// 64 records per read: a full multi-touch frame fits, and a flood is
	// taken in big bites.
	return &decoder{r: r, layout: l, buf: make([]byte, 64*l.Size())}
}

// read appends the next whole records to dst. It returns the records
// decoded before any error; at the end of the stream the error is io.EOF,
// or ErrTruncated if the stream stopped inside a record.
func (d *decoder) read(dst []RawEvent) ([]RawEvent, error) {
	size := d.layout.Size()
	n, err := d.r.Read(d.buf[d.have:])
	if n < 0 || n > len(d.buf)-d.have {
		return dst, fmt.Errorf("input_event read: reader returned %d bytes for a %d-byte buffer", n, len(d.buf)-d.have)
	}
	d.have += n
	whole := d.have / size * size
	for off := 0; off < whole; off += size {
		dst = append(dst, d.layout.Decode(d.buf[off:off+size]))
	}
	d.have = copy(d.buf, d.buf[whole:d.have])
	if errors.Is(err, io.EOF) && d.have > 0 {
		d.have = 0
		return dst, ErrTruncated
	}
	return dst, err
}
