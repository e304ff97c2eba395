package api

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/evidence/sharing"
	prob "github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/webhooks"
)

// proposalShape is what proposalView answers of a proposal: the chain's
// record and the SHA-256 a version-9 vote names of it (TestWireShapes).
type proposalShape struct {
	anchor.ProposalState
	SHA256 string `json:"sha256"`
}

// TestWireShapes holds package wire true to what the server sends: each
// domain or server type the API encodes has, in wire, a type of the same
// JSON shape (the same field names and options, of the same JSON kinds,
// recursively), so that a client decoding into wire misses nothing.
func TestWireShapes(t *testing.T) {
	pairs := []struct{ server, wire any }{
		{evidence.Meta{}, wire.Meta{}},
		{evidence.TokenInfo{}, wire.TokenInfo{}},
		{evidence.PendingRead{}, wire.PendingRead{}},
		{lookupView{}, wire.Lookup{}},
		{sharing.Matter{}, wire.Matter{}},
		{sharing.MatterInput{}, wire.MatterInput{}},
		{ShareView{}, wire.Share{}},
		{CertificateView{}, wire.Certificate{}},
		{certificates.Person{}, wire.Person{}},
		{copyright.DocumentItem{}, wire.DocumentCheckItem{}},
		{copyright.Work{}, wire.Work{}},
		{copyright.Copyright{}, wire.Copyright{}},
		{TransferOfferView{}, wire.TransferOffer{}},
		{integrity.AuditStatus{}, wire.AuditStatus{}},
		{evidence.FieldError{}, wire.FieldError{}},
		{access.Org{}, wire.Org{}},
		{OrgView{}, wire.OrgView{}},
		{access.Key{}, wire.Key{}},
		{webhooks.Webhook{}, wire.Webhook{}},
		{webhooks.Delivery{}, wire.Delivery{}},
		{anchor.UpgradePlan{}, wire.UpgradePlan{}},
		{Problem{}, wire.Problem{}},
		{MeView{}, wire.MeView{}},
		{NewKeyView{}, wire.NewKeyView{}},
		{NewWebhookView{}, wire.NewWebhookView{}},
		{ChainStatusView{}, wire.ChainStatusView{}},
		{TransferAnswer{}, wire.TransferAnswer{}},
		{anchor.Member{}, wire.Member{}},
		{anchor.MemberCA{}, wire.MemberCA{}},
		{proposalShape{}, wire.Proposal{}},
		{anchor.GovVote{}, wire.Vote{}},
	}
	for _, p := range pairs {
		st, wt := reflect.TypeOf(p.server), reflect.TypeOf(p.wire)
		t.Run(st.String(), func(t *testing.T) {
			if got, want := jsonShape(wt, nil), jsonShape(st, nil); got != want {
				t.Errorf("jsonShape(%v) =\n%s\nwant (as %v)\n%s", wt, got, st, want)
			}
		})
	}
	if wire.ProblemBase != prob.Base {
		t.Errorf("wire.ProblemBase = %q, want %q", wire.ProblemBase, prob.Base)
	}
}

// TestJSONShapeTellsApart shows that jsonShape sees the differences the
// pairs above must not have.
func TestJSONShapeTellsApart(t *testing.T) {
	type a struct {
		X string `json:"x,omitempty"`
	}
	type renamed struct {
		X string `json:"y,omitempty"`
	}
	type notOmitted struct {
		X string `json:"x"`
	}
	type retyped struct {
		X int `json:"x,omitempty"`
	}
	type extra struct {
		X string `json:"x,omitempty"`
		Y string `json:"y"`
	}
	for _, other := range []any{renamed{}, notOmitted{}, retyped{}, extra{}} {
		if jsonShape(reflect.TypeOf(a{}), nil) == jsonShape(reflect.TypeOf(other), nil) {
			t.Errorf("jsonShape(%T) = jsonShape(%T)", a{}, other)
		}
	}
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// jsonShape describes how encoding/json writes values of t: one line per
// field path with its options and JSON kind. Types with their own
// encoding are named, and must then be the same type on both sides.
func jsonShape(t reflect.Type, seen map[reflect.Type]bool) string {
	switch {
	case t == timeType:
		return "time"
	case t == rawType:
		return "raw"
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
		t.Implements(textType) || reflect.PointerTo(t).Implements(textType):
		return "marshaler " + t.String()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + jsonShape(t.Elem(), seen)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "bytes"
		}
		return "[]" + jsonShape(t.Elem(), seen)
	case reflect.Map:
		return "map[" + t.Key().Kind().String() + "]" + jsonShape(t.Elem(), seen)
	case reflect.Struct:
		if seen[t] {
			return "recursive " + t.Name()
		}
		seen = mapWith(seen, t)
		var fields []string
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || len(f.Index) > 1 && !embeddedJSON(t, f.Index) {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
				continue // its fields are promoted: VisibleFields lists them
			}
			fields = append(fields, fmt.Sprintf("%s %s", tag, strings.ReplaceAll(jsonShape(f.Type, seen), "\n", "\n\t")))
		}
		sort.Strings(fields)
		return "{\n\t" + strings.Join(fields, "\n\t") + "\n}"
	}
	return t.Kind().String()
}

// embeddedJSON reports whether a promoted field (index path) reaches the
// top through untagged embedded structs only, as encoding/json promotes it.
func embeddedJSON(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		f := t.Field(i)
		if !f.Anonymous || f.Tag.Get("json") != "" {
			return false
		}
		t = f.Type
	}
	return true
}

func mapWith(m map[reflect.Type]bool, t reflect.Type) map[reflect.Type]bool {
	out := map[reflect.Type]bool{t: true}
	for k := range m {
		out[k] = true
	}
	return out
}
