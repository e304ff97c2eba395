package pdfcheck

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
)

// The PDF object model (ISO 32000-1 §7.3), as much of it as reading a
// document's structure and writing an incremental update needs.
type (
	Object  any
	Name    string
	keyword string // true, false, null, or an operator this parser does not know
	// Number keeps the token's text, so a copied dictionary keeps its values
	// byte for byte.
	Number string
	Ref    struct{ Num, gen int }
	Array  []Object
	// Str is a string object. Start and end delimit its token in the file
	// (end exclusive); Start is -1 for a string read from an object stream
	// or made by this package.
	Str struct {
		Bytes      []byte
		Start, end int
	}
	// Dict keeps its keys in order, so that writing it back is stable.
	// twice is a key the parsed dictionary held more than once (the last
	// value kept), which ISO 32000-2 §7.3.7 forbids and readers resolve
	// differently.
	Dict struct {
		Keys  []Name
		Map   map[Name]Object
		twice Name
	}
	Stream struct {
		Dict *Dict
		Raw  []byte // the stream data as stored, still encoded
	}
)

// NewDict returns an empty dictionary.
func NewDict() *Dict { return &Dict{Map: map[Name]Object{}} }

// Get returns the value of key k, nil if there is none (or d is nil).
func (d *Dict) Get(k Name) Object {
	if d == nil {
		return nil
	}
	return d.Map[k]
}

// Set sets key k to v, appending k to the keys if it is new.
func (d *Dict) Set(k Name, v Object) {
	if _, ok := d.Map[k]; !ok {
		d.Keys = append(d.Keys, k)
	}
	d.Map[k] = v
}

// Del deletes key k.
func (d *Dict) Del(k Name) {
	if _, ok := d.Map[k]; !ok {
		return
	}
	delete(d.Map, k)
	for i, key := range d.Keys {
		if key == k {
			d.Keys = append(d.Keys[:i:i], d.Keys[i+1:]...)
			return
		}
	}
}

// Clone returns a shallow copy of d, its keys in the same order.
func (d *Dict) Clone() *Dict {
	c := NewDict()
	for _, k := range d.Keys {
		c.Set(k, d.Map[k])
	}
	return c
}

// int returns the value of an integer number.
func (n Number) int() (int64, bool) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	return v, err == nil
}

// TextString is the string object of the text s (EncodeText).
func TextString(s string) Str {
	return Str{Bytes: EncodeText(s), Start: -1}
}

// EncodeText encodes a text string (ISO 32000-1 §7.9.2.2): PDFDocEncoding
// for printable ASCII, UTF-16BE with a byte order mark otherwise.
func EncodeText(s string) []byte {
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

// DecodeText decodes a text string: UTF-16BE with a byte order mark, or
// (approximately) PDFDocEncoding, whose printable ASCII range is ASCII.
func DecodeText(b []byte) string {
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

// WriteObject appends the PDF syntax of o to buf.
func WriteObject(buf *bytes.Buffer, o Object) {
	switch v := o.(type) {
	case nil:
		buf.WriteString("null")
	case Name:
		WriteName(buf, v)
	case keyword:
		buf.WriteString(string(v))
	case Number:
		buf.WriteString(string(v))
	case int:
		buf.WriteString(strconv.Itoa(v))
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case Ref:
		fmt.Fprintf(buf, "%d %d R", v.Num, v.gen)
	case Str:
		fmt.Fprintf(buf, "<%x>", v.Bytes)
	case Array:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(' ')
			}
			WriteObject(buf, e)
		}
		buf.WriteByte(']')
	case *Dict:
		buf.WriteString("<<")
		for _, k := range v.Keys {
			WriteName(buf, k)
			buf.WriteByte(' ')
			WriteObject(buf, v.Map[k])
		}
		buf.WriteString(">>")
	default:
		// Only this package builds objects: an unknown type is a bug.
		panic(fmt.Sprintf("pdf: cannot write %T", o))
	}
}

// WriteName writes /name, escaping delimiters, whitespace and non-ASCII
// bytes as #xx (ISO 32000-1 §7.3.5).
func WriteName(buf *bytes.Buffer, n Name) {
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
