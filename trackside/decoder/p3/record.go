package p3

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"pitwall/trackside/decoder"
)

// Record types (the P3 "type of record", TOR).
const (
	typePassing uint16 = 0x0001
	typeStatus  uint16 = 0x0002
	typeVersion uint16 = 0x0003
	typeResend  uint16 = 0x0004
	typeGetTime uint16 = 0x0024
	typeError   uint16 = 0xFFFF
)

// Field ids. The meaning of an id depends on the record type, except for
// the general fields (0x80 and up) that any record may carry.
const (
	fieldPassingNumber byte = 0x01 // PASSING: u32
	fieldTransponder   byte = 0x03 // PASSING: u32
	fieldRTCTime       byte = 0x04 // PASSING: u64, µs since the Unix epoch
	fieldStrength      byte = 0x05 // PASSING: u16
	fieldHits          byte = 0x06 // PASSING: u16
	fieldNoise         byte = 0x01 // STATUS: u16
	// fieldClock is the RTC time a GET_TIME reply carries: u64, µs since
	// the Unix epoch. It is the first field of the reply, id 0x01.
	fieldClock     byte = 0x01
	fieldDecoderID byte = 0x81 // general: u32
)

// Record layout: start byte, then the fixed header, then TLVs, then the end
// byte.
const (
	offLength  = 2
	offCRC     = 4
	offFlags   = 6
	offType    = 8
	headerSize = 10 // start byte through type
	minRecord  = headerSize + 1
)

// maxRTC is the largest RTC time in µs that still fits a time.Duration.
const maxRTC = uint64(math.MaxInt64 / int64(time.Microsecond))

// parse checks one complete unescaped record (start and end byte included)
// and converts it to an event. ok is false for well-formed records that
// carry no event (VERSION, RESEND, unknown types, GET_TIME requests).
func (d *Decoder) parse(rec []byte) (ev decoder.Event, ok bool, err error) {
	if len(rec) < minRecord {
		return ev, false, reject(ErrTruncated, "record of %d bytes, a header and end byte need %d", len(rec), minRecord)
	}
	if n := int(binary.LittleEndian.Uint16(rec[offLength:])); n != len(rec) {
		return ev, false, reject(ErrLength, "length field says %d bytes, record has %d", n, len(rec))
	}
	tor := binary.LittleEndian.Uint16(rec[offType:])
	stored := binary.LittleEndian.Uint16(rec[offCRC:])
	rec[offCRC], rec[offCRC+1] = 0, 0
	computed := CRC(rec)
	binary.LittleEndian.PutUint16(rec[offCRC:], stored)
	if stored != computed {
		return ev, false, reject(ErrCRC, "%s record: stored CRC 0x%04X, computed 0x%04X", typeName(tor), stored, computed)
	}
	fields := fieldReader{tor: tor, rest: rec[headerSize : len(rec)-1]}
	switch tor {
	case typePassing:
		return d.passing(&fields)
	case typeStatus, typeError:
		return d.status(&fields)
	case typeGetTime:
		return d.clock(&fields)
	default:
		// VERSION, RESEND and types this codec does not know carry no
		// event, but their TLVs must still be well formed.
		for fields.next() {
		}
		return ev, false, fields.err
	}
}

// passing converts a PASSING record.
func (d *Decoder) passing(f *fieldReader) (ev decoder.Event, ok bool, err error) {
	var (
		number, tx, rtc, strength, hits, id   uint64
		hasNumber, hasTx, hasRTC, hasStrength bool
		hasHits, hasID                        bool
	)
	for f.next() {
		switch f.id {
		case fieldPassingNumber:
			number = f.uint(4, &hasNumber)
		case fieldTransponder:
			tx = f.uint(4, &hasTx)
		case fieldRTCTime:
			rtc = f.uint(8, &hasRTC)
		case fieldStrength:
			strength = f.uint(2, &hasStrength)
		case fieldHits:
			hits = f.uint(2, &hasHits)
		case fieldDecoderID:
			id = f.uint(4, &hasID)
		}
	}
	if f.err != nil {
		return ev, false, f.err
	}
	if !hasTx {
		return ev, false, reject(ErrField, "passing record without transponder field 0x%02X", fieldTransponder)
	}
	if !hasRTC {
		return ev, false, reject(ErrField, "passing record without RTC time field 0x%02X", fieldRTCTime)
	}
	if rtc > maxRTC {
		return ev, false, reject(ErrField, "passing record: RTC time %d µs out of range", rtc)
	}
	return decoder.Event{
		Kind:        decoder.Passing,
		Transponder: strconv.FormatUint(tx, 10),
		Time:        time.Duration(rtc) * time.Microsecond,
		Epoch:       true,
		Seq:         number,
		Strength:    int(strength),
		Hits:        int(hits),
		DecoderID:   d.idText(uint32(id)),
	}, true, nil
}

