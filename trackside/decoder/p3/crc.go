package p3

// crcTable is the MSB-first table for polynomial 0x1021: crcTable[i] is the
// register after shifting the byte i (placed in the high byte) through eight
// polynomial-division steps.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC is the P3 record checksum: 16 bits, polynomial 0x1021, initial value
// 0xFFFF, table step crc = T[crc>>8] ^ (crc<<8) ^ b. The P3 step XORs the
// byte in after the table look-up (the "augmented" form), which is not the
// common CRC-16/CCITT-FALSE step, so a library CRC would give different
// values. A record's CRC is taken over the whole unescaped record, start and
// end bytes included, with its CRC field set to zero.
func CRC(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, x := range b {
		crc = crcTable[crc>>8] ^ crc<<8 ^ uint16(x)
	}
	return crc
}
