package api

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// appendViewJSON appends v as json.Marshal encodes it, byte for byte, and
// reports whether it could: a string that encoding/json would escape (a
// quote, a backslash, <, > or &, a control character, anything outside
// ASCII) or a time outside the years 0–9999 or not in UTC makes it give up, and the
// caller encodes v with json.Marshal instead. It is the 201 of every
// upload: encoding/json took about 2% of the server's CPU per small
// upload, for a view whose strings are IDs, hex digests, media types and
// times. TestViewJSON checks it against json.Marshal, with every field of
// wire.EvidenceView set: a field added there and not here fails it.
func appendViewJSON(b []byte, v *wire.EvidenceView) ([]byte, bool) {
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
	token := func(t *wire.TokenInfo) {
		str(`{"tsa":`, t.TSA)
		if t.URL != "" {
			str(`,"url":`, t.URL)
		}
		tm(`,"time":`, t.Time)
		str(`,"serial":`, t.Serial)
		str(`,"sha256":`, t.SHA256)
		b = append(b, '}')
	}
	str(`{"id":`, v.ID)
	str(`,"status":`, v.Status)
	str(`,"sha256":`, v.SHA256)
	if v.SM3 != "" {
		str(`,"sm3":`, v.SM3)
	}
	b = strconv.AppendInt(append(b, `,"size":`...), v.Size, 10)
	str(`,"media_type":`, v.MediaType)
	for _, f := range [...]struct{ key, s string }{
		{`,"file_name":`, v.FileName}, {`,"title":`, v.Title}, {`,"description":`, v.Description},
		{`,"case_ref":`, v.CaseRef}, {`,"matter":`, v.Matter},
	} {
		if f.s != "" {
			str(f.key, f.s)
		}
	}
	b = strconv.AppendBool(append(b, `,"unlisted":`...), v.Unlisted)
	if v.AnchoredHeight != 0 {
		b = strconv.AppendInt(append(b, `,"anchored_height":`...), v.AnchoredHeight, 10)
	}
	if v.CapturedAt != nil {
		tm(`,"captured_at":`, *v.CapturedAt)
	}
	tm(`,"created_at":`, v.CreatedAt)
	str(`,"owner":`, v.Owner)
	if v.OwnerOrgName != "" {
		str(`,"owner_org_name":`, v.OwnerOrgName)
	}
	b = append(b, `,"timestamp":`...)
	token(&v.Timestamp)
	b = append(b, `,"timestamps":`...)
	if v.Timestamps == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range v.Timestamps {
			if i > 0 {
				b = append(b, ',')
			}
			token(&v.Timestamps[i])
		}
		b = append(b, ']')
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

// marshalView is json.Marshal(v), through appendViewJSON when it can.
func marshalView(v *wire.EvidenceView) ([]byte, error) {
	if b, ok := appendViewJSON(make([]byte, 0, 1024), v); ok {
		return b, nil
	}
	return json.Marshal(v)
}
