package pdf

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
)

// DefaultFontPath is the CJK font a Renderer uses unless Config says
// otherwise: WenQuanYi Micro Hei from Debian's fonts-wqy-microhei. Its
// outlines are TrueType (glyf), which the PDF generator can embed and
// subset; the Noto CJK fonts of fonts-noto-cjk are CFF-flavoured OpenType,
// which it cannot.
const DefaultFontPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

// LoadFont reads a TrueType font file, .ttf or .ttc. For a collection
// (.ttc) it returns face index (0 for the first face) as a standalone
// TrueType font, ready for Config.Font.
func LoadFont(path string, index int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFont, err)
	}
	if len(b) >= 4 && string(b[:4]) == "ttcf" {
		return ExtractFace(b, index)
	}
	if index != 0 {
		return nil, fmt.Errorf("%w: %s is a single font, face %d asked for", ErrFont, path, index)
	}
	return b, nil
}

// tableRecord is one entry of an OpenType table directory.
type tableRecord struct {
	tag                      [4]byte
	checksum, offset, length uint32
}

// ExtractFace returns face index of a TrueType collection (OpenType spec,
// "Font Collections": the TTC header lists the offset of each face's table
// directory, whose table offsets are relative to the start of the
// collection) as a standalone font: a new table directory followed by the
// face's tables, each 4-byte aligned, with head.checkSumAdjustment
// recomputed.
func ExtractFace(ttc []byte, index int) ([]byte, error) {
	// TTCHeader: tag 'ttcf', majorVersion, minorVersion, numFonts,
	// tableDirectoryOffsets[numFonts].
	if len(ttc) < 12 || string(ttc[:4]) != "ttcf" {
		return nil, fmt.Errorf("%w: not a TrueType collection", ErrFont)
	}
	numFonts := binary.BigEndian.Uint32(ttc[8:])
	if index < 0 || uint64(index) >= uint64(numFonts) || 12+4*uint64(numFonts) > uint64(len(ttc)) {
		return nil, fmt.Errorf("%w: face %d of a collection of %d", ErrFont, index, numFonts)
	}
	dir := uint64(binary.BigEndian.Uint32(ttc[12+4*index:]))
	tables, sfntVersion, err := readTableDirectory(ttc, dir)
	if err != nil {
		return nil, err
	}
	return writeFont(ttc, sfntVersion, tables), nil
}

func readTableDirectory(b []byte, dir uint64) ([]tableRecord, uint32, error) {
	// TableDirectory: sfntVersion, numTables, searchRange, entrySelector,
	// rangeShift, then numTables records of 16 bytes.
	if dir+12 > uint64(len(b)) {
		return nil, 0, fmt.Errorf("%w: table directory out of range", ErrFont)
	}
	sfntVersion := binary.BigEndian.Uint32(b[dir:])
	if sfntVersion != 0x00010000 && sfntVersion != 0x74727565 { // 1.0 or 'true'
		return nil, 0, fmt.Errorf("%w: face has no TrueType outlines (sfnt version %#x)", ErrFont, sfntVersion)
	}
	n := uint64(binary.BigEndian.Uint16(b[dir+4:]))
	if dir+12+16*n > uint64(len(b)) {
		return nil, 0, fmt.Errorf("%w: table directory out of range", ErrFont)
	}
	tables := make([]tableRecord, n)
	for i := range tables {
		r := b[dir+12+16*uint64(i):]
		copy(tables[i].tag[:], r[:4])
		tables[i].checksum = binary.BigEndian.Uint32(r[4:])
		tables[i].offset = binary.BigEndian.Uint32(r[8:])
		tables[i].length = binary.BigEndian.Uint32(r[12:])
		if uint64(tables[i].offset)+uint64(tables[i].length) > uint64(len(b)) {
			return nil, 0, fmt.Errorf("%w: table %q out of range", ErrFont, tables[i].tag[:])
		}
	}
	// The directory must be sorted by tag.
	sort.Slice(tables, func(i, j int) bool { return string(tables[i].tag[:]) < string(tables[j].tag[:]) })
	return tables, sfntVersion, nil
}

