package testimage

import "bytes"

// ProgressiveJPEG is a flat grey progressive JPEG of size×size pixels
// (ITU T.81, SOF2) with a DC scan and then acScans scans of the AC band
// 1–63, each ending every block at once with end-of-band runs of 32767
// blocks: a few bytes a scan, each of which a decoder goes over every
// block for. With a few scans it is an ordinary (flat) image; with
// thousands, a few hundred kilobytes that cost a decoder minutes.
func ProgressiveJPEG(size, acScans int) []byte {
	var b bytes.Buffer
	w := func(p ...byte) { b.Write(p) }
	w(0xff, 0xd8)           // SOI
	w(0xff, 0xdb, 0, 67, 0) // DQT: table 0, all ones
	w(bytes.Repeat([]byte{1}, 64)...)
	w(0xff, 0xc2, 0, 11, 8, byte(size>>8), byte(size), byte(size>>8), byte(size), 1, 1, 0x11, 0) // SOF2, one component
	oneCode := append([]byte{1}, make([]byte, 15)...)                                            // one code, of length 1
	w(0xff, 0xc4, 0, 20, 0x00)                                                                   // DHT: DC table 0
	w(oneCode...)
	w(0)                       // category 0: no difference
	w(0xff, 0xc4, 0, 20, 0x10) // DHT: AC table 0
	w(oneCode...)
	w(0xe0) // EOBRUN of 2^14 and 14 more bits
	blocks := (size + 7) / 8 * ((size + 7) / 8)
	w(0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 0, 0x00) // SOS: DC, first scan
	w(make([]byte, (blocks+7)/8+1)...)          // a zero bit a block
	// Each AC scan: runs × ("0" and 14 ones: a run of 32767 blocks),
	// padded with ones, 0xFF stuffed.
	var bits []byte
	for range (blocks + 32766) / 32767 {
		bits = append(bits, 0)
		bits = append(bits, bytes.Repeat([]byte{1}, 14)...)
	}
	for len(bits)%8 != 0 {
		bits = append(bits, 1)
	}
	var data []byte
	for i := 0; i < len(bits); i += 8 {
		var v byte
		for _, bit := range bits[i : i+8] {
			v = v<<1 | bit
		}
		data = append(data, v)
		if v == 0xff {
			data = append(data, 0)
		}
	}
	for range acScans {
		w(0xff, 0xda, 0, 8, 1, 1, 0x00, 1, 63, 0x00) // SOS: AC 1–63, first scan
		w(data...)
	}
	w(0xff, 0xd9) // EOI
	return b.Bytes()
}
