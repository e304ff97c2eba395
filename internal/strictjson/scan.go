package strictjson

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner reads JSON without reflection, for fast paths that decode a
// document by hand (receipt and custody: fastdecode.go) where Decode's
// reflection costs too much (in the browser verifier, docs/performance.md).
// It is deliberately partial: it reports ok false on anything it does not
// handle exactly as encoding/json decodes it (null, numbers with a fraction
// or an exponent or out of range, invalid UTF-8, lone surrogates, a key
// given twice, a key the caller does not know, which includes a key that
// matches a field only case-insensitively), and the caller then takes its
// encoding/json path, which accepts or rejects the input with its own
// messages. So a Scanner never has to produce an error, only to be right
// when it says ok. Once a method has said not ok, every later one does.
type Scanner struct {
	b   []byte
	i   int
	bad bool // set once anything was not handled
}

// NewScanner returns a Scanner reading b.
func NewScanner(b []byte) *Scanner { return &Scanner{b: b} }

// fail marks the scan as not handled and returns false.
func (s *Scanner) fail() bool {
	s.bad = true
	return false
}

// ws skips JSON white space (RFC 8259 §2).
func (s *Scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lit consumes c after white space.
func (s *Scanner) lit(c byte) bool {
	s.ws()
	if s.bad || s.i >= len(s.b) || s.b[s.i] != c {
		return s.fail()
	}
	s.i++
	return true
}

// peek is the next byte after white space, 0 at the end.
func (s *Scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// End reports whether only white space is left.
func (s *Scanner) End() bool {
	s.ws()
	return !s.bad && s.i == len(s.b)
}

// Object calls member for each key of an object, in order; member reads
// the value. A key seen twice fails (encoding/json would keep the last,
// strictjson refuses it). Keys are compared exactly: a key matching a field
// only case-insensitively is unknown to member, which fails.
func (s *Scanner) Object(member func(key string) bool) bool {
	if !s.lit('{') {
		return false
	}
	if s.peek() == '}' {
		s.i++
		return true
	}
	var seen []string
	for {
		key, ok := s.String()
		if !ok || !s.lit(':') {
			return s.fail()
		}
		for _, k := range seen {
			if k == key {
				return s.fail()
			}
		}
		seen = append(seen, key)
		if !member(key) || s.bad {
			return s.fail()
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return s.fail()
		}
	}
}

// Array calls elem for each element of an array; elem reads it.
func (s *Scanner) Array(elem func() bool) bool {
	if !s.lit('[') {
		return false
	}
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if !elem() || s.bad {
			return s.fail()
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return s.fail()
		}
	}
}

// Strings reads an array of strings; [] gives an empty, non-nil slice, as
// encoding/json does.
func (s *Scanner) Strings() ([]string, bool) {
	l := []string{}
	ok := s.Array(func() bool {
		v, ok := s.String()
		l = append(l, v)
		return ok
	})
	return l, ok
}

// String reads a string as encoding/json decodes it. Invalid UTF-8 and lone
// surrogates (which encoding/json replaces with U+FFFD) fail.
func (s *Scanner) String() (string, bool) {
	if !s.lit('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.b) { // the common case: no escape, ASCII
		c := s.b[s.i]
		if c == '"' {
			v := string(s.b[start:s.i])
			s.i++
			return v, true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		s.i++
	}
	out := append([]byte(nil), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return string(out), true
		case c < 0x20:
			return "", s.fail()
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				return "", s.fail()
			}
			out = append(out, s.b[s.i:s.i+n]...)
			s.i += n
		case c != '\\':
			out = append(out, c)
			s.i++
		default:
			var ok bool
			if out, ok = s.escape(out); !ok {
				return "", s.fail()
			}
		}
	}
	return "", s.fail()
}

// escape decodes the escape at s.i (a backslash) onto out.
func (s *Scanner) escape(out []byte) ([]byte, bool) {
	if s.i+1 >= len(s.b) {
		return out, false
	}
	c := s.b[s.i+1]
	s.i += 2
	switch c {
	case '"', '\\', '/':
		return append(out, c), true
	case 'b':
		return append(out, '\b'), true
	case 'f':
		return append(out, '\f'), true
	case 'n':
		return append(out, '\n'), true
	case 'r':
		return append(out, '\r'), true
	case 't':
		return append(out, '\t'), true
	case 'u':
	default:
		return out, false
	}
	r, ok := s.hex4()
	if !ok {
		return out, false
	}
	if utf16.IsSurrogate(r) {
		// Only a high surrogate followed by an escaped low one.
		if s.i+1 >= len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
			return out, false
		}
		s.i += 2
		r2, ok := s.hex4()
		if !ok {
			return out, false
		}
		if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
			return out, false
		}
	}
	return utf8.AppendRune(out, r), true
}

// hex4 reads the four hex digits of a \u escape.
func (s *Scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// number reads the digits of an integer: an optional minus, then 0 or a
// digit 1–9 and more digits. A fraction or an exponent fails.
func (s *Scanner) number() (string, bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	n := s.i - digits
	if n == 0 || n > 1 && s.b[digits] == '0' {
		return "", s.fail()
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return "", s.fail()
		}
	}
	return string(s.b[start:s.i]), true
}

// Int64 reads an integer into an int64 as encoding/json does.
func (s *Scanner) Int64() (int64, bool) {
	d, ok := s.number()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(d, 10, 64)
	if err != nil {
		return 0, s.fail()
	}
	return v, true
}

// Int reads an integer into an int (64 bits on every platform this runs
// on; a value out of int's range fails).
func (s *Scanner) Int() (int, bool) {
	v, ok := s.Int64()
	if !ok || int64(int(v)) != v {
		return 0, s.fail()
	}
	return int(v), true
}

// Uint64 reads a non-negative integer into a uint64 as encoding/json does
// (which refuses "-0" for an unsigned field, as this does).
func (s *Scanner) Uint64() (uint64, bool) {
	d, ok := s.number()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(d, 10, 64)
	if err != nil {
		return 0, s.fail()
	}
	return v, true
}

// Uint32 reads a non-negative integer into a uint32 as encoding/json does.
func (s *Scanner) Uint32() (uint32, bool) {
	v, ok := s.Uint64()
	if !ok || v > 1<<32-1 {
		return 0, s.fail()
	}
	return uint32(v), true
}

// FieldNames lists the JSON names of the fields of struct type t, sorted:
// the tests of fast paths compare it with the fields they decode, so that
// a field added to t is added to its fast path too.
func FieldNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range names {
		names[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	slices.Sort(names)
	return names
}
