package p3

import (
	"encoding/binary"
	"time"
)

// version is the protocol version byte the encoders write; the decoder
// accepts any version, as the record layout has not changed between them.
const version = 0x02

// Passing is what EncodePassing puts in a PASSING record.
type Passing struct {
	// Number is the decoder's passing number.
	Number uint32
	// Transponder id.
	Transponder uint32
	// RTC is the passing time since the Unix epoch. It is sent in whole
	// microseconds (finer parts are dropped); a negative RTC is sent as 0.
	RTC time.Duration
	// Strength and Hits of the passing.
	Strength, Hits uint16
	// DecoderID of the unit; 0 means none and leaves the field out.
	DecoderID uint32
}

// EncodePassing builds the escaped wire form of a PASSING record.
func EncodePassing(p Passing) []byte {
	r := newRecord(typePassing)
	r.uint(fieldPassingNumber, 4, uint64(p.Number))
	r.uint(fieldTransponder, 4, uint64(p.Transponder))
	r.uint(fieldRTCTime, 8, micros(p.RTC))
	r.uint(fieldStrength, 2, uint64(p.Strength))
	r.uint(fieldHits, 2, uint64(p.Hits))
	r.decoderID(p.DecoderID)
	return r.finish()
}

// EncodeStatus builds the escaped wire form of a STATUS record with the
// given loop noise; decoderID 0 leaves the id field out.
func EncodeStatus(decoderID uint32, noise uint16) []byte {
	r := newRecord(typeStatus)
	r.uint(fieldNoise, 2, uint64(noise))
	r.decoderID(decoderID)
	return r.finish()
}

// EncodeClock builds the escaped wire form of a GET_TIME reply carrying the
// decoder's RTC time (since the Unix epoch, whole microseconds, negative
// sent as 0); decoderID 0 leaves the id field out.
func EncodeClock(rtc time.Duration, decoderID uint32) []byte {
	r := newRecord(typeGetTime)
	r.uint(fieldClock, 8, micros(rtc))
	r.decoderID(decoderID)
	return r.finish()
}

// micros converts a time since the epoch to the RTC field's microseconds.
func micros(d time.Duration) uint64 {
	if d < 0 {
		return 0
	}
	return uint64(d / time.Microsecond)
}

// recordBuilder assembles an unescaped record; finish fills in length and
// CRC and escapes it.
type recordBuilder struct {
	b []byte
}

func newRecord(tor uint16) *recordBuilder {
	b := make([]byte, headerSize, 64)
	b[0] = startByte
	b[1] = version
	binary.LittleEndian.PutUint16(b[offType:], tor)
	return &recordBuilder{b: b}
}

// uint appends a field holding x as a little-endian number of width bytes.
func (r *recordBuilder) uint(id byte, width int, x uint64) {
	r.b = append(r.b, id, byte(width))
	for range width {
		r.b = append(r.b, byte(x))
		x >>= 8
	}
}

func (r *recordBuilder) decoderID(id uint32) {
	if id != 0 {
		r.uint(fieldDecoderID, 4, uint64(id))
	}
}

// unescaped completes the record (end byte, length, CRC) without escaping.
func (r *recordBuilder) unescaped() []byte {
	r.b = append(r.b, endByte)
	binary.LittleEndian.PutUint16(r.b[offLength:], uint16(len(r.b)))
	binary.LittleEndian.PutUint16(r.b[offCRC:], 0)
	binary.LittleEndian.PutUint16(r.b[offCRC:], CRC(r.b))
	return r.b
}

// finish completes and escapes the record.
func (r *recordBuilder) finish() []byte {
	return escape(r.unescaped())
}

// escape returns the wire form of an unescaped record: every 0x8D, 0x8E and
// 0x8F between its first and last byte becomes 0x8D, byte+0x20.
func escape(rec []byte) []byte {
	out := make([]byte, 0, len(rec)+8)
	out = append(out, rec[0])
	for _, c := range rec[1 : len(rec)-1] {
		if c >= escapeByte && c <= endByte {
			out = append(out, escapeByte, c+escapeAdd)
		} else {
			out = append(out, c)
		}
	}
	return append(out, rec[len(rec)-1])
}
