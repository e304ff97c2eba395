package api

import (
	"encoding/json"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/strictjson"
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
	w := strictjson.NewPlain(b)
	token := func(t *wire.TokenInfo) {
		w.String(`{"tsa":`, t.TSA)
		if t.URL != "" {
			w.String(`,"url":`, t.URL)
		}
		w.Time(`,"time":`, t.Time)
		w.String(`,"serial":`, t.Serial)
		w.String(`,"sha256":`, t.SHA256)
		w.Raw("}")
	}
	w.String(`{"id":`, v.ID)
	w.String(`,"status":`, v.Status)
	w.String(`,"sha256":`, v.SHA256)
	if v.SM3 != "" {
		w.String(`,"sm3":`, v.SM3)
	}
	w.Int(`,"size":`, v.Size)
	w.String(`,"media_type":`, v.MediaType)
	for _, f := range [...]struct{ key, s string }{
		{`,"file_name":`, v.FileName}, {`,"title":`, v.Title}, {`,"description":`, v.Description},
		{`,"case_ref":`, v.CaseRef}, {`,"matter":`, v.Matter},
	} {
		if f.s != "" {
			w.String(f.key, f.s)
		}
	}
	w.Bool(`,"unlisted":`, v.Unlisted)
	if v.AnchoredHeight != 0 {
		w.Int(`,"anchored_height":`, v.AnchoredHeight)
	}
	if v.CapturedAt != nil {
		w.Time(`,"captured_at":`, *v.CapturedAt)
	}
	w.Time(`,"created_at":`, v.CreatedAt)
	w.String(`,"owner":`, v.Owner)
	if v.OwnerOrgName != "" {
		w.String(`,"owner_org_name":`, v.OwnerOrgName)
	}
	w.Raw(`,"timestamp":`)
	token(&v.Timestamp)
	w.Raw(`,"timestamps":`)
	if v.Timestamps == nil {
		w.Raw("null")
	} else {
		w.Raw("[")
		for i := range v.Timestamps {
			if i > 0 {
				w.Raw(",")
			}
			token(&v.Timestamps[i])
		}
		w.Raw("]")
	}
	w.Raw("}")
	return w.B, w.OK
}

// marshalView is json.Marshal(v), through appendViewJSON when it can.
func marshalView(v *wire.EvidenceView) ([]byte, error) {
	if b, ok := appendViewJSON(make([]byte, 0, 1024), v); ok {
		return b, nil
	}
	return json.Marshal(v)
}
