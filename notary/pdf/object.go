package pdf

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
)

// The PDF object model (ISO 32000-1 §7.3), as much of it as reading a
// document's structure and writing an incremental update needs.
type (
	object  any
	name    string
	keyword string // true, false, null, or an operator this parser does not know
	// number keeps the token's text, so a copied dictionary keeps its values
	// byte for byte.
	number string
	ref    struct{ num, gen int }
	array  []object
	// str is a string object. start and end delimit its token in the file
	// (end exclusive); start is -1 for a string read from an object stream
	// or made by this package.
	str struct {
		b          []byte
		start, end int
	}
	// dict keeps its keys in order, so that writing it back is stable.
	// twice is a key the parsed dictionary held more than once (the last
	// value kept), which ISO 32000-2 §7.3.7 forbids and readers resolve
	// differently.
	dict struct {
		keys  []name
		m     map[name]object
		twice name
	}
	stream struct {
		dict *dict
		raw  []byte // the stream data as stored, still encoded
	}
)

func newDict() *dict { return &dict{m: map[name]object{}} }

func (d *dict) get(k name) object {
	if d == nil {
		return nil
	}
	return d.m[k]
}

func (d *dict) set(k name, v object) {
	if _, ok := d.m[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.m[k] = v
}

func (d *dict) del(k name) {
	if _, ok := d.m[k]; !ok {
		return
	}
	delete(d.m, k)
	for i, key := range d.keys {
		if key == k {
			d.keys = append(d.keys[:i:i], d.keys[i+1:]...)
			return
		}
	}
}

func (d *dict) clone() *dict {
	c := newDict()
	for _, k := range d.keys {
		c.set(k, d.m[k])
	}
	return c
}

// int returns the value of an integer number.
func (n number) int() (int64, bool) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	return v, err == nil
}

func textString(s string) str {
	return str{b: encodeText(s), start: -1}
}

// encodeText encodes a text string (ISO 32000-1 §7.9.2.2): PDFDocEncoding
// for printable ASCII, UTF-16BE with a byte order mark otherwise.
func encodeText(s string) []byte {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return []byte(s)
	}
	out := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

// decodeText decodes a text string: UTF-16BE with a byte order mark, or
// (approximately) PDFDocEncoding, whose printable ASCII range is ASCII.
func decodeText(b []byte) string {
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		b = b[2:]
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return string(utf16.Decode(u))
	}
	return string(b)
}

// writeObject appends the PDF syntax of o to buf.
func writeObject(buf *bytes.Buffer, o object) {
	switch v := o.(type) {
	case nil:
		buf.WriteString("null")
	case name:
		writeName(buf, v)
	case keyword:
		buf.WriteString(string(v))
	case number:
		buf.WriteString(string(v))
	case int:
		buf.WriteString(strconv.Itoa(v))
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case ref:
		fmt.Fprintf(buf, "%d %d R", v.num, v.gen)
	case str:
		fmt.Fprintf(buf, "<%x>", v.b)
	case array:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(' ')
			}
			writeObject(buf, e)
		}
		buf.WriteByte(']')
	case *dict:
		buf.WriteString("<<")
		for _, k := range v.keys {
			writeName(buf, k)
			buf.WriteByte(' ')
			writeObject(buf, v.m[k])
		}
		buf.WriteString(">>")
	default:
		// Only this package builds objects: an unknown type is a bug.
		panic(fmt.Sprintf("pdf: cannot write %T", o))
	}
}

// writeName writes /name, escaping delimiters, whitespace and non-ASCII
// bytes as #xx (ISO 32000-1 §7.3.5).
func writeName(buf *bytes.Buffer, n name) {
	buf.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || c == '#' || isDelimiter(c) {
			fmt.Fprintf(buf, "#%02X", c)
			continue
		}
		buf.WriteByte(c)
	}
}

func isWhite(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelimiter(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}
