package input

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"
)

// Hand-built records, byte by byte as the kernel lays them out, so the
// decoder is not only checked against its own encoder.
var (
	// 64-bit: tv_sec=0x1122 (8 bytes), tv_usec=500000 (8 bytes), EV_ABS,
	// ABS_MT_POSITION_X, value -2.
	rec64 = []byte{
		0x22, 0x11, 0, 0, 0, 0, 0, 0,
		0x20, 0xa1, 0x07, 0, 0, 0, 0, 0,
		0x03, 0x00, 0x35, 0x00,
		0xfe, 0xff, 0xff, 0xff,
	}
	// 32-bit armv7: the same event with 4-byte tv_sec and tv_usec.
	rec32 = []byte{
		0x22, 0x11, 0, 0,
		0x20, 0xa1, 0x07, 0,
		0x03, 0x00, 0x35, 0x00,
		0xfe, 0xff, 0xff, 0xff,
	}
	wantRec = RawEvent{Time: 0x1122*time.Second + 500*time.Millisecond, Type: EvAbs, Code: AbsMTPositionX, Value: -2}
)

func TestLayoutDecodesBothABIs(t *testing.T) {
	for _, c := range []struct {
		l    Layout
		b    []byte
		size int
	}{{Layout64, rec64, 24}, {Layout32, rec32, 16}} {
		if c.l.Size() != c.size || len(c.b) != c.size {
			t.Fatalf("word %d: size %d, want %d", c.l.Word, c.l.Size(), c.size)
		}
		if got := c.l.Decode(c.b); got != wantRec {
			t.Errorf("word %d: decoded %+v, want %+v", c.l.Word, got, wantRec)
		}
		if got := c.l.Append(nil, wantRec); !bytes.Equal(got, c.b) {
			t.Errorf("word %d: encoded % x, want % x", c.l.Word, got, c.b)
		}
	}
}

func TestNativeLayoutMatchesPointerSize(t *testing.T) {
	l := NativeLayout()
	if l.Size() != 24 && l.Size() != 16 {
		t.Fatalf("native record size %d", l.Size())
	}
	if err := l.valid(); err != nil {
		t.Fatal(err)
	}
	if err := (Layout{Word: 6, Order: Layout64.Order}).valid(); err == nil {
		t.Error("a 6-byte word was accepted")
	}
}

// A reader that returns one byte at a time must give the same records as
// whole reads: partial records are completed, not skipped.
func TestDecoderJoinsShortReads(t *testing.T) {
	for _, l := range []Layout{Layout64, Layout32} {
		var stream []byte
		var want []RawEvent
		for i := 0; i < 100; i++ {
			e := RawEvent{Time: time.Duration(i) * time.Millisecond, Type: EvAbs, Code: uint16(i % 3), Value: int32(i - 50)}
			want = append(want, e)
			stream = l.Append(stream, e)
		}
		d := newDecoder(iotest.OneByteReader(bytes.NewReader(stream)), l)
		var got []RawEvent
		var err error
		for err == nil {
			got, err = d.read(got)
		}
		if err != io.EOF {
			t.Fatalf("word %d: %v", l.Word, err)
		}
		if len(got) != len(want) {
			t.Fatalf("word %d: %d records, want %d", l.Word, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("word %d: record %d = %+v, want %+v", l.Word, i, got[i], want[i])
			}
		}
	}
}

func TestDecoderReportsTruncatedStream(t *testing.T) {
	stream := append(append([]byte{}, rec64...), rec64[:10]...)
	d := newDecoder(bytes.NewReader(stream), Layout64)
	var got []RawEvent
	var err error
	for err == nil {
		got, err = d.read(got)
	}
	if !errors.Is(err, ErrTruncated) || len(got) != 1 {
		t.Fatalf("got %d records, err %v; want 1 and ErrTruncated", len(got), err)
	}
}

// A device whose Read claims more bytes than it was given is an error, not
// a slice panic.
type liar struct{}

func (liar) Read(p []byte) (int, error) { return len(p) + 5, nil }

func TestDecoderRejectsImpossibleRead(t *testing.T) {
	d := newDecoder(liar{}, Layout64)
	if _, err := d.read(nil); err == nil {
		t.Fatal("no error")
	}
}
