package receipt

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/custos-project/custos/internal/strictjson"
)

// The fast paths of Parse and ParseTrust: the same documents decoded
// without encoding/json's reflection, which in the browser verifier is much
// of the first verification's cost (docs/performance.md, "The page's
// first verdict: less code on the first call's path"). A fast path either
// gives exactly what the encoding/json path gives, or declines (ok false)
// and Parse and ParseTrust take the encoding/json path, whose result and
// error messages stand. It declines whatever it does not handle exactly
// (strictjson.Scanner), so it only has to be right when it accepts:
// FuzzFastParseIsParse and FuzzFastParseTrustIsParseTrust check that. A
// field added to Receipt or Trust that the fast path does not know makes
// it decline every document that has the field; TestFastPathFields lists
// the fields it knows, so that a new one is added here too.

// parseFast is Parse without encoding/json: decode, check, re-encode by
// hand and compare with b.
func parseFast(b []byte) (*Receipt, bool) {
	s := strictjson.NewScanner(b)
	var r Receipt
	if !s.Object(r.member(s)) || !s.End() {
		return nil, false
	}
	if r.Version < Version1 || r.Version > MaxVersion || r.check() != nil {
		return nil, false
	}
	again, ok := r.appendCanonical(make([]byte, 0, len(b)))
	if !ok || !bytes.Equal(again, b) {
		return nil, false
	}
	return &r, true
}

func (r *Receipt) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "version":
			r.Version, ok = s.Int()
		case "evidence":
			ok = s.Object(r.Evidence.member(s))
		case "timestamps":
			r.Timestamps, ok = s.Strings()
		case "events":
			r.Events = []AnchoredEvent{}
			ok = s.Array(func() bool {
				var e AnchoredEvent
				ok := s.Object(e.member(s))
				r.Events = append(r.Events, e)
				return ok
			})
		case "custody":
			r.Custody = &CustodyProof{}
			ok = s.Object(r.Custody.member(s))
		case "checkpoint":
			ok = s.Object(r.Checkpoint.member(s))
		case "evidence_record":
			r.EvidenceRecord, ok = s.String()
		}
		return ok
	}
}

func (ev *Evidence) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "id":
			ev.ID, ok = s.String()
		case "sha256":
			ev.SHA256, ok = s.String()
		case "sm3":
			ev.SM3, ok = s.String()
		case "size":
			ev.Size, ok = s.Int64()
		case "media_type":
			ev.MediaType, ok = s.String()
		}
		return ok
	}
}

func (e *AnchoredEvent) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "event":
			e.Event, ok = s.String()
		case "leaf_index":
			e.LeafIndex, ok = s.Uint64()
		case "proof":
			e.Proof, ok = s.Strings()
		case "item_proof":
			e.ItemProof, ok = s.Strings()
		}
		return ok
	}
}

func (c *CustodyProof) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "head":
			c.Head, ok = s.String()
		case "proof":
			c.Proof, ok = s.Strings()
		case "other":
			c.Other, ok = s.Strings()
		}
		return ok
	}
}

func (c *Checkpoint) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "chain_id":
			c.ChainID, ok = s.String()
		case "height":
			c.Height, ok = s.Int64()
		case "tree_size":
			c.TreeSize, ok = s.Uint64()
		case "root":
			c.Root, ok = s.String()
		case "state_root":
			c.StateRoot, ok = s.String()
		case "heads_since":
			var v uint64
			v, ok = s.Uint64()
			c.HeadsSince = &v
		case "signed_header":
			c.SignedHeader, ok = s.String()
		case "validator_set":
			c.ValidatorSet, ok = s.String()
		case "transitions":
			c.Transitions, ok = scanTransitions(s)
		}
		return ok
	}
}

// scanTransitions reads a list of transitions; [] gives an empty, non-nil
// slice, as encoding/json does.
func scanTransitions(s *strictjson.Scanner) ([]Transition, bool) {
	l := []Transition{}
	ok := s.Array(func() bool {
		var t Transition
		ok := s.Object(t.member(s))
		l = append(l, t)
		return ok
	})
	return l, ok
}

func (t *Transition) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "height":
			t.Height, ok = s.Int64()
		case "signed_header":
			t.SignedHeader, ok = s.String()
		case "next_validator_set":
			t.NextValidatorSet, ok = s.String()
		case "validator_set":
			t.ValidatorSet, ok = s.String()
		}
		return ok
	}
}

// appendCanonical is what Encode writes for a checked r, by hand: the
// fields in declaration order, omitempty as declared, nil proofs as [].
// It declines (ok false) a string that is not valid UTF-8, which the two
// builds of encoding/json spell differently (strictjson.AppendString).
func (r *Receipt) appendCanonical(b []byte) (_ []byte, ok bool) {
	w := canonWriter{b: b, ok: true}
	w.raw(`{"version":`)
	w.int(int64(r.Version))
	ev := &r.Evidence
	w.raw(`,"evidence":{"id":`)
	w.str(ev.ID)
	w.field(`,"sha256":`, ev.SHA256)
	if ev.SM3 != "" {
		w.field(`,"sm3":`, ev.SM3)
	}
	w.raw(`,"size":`)
	w.int(ev.Size)
	w.field(`,"media_type":`, ev.MediaType)
	w.raw(`},"timestamps":`)
	w.strs(r.Timestamps)
	w.raw(`,"events":[`)
	for i, e := range r.Events {
		if i > 0 {
			w.raw(",")
		}
		w.field(`{"event":`, e.Event)
		w.raw(`,"leaf_index":`)
		w.uint(e.LeafIndex)
		w.raw(`,"proof":`)
		w.strs(e.Proof)
		if len(e.ItemProof) > 0 {
			w.raw(`,"item_proof":`)
			w.strs(e.ItemProof)
		}
		w.raw("}")
	}
	w.raw("]")
	if c := r.Custody; c != nil {
		w.field(`,"custody":{"head":`, c.Head)
		w.raw(`,"proof":`)
		w.strs(c.Proof)
		if len(c.Other) > 0 {
			w.raw(`,"other":`)
			w.strs(c.Other)
		}
		w.raw("}")
	}
	r.Checkpoint.appendCanonical(&w)
	if r.EvidenceRecord != "" {
		w.field(`,"evidence_record":`, r.EvidenceRecord)
	}
	w.raw("}")
	return w.b, w.ok
}