func writeFont(src []byte, sfntVersion uint32, tables []tableRecord) []byte {
	n := len(tables)
	entrySelector := 0
	for 1<<(entrySelector+1) <= n {
		entrySelector++
	}
	searchRange := (1 << entrySelector) * 16
	size := 12 + 16*n
	for _, t := range tables {
		size += int(t.length+3) &^ 3
	}
	out := make([]byte, 12+16*n, size)
	binary.BigEndian.PutUint32(out[0:], sfntVersion)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(searchRange))
	binary.BigEndian.PutUint16(out[8:], uint16(entrySelector))
	binary.BigEndian.PutUint16(out[10:], uint16(n*16-searchRange))
	headAt := -1
	for i, t := range tables {
		rec := out[12+16*i:]
		copy(rec[:4], t.tag[:])
		binary.BigEndian.PutUint32(rec[4:], t.checksum)
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], t.length)
		if string(t.tag[:]) == "head" && t.length >= 12 {
			headAt = len(out)
		}
		out = append(out, src[t.offset:t.offset+t.length]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	if headAt >= 0 {
		// head.checkSumAdjustment = 0xB1B0AFBA - checksum of the whole font,
		// computed with the field itself set to zero.
		binary.BigEndian.PutUint32(out[headAt+8:], 0)
		binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	}
	return out
}

// checksum is the OpenType table checksum: the sum of big-endian uint32s.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i+4 <= len(b); i += 4 {
		sum += binary.BigEndian.Uint32(b[i:])
	}
	return sum
}

// subsetName is the font's name in the PDF: a subset tag of six capital
// letters, "+", and the font's PostScript name (ISO 32000-1 §9.6.4 names
// subset fonts this way, and readers such as pdffonts read the tag as
// "subset"). The tag is derived from the font, so one font gets one name.
func subsetName(font []byte) string { return taggedName(sha256.Sum256(font), font) }

// sealSubsetName is the name of the subset that draws a seal's text: a
// tag derived from the font and that text, so that it differs from the
// pages' subsetName in the same file, as ISO 32000-1 §9.6.4 requires of
// different subsets ("shall have different tags").
func sealSubsetName(font []byte, text string) string {
	h := sha256.New()
	h.Write(font)
	h.Write([]byte("\x00seal\x00" + text))
	return taggedName([32]byte(h.Sum(nil)), font)
}

// taggedName is the six-capital tag of sum, "+", and the font's
// PostScript name.
func taggedName(sum [32]byte, font []byte) string {
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	return string(tag) + "+" + postScriptName(font)
}

// postScriptName reads name ID 6 of the font's 'name' table, keeping only
// the characters a PostScript name may have; "CJK" if there is none.
func postScriptName(font []byte) string {
	tables, _, err := readTableDirectory(font, 0)
	if err != nil {
		return "CJK"
	}
	for _, t := range tables {
		if string(t.tag[:]) != "name" || t.length < 6 {
			continue
		}
		tbl := font[t.offset : t.offset+t.length]
		count, strings := int(binary.BigEndian.Uint16(tbl[2:])), int(binary.BigEndian.Uint16(tbl[4:]))
		for i := 0; i < count && 6+12*(i+1) <= len(tbl); i++ {
			r := tbl[6+12*i:]
			platform, id := binary.BigEndian.Uint16(r), binary.BigEndian.Uint16(r[6:])
			length, off := int(binary.BigEndian.Uint16(r[8:])), int(binary.BigEndian.Uint16(r[10:]))
			if id != 6 || strings+off+length > len(tbl) {
				continue
			}
			raw := tbl[strings+off : strings+off+length]
			var out []byte
			for j, c := range raw {
				if platform == 3 && j%2 == 0 { // UTF-16BE: keep the low bytes
					continue
				}
				if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
					out = append(out, c)
				}
			}
			if len(out) > 0 {
				return string(out)
			}
		}
	}
	return "CJK"
}