// status converts a STATUS or ERROR record: both prove the decoder is
// alive, and an ERROR is worth surfacing rather than swallowing.
func (d *Decoder) status(f *fieldReader) (ev decoder.Event, ok bool, err error) {
	var id uint64
	var hasID bool
	for f.next() {
		if f.id == fieldDecoderID {
			id = f.uint(4, &hasID)
		}
	}
	if f.err != nil {
		return ev, false, f.err
	}
	return decoder.Event{Kind: decoder.Status, DecoderID: d.idText(uint32(id))}, true, nil
}

// clock converts a GET_TIME reply carrying the decoder's RTC time (field
// 0x01) into a ClockSync; without that field it is a request echo and
// carries no event.
func (d *Decoder) clock(f *fieldReader) (ev decoder.Event, ok bool, err error) {
	var rtc, id uint64
	var hasRTC, hasID bool
	for f.next() {
		switch f.id {
		case fieldClock:
			rtc = f.uint(8, &hasRTC)
		case fieldDecoderID:
			id = f.uint(4, &hasID)
		}
	}
	if f.err != nil {
		return ev, false, f.err
	}
	if !hasRTC {
		return ev, false, nil
	}
	if rtc > maxRTC {
		return ev, false, reject(ErrField, "get-time record: RTC time %d µs out of range", rtc)
	}
	return decoder.Event{
		Kind:      decoder.ClockSync,
		Time:      time.Duration(rtc) * time.Microsecond,
		Epoch:     true,
		DecoderID: d.idText(uint32(id)),
	}, true, nil
}

// idText is the decoder id as 8 uppercase hex digits. Id 0 stands for "no
// id field": the encoders omit the field for 0, so a decoded event and its
// re-encoding agree.
func (d *Decoder) idText(id uint32) string {
	if id == 0 {
		return ""
	}
	if id != d.lastID {
		d.lastID = id
		d.lastIDText = fmt.Sprintf("%08X", id)
	}
	return d.lastIDText
}

// fieldReader walks the TLVs of one record. After next returns false, err
// says whether the walk stopped at the end or at a malformed TLV; uint
// records a field error the same way and stops the walk.
type fieldReader struct {
	tor  uint16
	rest []byte
	id   byte
	val  []byte
	err  error
}

// next moves to the next TLV.
func (f *fieldReader) next() bool {
	if f.err != nil || len(f.rest) == 0 {
		return false
	}
	if len(f.rest) < 2 {
		f.err = reject(ErrTLV, "%s record: %d stray byte after the last field", typeName(f.tor), len(f.rest))
		return false
	}
	id, n := f.rest[0], int(f.rest[1])
	if 2+n > len(f.rest) {
		f.err = reject(ErrTLV, "%s record: field 0x%02X of %d bytes runs past the end (%d left)", typeName(f.tor), id, n, len(f.rest)-2)
		return false
	}
	f.id, f.val, f.rest = id, f.rest[2:2+n], f.rest[2+n:]
	return true
}

// uint reads the current field as a little-endian number of exactly width
// bytes and marks it seen; a wrong width or a second copy of the field
// is an error, since either leaves the record's meaning in doubt.
func (f *fieldReader) uint(width int, seen *bool) uint64 {
	if *seen {
		f.fail(reject(ErrField, "%s record: field 0x%02X repeated", typeName(f.tor), f.id))
		return 0
	}
	*seen = true
	if len(f.val) != width {
		f.fail(reject(ErrField, "%s record: field 0x%02X has %d bytes, want %d", typeName(f.tor), f.id, len(f.val), width))
		return 0
	}
	var x uint64
	for i := width - 1; i >= 0; i-- {
		x = x<<8 | uint64(f.val[i])
	}
	return x
}

// fail stops the walk with err.
func (f *fieldReader) fail(err error) {
	f.err = err
	f.rest = nil
}

// typeName names a record type for reject messages.
func typeName(tor uint16) string {
	switch tor {
	case typePassing:
		return "passing"
	case typeStatus:
		return "status"
	case typeVersion:
		return "version"
	case typeResend:
		return "resend"
	case typeGetTime:
		return "get-time"
	case typeError:
		return "error"
	}
	return fmt.Sprintf("type 0x%04X", tor)
}