func (c *Checkpoint) appendCanonical(w *canonWriter) {
	w.field(`,"checkpoint":{"chain_id":`, c.ChainID)
	w.raw(`,"height":`)
	w.int(c.Height)
	w.raw(`,"tree_size":`)
	w.uint(c.TreeSize)
	w.field(`,"root":`, c.Root)
	if c.StateRoot != "" {
		w.field(`,"state_root":`, c.StateRoot)
	}
	if c.HeadsSince != nil {
		w.raw(`,"heads_since":`)
		w.uint(*c.HeadsSince)
	}
	w.field(`,"signed_header":`, c.SignedHeader)
	w.field(`,"validator_set":`, c.ValidatorSet)
	if len(c.Transitions) > 0 {
		w.raw(`,"transitions":[`)
		for i, t := range c.Transitions {
			if i > 0 {
				w.raw(",")
			}
			w.raw(`{"height":`)
			w.int(t.Height)
			w.field(`,"signed_header":`, t.SignedHeader)
			w.field(`,"next_validator_set":`, t.NextValidatorSet)
			if t.ValidatorSet != "" {
				w.field(`,"validator_set":`, t.ValidatorSet)
			}
			w.raw("}")
		}
		w.raw("]")
	}
	w.raw("}")
}

// canonWriter appends encoding/json's spelling of values.
type canonWriter struct {
	b  []byte
	ok bool
}

func (w *canonWriter) raw(s string)         { w.b = append(w.b, s...) }
func (w *canonWriter) int(v int64)          { w.b = strconv.AppendInt(w.b, v, 10) }
func (w *canonWriter) uint(v uint64)        { w.b = strconv.AppendUint(w.b, v, 10) }
func (w *canonWriter) field(name, v string) { w.raw(name); w.str(v) }

func (w *canonWriter) str(s string) {
	if !utf8.ValidString(s) {
		w.ok = false
		return
	}
	w.b = strictjson.AppendString(w.b, s)
}

// strs writes a list of strings, nil as [] (Encode makes nil proofs []).
func (w *canonWriter) strs(l []string) {
	w.raw("[")
	for i, s := range l {
		if i > 0 {
			w.raw(",")
		}
		w.str(s)
	}
	w.raw("]")
}

// parseTrustFast is ParseTrust without encoding/json.
func parseTrustFast(b []byte) (*Trust, bool) {
	s := strictjson.NewScanner(b)
	var t Trust
	if !s.Object(t.member(s)) || !s.End() || t.check() != nil {
		return nil, false
	}
	if len(t.Transitions) == 0 {
		t.Transitions = nil
	}
	return &t, true
}

func (t *Trust) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "version":
			t.Version, ok = s.Int()
		case "chain_id":
			t.ChainID, ok = s.String()
		case "root_pem":
			t.RootPEM, ok = s.String()
		case "validators":
			t.Validators, ok = scanValidators(s)
		case "tsa_chain_pem":
			t.TSAChain, ok = s.String()
		case "tsa":
			t.TSAName, ok = s.String()
		case "tsa_roots_pem":
			t.TSARootsPEM, ok = s.String()
		case "transitions":
			t.Transitions, ok = scanTransitions(s)
		case "validators_current":
			t.ValidatorsCurrent, ok = scanValidators(s)
		case "transitions_through":
			t.TransitionsThrough, ok = s.Int64()
		case "suites":
			t.Suites = &Suites{}
			ok = s.Object(t.Suites.member(s))
		}
		return ok
	}
}

// scanValidators reads a list of validators; [] gives an empty, non-nil
// slice, as encoding/json does.
func scanValidators(s *strictjson.Scanner) ([]Validator, bool) {
	l := []Validator{}
	ok := s.Array(func() bool {
		var v Validator
		ok := s.Object(v.member(s))
		l = append(l, v)
		return ok
	})
	return l, ok
}

func (v *Validator) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "name":
			v.Name, ok = s.String()
		case "kind":
			v.Kind, ok = s.String()
		case "pub_key":
			v.PubKey, ok = s.String()
		case "power":
			v.Power, ok = s.Int64()
		case "cert_pem":
			v.CertPEM, ok = s.String()
		}
		return ok
	}
}

func (su *Suites) member(s *strictjson.Scanner) func(string) bool {
	return func(key string) (ok bool) {
		switch key {
		case "certificates":
			su.Certificates, ok = s.String()
		case "tokens":
			su.Tokens, ok = s.String()
		case "pdfs":
			su.PDFs, ok = s.String()
		case "consensus":
			su.Consensus, ok = s.String()
		}
		return ok
	}
}
