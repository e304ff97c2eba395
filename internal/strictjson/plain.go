package strictjson

import (
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
