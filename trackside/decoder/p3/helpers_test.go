package p3

import "bytes"

// field is one TLV for building test records by hand.
type field struct {
	id byte
	v  []byte
}

// le is x as a little-endian number of width bytes.
func le(width int, x uint64) []byte {
	b := make([]byte, width)
	for i := range b {
		b[i] = byte(x >> (8 * i))
	}
	return b
}

// build is the unescaped record of type tor with the given fields, length
// and CRC filled in.
func build(tor uint16, fields ...field) []byte {
	r := newRecord(tor)
	for _, f := range fields {
		r.b = append(r.b, f.id, byte(len(f.v)))
		r.b = append(r.b, f.v...)
	}
	return r.unescaped()
}

// wire is the escaped wire form of build(tor, fields...).
func wire(tor uint16, fields ...field) []byte {
	return escape(build(tor, fields...))
}

// withCRC recomputes the CRC of an unescaped record after a test changed
// it, so only the intended fault remains.
func withCRC(rec []byte) []byte {
	rec[offCRC], rec[offCRC+1] = 0, 0
	c := CRC(rec)
	rec[offCRC], rec[offCRC+1] = byte(c), byte(c>>8)
	return rec
}

// cat joins byte slices into a new one.
func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// pad is unknown fields (id 0x99, bytes 0x11) taking exactly n bytes of TLV
// space, n >= 2.
func pad(n int) []field {
	var fs []field
	for n > 0 {
		v := min(n-2, 255)
		if rest := n - 2 - v; rest == 1 {
			v-- // leave room for a field of at least its two header bytes
		}
		fs = append(fs, field{0x99, bytes.Repeat([]byte{0x11}, v)})
		n -= 2 + v
	}
	return fs
}
