package evidence

import (
	"encoding/json"
	"strconv"
	"time"
)

// marshalRecord is json.Marshal(r), the record's stored JSON, written by
// appendRecordJSON when it can. Encoding a new record with encoding/json
// took about 2% of the server's CPU per small upload.
func marshalRecord(r *Record) ([]byte, error) {
	if b, ok := appendRecordJSON(make([]byte, 0, 768), r); ok {
		return b, nil
	}
	return json.Marshal(r)
}

// appendRecordJSON appends r as json.Marshal encodes it, byte for byte
// (the stored format does not change), and reports whether it could: a
// string that encoding/json would escape (a quote, a backslash, <, > or
// &, a control character, anything outside ASCII) or a time outside the
// years 0–9999 or not in UTC makes it give up. The order is encoding/json's:
// Record's fields, Meta's where Meta is embedded (its media_type hidden
// by Record's), then the rest. TestRecordJSON checks it against
// json.Marshal with every field of Record and Meta set: a field added to
// either and not here fails it.
func appendRecordJSON(b []byte, r *Record) ([]byte, bool) {
	ok := true
	str := func(key, s string) {
		b = append(b, key...)
		if !plainJSON(s) {
			ok = false
			return
		}
		b = append(b, '"')
		b = append(b, s...)
		b = append(b, '"')
	}
	tm := func(key string, t time.Time) {
		b = append(b, key...)
		if _, off := t.Zone(); off != 0 || t.Year() < 0 || t.Year() > 9999 {
			ok = false
			return
		}
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	str(`{"id":`, r.ID)
	str(`,"owner":`, r.Owner)
	str(`,"status":`, r.Status)
	str(`,"sha256":`, r.SHA256)
	if r.SM3 != "" {
		str(`,"sm3":`, r.SM3)
	}
	b = strconv.AppendInt(append(b, `,"size":`...), r.Size, 10)
	str(`,"media_type":`, r.MediaType)
	tm(`,"created_at":`, r.CreatedAt)
	m := &r.Meta
	for _, f := range [...]struct{ key, s string }{{`,"title":`, m.Title}, {`,"description":`, m.Description}, {`,"case_ref":`, m.CaseRef}} {
		if f.s != "" {
			str(f.key, f.s)
		}
	}
	if m.CapturedAt != nil {
		tm(`,"captured_at":`, *m.CapturedAt)
	}
	for _, f := range [...]struct{ key, s string }{{`,"file_name":`, m.FileName}, {`,"matter":`, m.Matter}} {
		if f.s != "" {
			str(f.key, f.s)
		}
	}
	if m.Unlisted != nil {
		b = strconv.AppendBool(append(b, `,"unlisted":`...), *m.Unlisted)
	}
	b = append(b, `,"timestamps":`...)
	if r.Tokens == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Tokens {
			t := &r.Tokens[i]
			if i > 0 {
				b = append(b, ',')
			}
			str(`{"tsa":`, t.TSA)
			if t.URL != "" {
				str(`,"url":`, t.URL)
			}
			tm(`,"time":`, t.Time)
			str(`,"serial":`, t.Serial)
			str(`,"sha256":`, t.SHA256)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.AnchoredHeight != 0 {
		b = strconv.AppendInt(append(b, `,"anchored_height":`...), r.AnchoredHeight, 10)
	}
	return append(b, '}'), ok
}

// plainJSON reports whether encoding/json writes s as it is, between
// quotes: printable ASCII without ", \, <, > and &.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
