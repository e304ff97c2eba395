package custody

import (
	"bytes"

	"github.com/custos-project/custos/internal/strictjson"
)

// The fast paths of Decode and DecodeHead: the same canonical bytes decoded
// without encoding/json's reflection, which in the browser verifier is a
// large part of the first verification's cost (docs/performance.md, "The
// page's first verdict: less code on the first call's path"). A fast path
// either gives exactly what the encoding/json path gives, or declines (ok
// false) and Decode and DecodeHead take that path, whose result and errors
// stand (strictjson.Scanner declines whatever it does not decode exactly as
// encoding/json does). FuzzFastDecodeIsDecode checks that; TestFastPathFields
// lists the fields the fast paths know.

func decodeFast(b []byte) (*Event, bool) {
	s := strictjson.NewScanner(b)
	var e Event
	if !s.Object(e.member(s)) || !s.End() || e.check() != nil {
		return nil, false
	}
	if again, err := e.marshal(); err != nil || !bytes.Equal(again, b) {
		return nil, false
	}
	return &e, true
}

func (e *Event) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "v":
			e.V, ok = s.Int()
		case "evidence":
			e.Evidence, ok = s.String()
		case "seq":
			e.Seq, ok = s.Uint32()
		case "type":
			e.Type, ok = s.String()
		case "time":
			e.Time, ok = s.String()
		case "actor":
			e.Actor, ok = s.String()
		case "prev":
			e.Prev, ok = s.String()
		case "sha256":
			e.SHA256, ok = s.String()
		case "sm3":
			e.SM3, ok = s.String()
		case "size":
			e.Size, ok = s.Int64()
		case "media_type":
			e.MediaType, ok = s.String()
		case "tokens":
			e.Tokens, ok = s.Strings()
		case "subject":
			e.Subject, ok = s.String()
		case "reads":
			e.Reads, ok = s.Int64()
		case "since":
			e.Since, ok = s.String()
		}
		return ok
	}
}

func decodeHeadFast(b []byte) (*Head, bool) {
	s := strictjson.NewScanner(b)
	var h Head
	if !s.Object(h.member(s)) || !s.End() || h.check() != nil || !bytes.Equal(h.marshal(), b) {
		return nil, false
	}
	return &h, true
}

func (h *Head) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "v":
			h.V, ok = s.Int()
		case "evidence":
			h.Evidence, ok = s.String()
		case "count":
			h.Count, ok = s.Uint32()
		case "root":
			h.Root, ok = s.String()
		case "types":
			h.Types = map[string]uint32{}
			ok = s.Object(func(t string) bool {
				n, ok := s.Uint32()
				h.Types[t] = n
				return ok
			})
		}
		return ok
	}
}
