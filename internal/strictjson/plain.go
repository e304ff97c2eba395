package strictjson

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"time"
)

// Plain appends the members of a JSON object as encoding/json's Marshal
// writes them, for hand-written encoders of documents whose strings are
// mostly plain (IDs, hex digests, media types, times): the 201 of an
// upload (api) and a record's stored JSON (evidence). It writes a string
// or a time only if encoding/json would write it as it is; otherwise it
// marks itself not OK and the caller encodes the document with
// json.Marshal instead. Each caller's test compares its bytes with
// json.Marshal's.
type Plain struct {
	B  []byte // the document so far
	OK bool   // false once a value needed encoding/json
}

// NewPlain returns a Plain writing after b.
func NewPlain(b []byte) *Plain { return &Plain{B: b, OK: true} }

// Raw appends s as it is: a key, punctuation, a literal.
func (p *Plain) Raw(s string) { p.B = append(p.B, s...) }

// String appends key, then s quoted, if s is plain (PlainString).
func (p *Plain) String(key, s string) {
	p.B = append(p.B, key...)
	if !PlainString(s) {
		p.OK = false
		return
	}
	p.B = append(p.B, '"')
	p.B = append(p.B, s...)
	p.B = append(p.B, '"')
}

// Time appends key, then t as time.Time's MarshalJSON writes it
// (RFC 3339 with nanoseconds), if t is in UTC and within the years
// 0–9999 (outside them MarshalJSON fails).
func (p *Plain) Time(key string, t time.Time) {
	p.B = append(p.B, key...)
	if _, off := t.Zone(); off != 0 || t.Year() < 0 || t.Year() > 9999 {
		p.OK = false
		return
	}
	p.B = append(p.B, '"')
	p.B = t.AppendFormat(p.B, time.RFC3339Nano)
	p.B = append(p.B, '"')
}

// Int appends key, then n.
func (p *Plain) Int(key string, n int64) { p.B = strconv.AppendInt(append(p.B, key...), n, 10) }

// Bool appends key, then v.
func (p *Plain) Bool(key string, v bool) { p.B = strconv.AppendBool(append(p.B, key...), v) }

// PlainString reports whether encoding/json writes s as it is, between
// quotes: printable ASCII without ", \, <, > and &.
func PlainString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// FillPlain sets every field of v (addressable), recursively, to a value
// that is not its zero value and that Plain writes as it is: strings
// "v-" and the field's name, numbers 42, true, a UTC time, pointers to
// such values and slices of two. The tests of hand-written encoders fill
// their documents with it, so that a field added to a document and not to
// its encoder makes the encoder's bytes differ from json.Marshal's. It
// fails on a kind it does not know.
func FillPlain(v reflect.Value) error { return fillPlain(v, "") }

// PlainSamples returns two generators over rng for the random tests of
// hand-written encoders: short strings, mostly of characters Plain writes
// as they are and now and then one encoding/json escapes (a quote, a
// backslash, HTML characters, a control character, U+2028), and UTC times,
// half of them with nanoseconds.
func PlainSamples(rng *rand.Rand) (str func() string, tm func() time.Time) {
	plain, escaped := []rune("az09-_:./ +=~"), []rune("\"\\<>&\té\x00\x7f\u2028")
	str = func() string {
		r := make([]rune, rng.IntN(6))
		for i := range r {
			r[i] = plain[rng.IntN(len(plain))]
			if rng.IntN(200) == 0 {
				r[i] = escaped[rng.IntN(len(escaped))]
			}
		}
		return string(r)
	}
	tm = func() time.Time {
		return time.Unix(rng.Int64N(1<<35), rng.Int64N(1e9)*int64(rng.IntN(2))).UTC()
	}
	return str, tm
}

func fillPlain(v reflect.Value, name string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString("v-" + name)
	case reflect.Int64:
		v.SetInt(42)
	case reflect.Uint64:
		v.SetUint(42)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return fillPlain(v.Elem(), name)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			if err := fillPlain(v.Index(i), name); err != nil {
				return err
			}
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 6, 18, 1, 2, 3000, time.UTC)))
			return nil
		}
		for i := range v.NumField() {
			if err := fillPlain(v.Field(i), v.Type().Field(i).Name); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("field %s of kind %s: teach FillPlain (and the encoder) about it", name, v.Kind())
	}
	return nil
}
