package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
)

// Outcomes in the authorization matrix.
const (
	allow  = "2xx"
	deny   = "403"
	hidden = "404"
)

// authzWorld is the cast of the matrix: the operator's admin, and keys of
// every role in law firm A, a key of law firm B (another organization),
// and a court's examiner (with whom A's second item is shared).
type authzWorld struct {
	t                  *testing.T // for setting up throwaway objects
	n                  *proc
	keys               map[string]string // role → token
	roles              map[string]string // a key of keys → its role
	orgA, orgB, court  string
	orgN               string // a notary office, with which A and B share evA and evB
	evA, evB, evShared string // evidence of A, of B, and of A shared with the court
	matterA, matterB   string
	shareA, shareB     string
	hookA, hookB       string // webhooks of A and of B
	certA, certOp      string // certificates: by the notary office N over A's item; by the operator over its own
	certAToken         string // certA's verification token
	keyA               string // a key of A (to revoke)
	crA, crB           string // copyright registrations of A (its certificate issued) and of B
	dataA              []byte
}

func (w *authzWorld) req(t *testing.T, method, path, role string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	var hdr []string
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case multipartBody:
		r, hdr = bytes.NewReader(b.data), []string{"Content-Type", b.contentType}
	default:
		j, _ := json.Marshal(b)
		r, hdr = bytes.NewReader(j), []string{"Content-Type", "application/json"}
	}
	status, _, out := w.n.call(method, path, w.keys[role], r, hdr...)
	return status, out
}

func (w *authzWorld) mustCreate(t *testing.T, role, path string, body any, v any) {
	t.Helper()
	status, b := w.req(t, "POST", path, role, body)
	if status != http.StatusCreated {
		t.Fatalf("setup: POST %s as %s = %d %s", path, role, status, b)
	}
	mustJSON(t, b, v)
}

func newAuthzWorld(t *testing.T) *authzWorld {
	n := startNode(t, t.TempDir(), "")
	w := &authzWorld{t: t, n: n, keys: map[string]string{"admin": n.Token}, roles: map[string]string{"admin": "admin"}}
	var o struct{ ID string }
	w.mustCreate(t, "admin", "/api/v1/orgs", map[string]string{"kind": "lawfirm", "name": "Law Firm A"}, &o)
	w.orgA = o.ID
	w.mustCreate(t, "admin", "/api/v1/orgs", map[string]string{"kind": "lawfirm", "name": "Law Firm B"}, &o)
	w.orgB = o.ID
	w.mustCreate(t, "admin", "/api/v1/orgs", map[string]string{"kind": "court", "name": "Hangzhou Internet Court"}, &o)
	w.court = o.ID
	w.mustCreate(t, "admin", "/api/v1/orgs", map[string]string{"kind": "notary", "name": "Hangzhou Notary Office"}, &o)
	w.orgN = o.ID
	for _, k := range []struct{ name, org, role string }{
		{"submitter", w.orgA, "submitter"}, {"viewer", w.orgA, "viewer"}, {"notary", w.orgA, "notary"},
		{"other", w.orgB, "submitter"}, {"examiner", w.court, "examiner"}, {"spare", w.orgA, "viewer"},
		{"notaryN", w.orgN, "notary"},
	} {
		var nk api.NewKeyView
		w.mustCreate(t, "admin", "/api/v1/orgs/"+k.org+"/keys", map[string]string{"role": k.role, "name": k.name}, &nk)
		w.keys[k.name], w.roles[k.name] = nk.Token, k.role
		if k.name == "spare" {
			w.keyA = nk.Key.ID
		}
	}
	var m struct{ ID string }
	w.mustCreate(t, "submitter", "/api/v1/matters", map[string]any{"title": "A v. C", "parties": []string{"A", "C"}}, &m)
	w.matterA = m.ID
	w.mustCreate(t, "other", "/api/v1/matters", map[string]any{"title": "B's matter"}, &m)
	w.matterB = m.ID
	w.dataA = []byte("law firm A's exhibit")
	w.evA = n.upload(w.keys["submitter"], w.dataA, "Custos-Metadata", `{"matter":"`+w.matterA+`"}`).ID
	w.evShared = n.upload(w.keys["submitter"], []byte("shared with the court")).ID
	w.evB = n.upload(w.keys["other"], []byte("law firm B's exhibit")).ID
	var sh struct{ ID string }
	w.mustCreate(t, "submitter", "/api/v1/shares", map[string]any{"evidence": w.evShared, "org": w.court}, &sh)
	w.shareA = sh.ID
	w.mustCreate(t, "other", "/api/v1/shares", map[string]any{"evidence": w.evB, "org": w.court}, &sh)
	w.shareB = sh.ID
	w.mustCreate(t, "submitter", "/api/v1/shares", map[string]any{"evidence": w.evA, "org": w.orgN}, &sh)
	w.mustCreate(t, "other", "/api/v1/shares", map[string]any{"evidence": w.evB, "org": w.orgN}, &sh)
	w.mustCreate(t, "submitter", "/api/v1/shares", map[string]any{"evidence": w.evShared, "org": w.orgN}, &sh)
	var hk api.NewWebhookView
	w.mustCreate(t, "submitter", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/a", "events": []string{"evidence.shared"}}, &hk)
	w.hookA = hk.Webhook.ID
	w.mustCreate(t, "other", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/b", "events": []string{"evidence.shared"}}, &hk)
	w.hookB = hk.Webhook.ID
	var cr struct{ ID string }
	w.mustCreate(t, "submitter", "/api/v1/copyrights", copyrightForm(t, []byte("A's poem")), &cr)
	w.crA = cr.ID
	w.mustCreate(t, "other", "/api/v1/copyrights", copyrightForm(t, []byte("B's poem")), &cr)
	w.crB = cr.ID
	// Anchor everything, so that receipts exist.
	if status, b := w.req(t, "GET", "/api/v1/evidence/"+w.evA+"/receipt?wait=20s", "submitter", nil); status != 200 {
		t.Fatalf("setup: receipt = %d %s", status, b)
	}
	// And their evidence records, built behind finality.
	for _, ev := range []struct{ id, key string }{{w.evShared, "submitter"}, {w.evB, "other"}} {
		for end := time.Now().Add(30 * time.Second); ; {
			status, b := w.req(t, "GET", "/api/v1/evidence/"+ev.id+"/evidence-record", ev.key, nil)
			if status == 200 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("setup: evidence record of %s = %d %s", ev.id, status, b)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The node registers its organizations in the directory within seconds.
	for end := time.Now().Add(30 * time.Second); ; {
		status, b := w.req(t, "GET", "/api/v1/directory/"+w.orgA, "admin", nil)
		if status == 200 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("setup: directory entry of org A = %d %s", status, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Issue A's registration certificate, so that its verification view exists.
	if status, b := w.req(t, "GET", "/api/v1/copyrights/"+w.crA+".pdf", "submitter", nil); status != 200 {
		t.Fatalf("setup: certificate = %d %s", status, tailString(string(b), 300))
	}
	var cert struct {
		ID          string
		VerifyToken string `json:"verify_token"`
	}
	w.mustCreate(t, "notaryN", "/api/v1/certificates", map[string]any{"evidence": []string{w.evShared}}, &cert)
	w.certA, w.certAToken = cert.ID, cert.VerifyToken
	evOp := n.upload(n.Token, []byte("the operator's own exhibit")).ID
	w.mustCreate(t, "admin", "/api/v1/certificates", map[string]any{"evidence": []string{evOp}}, &cert)
	w.certOp = cert.ID
	return w
}

// freshShare makes a throwaway share of A's matter with law firm B.
func (w *authzWorld) freshShare() string {
	var sh struct{ ID string }
	w.mustCreate(w.t, "submitter", "/api/v1/shares", map[string]any{"matter": w.matterA, "org": w.orgB}, &sh)
	return sh.ID
}

// freshCopyright registers a throwaway work of law firm A.
func (w *authzWorld) freshCopyright() string {
	var cr struct{ ID string }
	w.mustCreate(w.t, "submitter", "/api/v1/copyrights", copyrightForm(w.t, []byte("throwaway "+evidence.NewID())), &cr)
	return cr.ID
}

// freshOffer makes a throwaway transfer offer, of a fresh registration of
// the organization of role from's key, to the organization to; it returns
// the offer's ID.
func (w *authzWorld) freshOffer(from, to string) string {
	var cr, o struct{ ID string }
	w.mustCreate(w.t, from, "/api/v1/copyrights", copyrightForm(w.t, []byte("offered "+evidence.NewID())), &cr)
	w.mustCreate(w.t, from, "/api/v1/copyrights/"+cr.ID+"/transfers", map[string]string{"to": to}, &o)
	return o.ID
}

// freshHook makes a throwaway webhook of law firm A.
func (w *authzWorld) freshHook() string {
	var hk api.NewWebhookView
	w.mustCreate(w.t, "submitter", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/t", "events": []string{"evidence.anchored"}}, &hk)
	return hk.Webhook.ID
}

// freshKey makes a throwaway key of law firm A.
func (w *authzWorld) freshKey() string {
	var nk api.NewKeyView
	w.mustCreate(w.t, "admin", "/api/v1/orgs/"+w.orgA+"/keys", map[string]string{"role": "viewer", "name": "throwaway"}, &nk)
	return nk.Key.ID
}

// matrixCase is one operation: how to call it on the caller's own
// organization's object (own) and on another organization's (other), and
// the outcome for each role. A role missing from a map expects 403.
type matrixCase struct {
	own, other         func(w *authzWorld) (method, path string, body any)
	ownWant, otherWant map[string]string
	public             bool // no authentication at all
}

var matrixRoles = []string{"admin", "submitter", "viewer", "notary", "examiner"}

func get(path func(w *authzWorld) string) func(w *authzWorld) (string, string, any) {
	return func(w *authzWorld) (string, string, any) { return "GET", path(w), nil }
}

func call(method string, path func(w *authzWorld) string, body func(w *authzWorld) any) func(w *authzWorld) (string, string, any) {
	return func(w *authzWorld) (string, string, any) {
		var b any
		if body != nil {
			b = body(w)
		}
		return method, path(w), b
	}
}

// outcomes builds a role → outcome map.
func outcomes(pairs ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		for _, r := range strings.Split(pairs[i], ",") {
			m[r] = pairs[i+1]
		}
	}
	return m
}

func authzMatrix() map[string]matrixCase {
	// Evidence reads. "own" is law firm A's item that A shared with the
	// court; "other" is law firm B's item, which B shared with the court.
	// The operator's admin belongs to neither: it sees neither.
	evRead := func(method, suffix string) matrixCase {
		return matrixCase{
			own:       call(method, func(w *authzWorld) string { return "/api/v1/evidence/" + w.evShared + suffix }, nil),
			other:     call(method, func(w *authzWorld) string { return "/api/v1/evidence/" + w.evB + suffix }, nil),
			ownWant:   outcomes("submitter,viewer,notary,examiner", allow, "admin", hidden),
			otherWant: outcomes("submitter,viewer,notary,admin", hidden, "examiner", allow),
		}
	}
	all := "admin,submitter,viewer,notary,examiner"
	certRead := func(suffix string) matrixCase {
		return matrixCase{
			own:       get(func(w *authzWorld) string { return "/api/v1/certificates/" + w.certA + suffix }),
			other:     get(func(w *authzWorld) string { return "/api/v1/certificates/" + w.certOp + suffix }),
			ownWant:   outcomes("submitter,viewer,notary", allow, "admin,examiner", hidden),
			otherWant: outcomes("admin", allow, "submitter,viewer,notary,examiner", hidden),
		}
	}
	// An act on a transfer offer: "own" is an offer to A (accept,
	// decline) or by A (withdraw); "other" is B's offer to the court.
	offerAct := func(act string) matrixCase {
		return matrixCase{
			own: call("POST", func(w *authzWorld) string {
				if act == "withdraw" {
					return "/api/v1/copyrights/transfers/" + w.freshOffer("submitter", w.orgB) + "/" + act
				}
				return "/api/v1/copyrights/transfers/" + w.freshOffer("other", w.orgA) + "/" + act
			}, nil),
			other: call("POST", func(w *authzWorld) string {
				return "/api/v1/copyrights/transfers/" + w.freshOffer("other", w.court) + "/" + act
			}, nil),
			ownWant:   outcomes("submitter", allow, "admin", hidden),
			otherWant: outcomes("submitter,admin", hidden),
		}
	}
	return map[string]matrixCase{
		"POST /api/v1/evidence": {
			own:     call("POST", func(*authzWorld) string { return "/api/v1/evidence" }, func(*authzWorld) any { return []byte("new exhibit") }),
			ownWant: outcomes("admin,submitter", allow),
		},
		"GET /api/v1/evidence":                {own: get(func(*authzWorld) string { return "/api/v1/evidence" }), ownWant: outcomes(all, allow)},
		"GET /api/v1/evidence/{id}":           evRead("GET", ""),
		"GET /api/v1/evidence/{id}/content":   evRead("GET", "/content"),
		"HEAD /api/v1/evidence/{id}/content":  evRead("HEAD", "/content"),
		"GET /api/v1/evidence/{id}/custody":   evRead("GET", "/custody"),
		"GET /api/v1/evidence/{id}/timestamp": evRead("GET", "/timestamp"),
		"GET /api/v1/evidence/{id}/receipt":   evRead("GET", "/receipt?wait=20s"),
		// Everything is anchored (see the setup), but the record is built
		// behind finality: 404 evidence-record-pending is as readable an
		// answer as 200 for whoever may read the item.
		"GET /api/v1/evidence/{id}/evidence-record": evRead("GET", "/evidence-record"),
		"POST /api/v1/matters": {
			own:     call("POST", func(*authzWorld) string { return "/api/v1/matters" }, func(*authzWorld) any { return map[string]any{"title": "another matter"} }),
			ownWant: outcomes("admin,submitter", allow),
		},
		"GET /api/v1/matters": {own: get(func(*authzWorld) string { return "/api/v1/matters" }), ownWant: outcomes(all, allow)},
		"GET /api/v1/matters/{id}": {
			own:       get(func(w *authzWorld) string { return "/api/v1/matters/" + w.matterA }),
			other:     get(func(w *authzWorld) string { return "/api/v1/matters/" + w.matterB }),
			ownWant:   outcomes("submitter,viewer,notary", allow, "admin,examiner", hidden),
			otherWant: outcomes(all, hidden),
		},
		"POST /api/v1/shares": {
			own:       call("POST", func(*authzWorld) string { return "/api/v1/shares" }, func(w *authzWorld) any { return map[string]any{"evidence": w.evA, "org": w.court} }),
			other:     call("POST", func(*authzWorld) string { return "/api/v1/shares" }, func(w *authzWorld) any { return map[string]any{"evidence": w.evB, "org": w.court} }),
			ownWant:   outcomes("submitter", allow, "admin", hidden),
			otherWant: outcomes("submitter,admin", hidden),
		},
		"GET /api/v1/shares": {own: get(func(*authzWorld) string { return "/api/v1/shares" }), ownWant: outcomes(all, allow)},
		"DELETE /api/v1/shares/{id}": {
			// A fresh share each time: revoking the setup's shares would
			// change what the other operations' checks see.
			own:       call("DELETE", func(w *authzWorld) string { return "/api/v1/shares/" + w.freshShare() }, nil),
			other:     call("DELETE", func(w *authzWorld) string { return "/api/v1/shares/" + w.shareB }, nil),
			ownWant:   outcomes("submitter", allow, "admin", hidden),
			otherWant: outcomes("submitter,admin", hidden),
		},
		"POST /api/v1/webhooks": {
			own: call("POST", func(*authzWorld) string { return "/api/v1/webhooks" }, func(*authzWorld) any {
				return map[string]any{"url": "https://hooks.example.com/n", "events": []string{"evidence.shared"}}
			}),
			ownWant: outcomes("admin,submitter", allow),
		},
		"GET /api/v1/webhooks": {own: get(func(*authzWorld) string { return "/api/v1/webhooks" }), ownWant: outcomes("admin,submitter", allow)},
		"DELETE /api/v1/webhooks/{id}": {
			own:       call("DELETE", func(w *authzWorld) string { return "/api/v1/webhooks/" + w.freshHook() }, nil),
			other:     call("DELETE", func(w *authzWorld) string { return "/api/v1/webhooks/" + w.hookB }, nil),
			ownWant:   outcomes("submitter", allow, "admin", hidden),
			otherWant: outcomes("submitter,admin", hidden),
		},
		"POST /api/v1/webhooks/{id}/adopt": {
			own:       call("POST", func(w *authzWorld) string { return "/api/v1/webhooks/" + w.freshHook() + "/adopt" }, nil),
			other:     call("POST", func(w *authzWorld) string { return "/api/v1/webhooks/" + w.hookB + "/adopt" }, nil),
			ownWant:   outcomes("submitter", allow, "admin", hidden),
			otherWant: outcomes("submitter,admin", hidden),
		},
		"GET /api/v1/webhooks/{id}/deliveries": {
			own:       get(func(w *authzWorld) string { return "/api/v1/webhooks/" + w.hookA + "/deliveries" }),
			other:     get(func(w *authzWorld) string { return "/api/v1/webhooks/" + w.hookB + "/deliveries" }),
			ownWant:   outcomes("submitter", allow, "admin", hidden),
			otherWant: outcomes("submitter,admin", hidden),
		},
		"GET /api/v1/me": {own: get(func(*authzWorld) string { return "/api/v1/me" }), ownWant: outcomes(all, allow)},
		// The consortium's directory: every key reads all of it.
		"GET /api/v1/directory":      {own: get(func(*authzWorld) string { return "/api/v1/directory" }), ownWant: outcomes(all, allow)},
		"GET /api/v1/directory/{id}": {own: get(func(w *authzWorld) string { return "/api/v1/directory/" + w.orgA }), ownWant: outcomes(all, allow)},
		"POST /api/v1/orgs": {
			own:     call("POST", func(*authzWorld) string { return "/api/v1/orgs" }, func(*authzWorld) any { return map[string]string{"kind": "notary", "name": "New Notary Office"} }),
			ownWant: outcomes("admin", allow),
		},
		"GET /api/v1/orgs":      {own: get(func(*authzWorld) string { return "/api/v1/orgs" }), ownWant: outcomes("admin", allow)},
		"GET /api/v1/orgs/{id}": {own: get(func(w *authzWorld) string { return "/api/v1/orgs/" + w.orgA }), ownWant: outcomes(all, allow)},
		"PATCH /api/v1/orgs/{id}": {
			own:     call("PATCH", func(w *authzWorld) string { return "/api/v1/orgs/" + w.orgA }, func(*authzWorld) any { return map[string]bool{"unlisted_by_default": false} }),
			ownWant: outcomes("admin", allow),
		},
		"GET /api/v1/orgs/{id}/audit": {
			own:       get(func(w *authzWorld) string { return "/api/v1/orgs/" + w.orgA + "/audit" }),
			other:     get(func(w *authzWorld) string { return "/api/v1/orgs/" + w.orgB + "/audit" }),
			ownWant:   outcomes("admin,submitter,viewer,notary", allow, "examiner", hidden),
			otherWant: outcomes("admin", allow, "submitter,viewer,notary,examiner", hidden),
		},
		"POST /api/v1/orgs/{id}/keys": {
			own:     call("POST", func(w *authzWorld) string { return "/api/v1/orgs/" + w.orgA + "/keys" }, func(*authzWorld) any { return map[string]string{"role": "viewer", "name": "new key"} }),
			ownWant: outcomes("admin", allow),
		},
		"GET /api/v1/orgs/{id}/keys": {own: get(func(w *authzWorld) string { return "/api/v1/orgs/" + w.orgA + "/keys" }), ownWant: outcomes("admin", allow)},
		"DELETE /api/v1/keys/{id}":   {own: call("DELETE", func(w *authzWorld) string { return "/api/v1/keys/" + w.freshKey() }, nil), ownWant: outcomes("admin", allow)},
		// The copyright register is public to members; the certificate is
		// the registrant's and owner's; only the owner transfers or revokes
		// (403 not-owner for others: the registration itself is not hidden).
		"POST /api/v1/copyrights": {
			own:     call("POST", func(*authzWorld) string { return "/api/v1/copyrights" }, func(w *authzWorld) any { return copyrightForm(w.t, []byte("new poem "+evidence.NewID())) }),
			ownWant: outcomes("admin,submitter", allow),
		},
		"GET /api/v1/copyrights":        {own: get(func(*authzWorld) string { return "/api/v1/copyrights" }), ownWant: outcomes(all, allow)},
		"GET /api/v1/copyrights/search": {own: get(func(w *authzWorld) string { return "/api/v1/copyrights/search?sha256=" + sha256Hex([]byte("A's poem")) }), ownWant: outcomes(all, allow)},
		"POST /api/v1/copyrights/search": {
			own:     call("POST", func(*authzWorld) string { return "/api/v1/copyrights/search" }, func(w *authzWorld) any { return searchForm(w.t, []byte("A's poem")) }),
			ownWant: outcomes(all, allow),
		},
		"GET /api/v1/copyrights/{id}": {
			own:       get(func(w *authzWorld) string { return "/api/v1/copyrights/" + w.crA }),
			other:     get(func(w *authzWorld) string { return "/api/v1/copyrights/" + w.crB }),
			ownWant:   outcomes(all, allow),
			otherWant: outcomes(all, allow),
		},
		"GET /api/v1/copyrights/{id}.pdf": {
			own:       get(func(w *authzWorld) string { return "/api/v1/copyrights/" + w.crA + ".pdf" }),
			other:     get(func(w *authzWorld) string { return "/api/v1/copyrights/" + w.crB + ".pdf" }),
			ownWant:   outcomes("submitter,viewer,notary", allow, "admin,examiner", hidden),
			otherWant: outcomes(all, hidden),
		},
		// A registration's evidence records: its registrant's and owner's,
		// as its certificate is (they name the files' digests).
		"GET /api/v1/copyrights/{id}/evidence-records": {
			own:       get(func(w *authzWorld) string { return "/api/v1/copyrights/" + w.crA + "/evidence-records" }),
			other:     get(func(w *authzWorld) string { return "/api/v1/copyrights/" + w.crB + "/evidence-records" }),
			ownWant:   outcomes("submitter,viewer,notary", allow, "admin,examiner", hidden),
			otherWant: outcomes(all, hidden),
		},
		// Transfer offers: the owner offers; only the recipient accepts
		// or declines, only the offerer withdraws, and an offer is
		// hidden from everyone else (404).
		"POST /api/v1/copyrights/{id}/transfers": {
			own: call("POST", func(w *authzWorld) string { return "/api/v1/copyrights/" + w.freshCopyright() + "/transfers" }, func(w *authzWorld) any {
				return map[string]string{"to": w.court}
			}),
			other:   call("POST", func(w *authzWorld) string { return "/api/v1/copyrights/" + w.crB + "/transfers" }, func(w *authzWorld) any { return map[string]string{"to": w.court} }),
			ownWant: outcomes("submitter", allow),
		},
		"GET /api/v1/copyrights/transfers": {own: get(func(*authzWorld) string { return "/api/v1/copyrights/transfers" }), ownWant: outcomes(all, allow)},
		"GET /api/v1/copyrights/transfers/{tid}": {
			own:       get(func(w *authzWorld) string { return "/api/v1/copyrights/transfers/" + w.freshOffer("submitter", w.orgB) }),
			other:     get(func(w *authzWorld) string { return "/api/v1/copyrights/transfers/" + w.freshOffer("other", w.court) }),
			ownWant:   outcomes("submitter,viewer,notary", allow, "admin,examiner", hidden),
			otherWant: outcomes("examiner", allow, "admin,submitter,viewer,notary", hidden),
		},
		"POST /api/v1/copyrights/transfers/{tid}/accept":   offerAct("accept"),
		"POST /api/v1/copyrights/transfers/{tid}/decline":  offerAct("decline"),
		"POST /api/v1/copyrights/transfers/{tid}/withdraw": offerAct("withdraw"),
		"POST /api/v1/copyrights/{id}/revoke": {
			own:     call("POST", func(w *authzWorld) string { return "/api/v1/copyrights/" + w.freshCopyright() + "/revoke" }, func(*authzWorld) any { return map[string]string{"reason": "test"} }),
			other:   call("POST", func(w *authzWorld) string { return "/api/v1/copyrights/" + w.crB + "/revoke" }, func(*authzWorld) any { return map[string]string{"reason": "test"} }),
			ownWant: outcomes("submitter", allow),
		},
		// Certificates: only notary organizations and the operator issue
		// them, so A's notary key (a law firm's) is refused; the operator's
		// admin certifies only what the operator may see. A certificate is
		// read by its issuer and the owner of its items (see
		// TestAuthorizationMatrixTwoOwnerCertificate and
		// TestCertifyNeedsNotaryOrganization).
		"POST /api/v1/certificates": {
			own:       call("POST", func(*authzWorld) string { return "/api/v1/certificates" }, func(w *authzWorld) any { return map[string]any{"evidence": []string{w.evShared}} }),
			other:     call("POST", func(*authzWorld) string { return "/api/v1/certificates" }, func(w *authzWorld) any { return map[string]any{"evidence": []string{w.evB}} }),
			ownWant:   outcomes("admin", hidden),
			otherWant: outcomes("admin", hidden),
		},
		"GET /api/v1/certificates":          {own: get(func(*authzWorld) string { return "/api/v1/certificates" }), ownWant: outcomes(all, allow)},
		"GET /api/v1/certificates/{id}":     certRead(""),
		"GET /api/v1/certificates/{id}.pdf": certRead(".pdf"),
		// A certificate's evidence records: read as the certificate is.
		"GET /api/v1/certificates/{id}/evidence-records": certRead("/evidence-records"),
		"GET /api/v1/verify/{token}":                     {public: true, own: get(func(w *authzWorld) string { return "/api/v1/verify/" + w.certAToken })},

		// The integrity audit: admin keys only.
		"GET /api/v1/admin/integrity":  {own: get(func(*authzWorld) string { return "/api/v1/admin/integrity" }), ownWant: outcomes("admin", allow)},
		"POST /api/v1/admin/integrity": {own: call("POST", func(*authzWorld) string { return "/api/v1/admin/integrity" }, nil), ownWant: outcomes("admin", allow)},
		// Evidence-record renewal: admin keys only (a dry run, so that the
		// matrix changes nothing).
		"GET /api/v1/admin/evidence-records/status": {own: get(func(*authzWorld) string { return "/api/v1/admin/evidence-records/status" }), ownWant: outcomes("admin", allow)},
		"POST /api/v1/admin/evidence-records/renew": {own: call("POST", func(*authzWorld) string { return "/api/v1/admin/evidence-records/renew" },
			func(*authzWorld) any { return map[string]any{"dry_run": true} }), ownWant: outcomes("admin", allow)},
		// Chain administration: the operator's admin keys only (a vote for
		// a height already past is a 400, after the permission check).
		"GET /api/v1/admin/chain": {own: get(func(*authzWorld) string { return "/api/v1/admin/chain" }), ownWant: outcomes("admin", allow)},
		"POST /api/v1/admin/chain/upgrade": {own: call("POST", func(*authzWorld) string { return "/api/v1/admin/chain/upgrade" },
			func(*authzWorld) any { return map[string]any{"state_version": 2, "height": 1} }), ownWant: outcomes("admin", "400")},
		// Refused share notices: admin keys only; this node has no peer
		// API, so the admin's answer is 404 (after the permission check).
		"GET /api/v1/admin/peer/refused": {own: get(func(*authzWorld) string { return "/api/v1/admin/peer/refused" }), ownWant: outcomes("admin", hidden)},
		"POST /api/v1/admin/peer/refused/{share}/resend": {own: call("POST", func(w *authzWorld) string { return "/api/v1/admin/peer/refused/" + w.shareA + "/resend" }, nil),
			ownWant: outcomes("admin", hidden)},
		"DELETE /api/v1/admin/peer/refused/{share}": {own: call("DELETE", func(w *authzWorld) string { return "/api/v1/admin/peer/refused/" + w.shareA }, nil),
			ownWant: outcomes("admin", hidden)},

		// Public endpoints: no token needed.
		"GET /healthz":                    {public: true, own: get(func(*authzWorld) string { return "/healthz" })},
		"GET /api/v1/openapi.json":        {public: true, own: get(func(*authzWorld) string { return "/api/v1/openapi.json" })},
		"GET /api/v1/trust":               {public: true, own: get(func(*authzWorld) string { return "/api/v1/trust" })},
		"GET /api/v1/trust/root.pem":      {public: true, own: get(func(*authzWorld) string { return "/api/v1/trust/root.pem" })},
		"GET /api/v1/trust/tsa-chain.pem": {public: true, own: get(func(*authzWorld) string { return "/api/v1/trust/tsa-chain.pem" })},
		"GET /api/v1/lookup":              {public: true, own: get(func(w *authzWorld) string { return "/api/v1/lookup?sha256=" + sha256Hex(w.dataA) })},
		"GET /api/v1/log/checkpoint":      {public: true, own: get(func(*authzWorld) string { return "/api/v1/log/checkpoint" })},
		"GET /api/v1/log/consistency":     {public: true, own: get(func(*authzWorld) string { return "/api/v1/log/consistency?first=1&second=2" })},
		"POST /tsa":                       {public: true}, // RFC 3161 over HTTP; exercised by the TSA tests
		// Governance: public reads; proposals and votes are authorized by
		// the governance key's signature, not a token (TestConsortiumGovernance).
		"GET /api/v1/consortium/members":               {public: true, own: get(func(*authzWorld) string { return "/api/v1/consortium/members" })},
		"GET /api/v1/consortium/proposals":             {public: true, own: get(func(*authzWorld) string { return "/api/v1/consortium/proposals" })},
		"GET /api/v1/consortium/proposals/{id}":        {public: true},
		"POST /api/v1/consortium/proposals":            {public: true},
		"POST /api/v1/consortium/proposals/{id}/votes": {public: true},
		"POST /api/v1/consortium/revocations":          {public: true},
		// / redirects to /verify (303), which the client follows.
		"GET /":              {public: true, own: get(func(*authzWorld) string { return "/" })},
		"GET /verify":        {public: true, own: get(func(*authzWorld) string { return "/verify" })},
		"GET /console":       {public: true, own: get(func(*authzWorld) string { return "/console" })},
		"GET /static/{name}": {public: true, own: get(func(*authzWorld) string { return "/static/verify.js" })},
	}
}

// TestAuthorizationMatrix calls every documented operation as every role,
// on the caller's own organization's object and on another's, and checks
// each outcome: 2xx where allowed, 403 without the permission, 404 for what
// the organization may not see. An operation missing from the matrix fails
// the test, and the OpenAPI route test ties the document to the router.
func TestAuthorizationMatrix(t *testing.T) {
	w := newAuthzWorld(t)
	matrix := authzMatrix()
	_, _, doc := w.n.call("GET", "/api/v1/openapi.json", "", nil)
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	mustJSON(t, doc, &spec)
	var ops []string
	declared := map[string]map[string]json.RawMessage{} // operation → its responses, by status
	for path, item := range spec.Paths {
		for method, raw := range item {
			if m := strings.ToUpper(method); m == "GET" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE" || m == "HEAD" {
				ops = append(ops, m+" "+path)
				var o struct{ Responses map[string]json.RawMessage }
				mustJSON(t, raw, &o)
				declared[m+" "+path] = o.Responses
			}
		}
	}
	sort.Strings(ops)
	for _, op := range ops {
		if _, ok := matrix[op]; !ok {
			t.Errorf("%s is documented but not in the authorization matrix: add it", op)
		}
	}
	for _, op := range ops {
		c, ok := matrix[op]
		if !ok || c.own == nil {
			continue
		}
		t.Run(op, func(t *testing.T) {
			// Each answer's status is one the operation declares.
			isDeclared := func(status int) {
				t.Helper()
				if _, ok := declared[op][strconv.Itoa(status)]; !ok {
					t.Errorf("%s answered %d, which api/openapi.json does not declare for it", op, status)
				}
			}
			method, path, body := c.own(w)
			if c.public {
				status, b := w.req(t, method, path, "", body)
				if status/100 != 2 {
					t.Errorf("public %s %s = %d %s", method, path, status, b)
				}
				if op != "GET /" { // its 303 is followed to /verify
					isDeclared(status)
				}
				return
			}
			status, b := w.req(t, method, path, "", body)
			if status != 401 {
				t.Errorf("%s %s without a token = %d %s, want 401", method, path, status, b)
			}
			isDeclared(status)
			for _, role := range matrixRoles {
				isDeclared(checkOutcome(t, w, role, method, path, body, want(c.ownWant, role)))
				if c.other != nil {
					m, p, b := c.other(w)
					isDeclared(checkOutcome(t, w, role, m, p, b, want(c.otherWant, role)))
				}
			}
		})
	}
}

// TestAuthorizationMatrixTwoOwnerCertificate: a notary office holding
// shares from two opposing firms issues one certificate over an item of
// each, for an applicant it must then name (no one owner applied). Only
// the office may read it: neither firm gets the record, the PDF (which
// states the other's item) or a listing entry; each learns of it by the
// certified event on its own item.
func TestAuthorizationMatrixTwoOwnerCertificate(t *testing.T) {
	w := newAuthzWorld(t)
	var cert certificates.Certificate
	two := map[string]any{"evidence": []string{w.evA, w.evB}}
	if status, b := w.req(t, "POST", "/api/v1/certificates", "notaryN", two); status != 422 || !strings.Contains(string(b), `"field":"applicant"`) {
		t.Errorf("a two-owner certificate without an applicant = %d %s, want 422 naming applicant", status, b)
	}
	two["applicant"] = map[string]any{"person": map[string]string{"name": "张三", "id_number": "11010519491231002X"}}
	w.mustCreate(t, "notaryN", "/api/v1/certificates", two, &cert)
	if !slices.Equal(cert.Readers, []string{w.orgN}) {
		t.Errorf("readers = %v, want only the issuing office %s", cert.Readers, w.orgN)
	}
	for _, role := range []string{"submitter", "viewer", "notary", "other", "examiner", "admin"} {
		for _, suffix := range []string{"", ".pdf"} {
			if status, b := w.req(t, "GET", "/api/v1/certificates/"+cert.ID+suffix, role, nil); status != 404 {
				t.Errorf("GET certificate%s as %s = %d %s, want 404", suffix, role, status, tailString(string(b), 200))
			}
		}
		status, b := w.req(t, "GET", "/api/v1/certificates", role, nil)
		if status != 200 || strings.Contains(string(b), cert.ID) {
			t.Errorf("list as %s = %d, lists the two-owner certificate: %s", role, status, tailString(string(b), 300))
		}
	}
	var got certificates.Certificate
	status, b := w.req(t, "GET", "/api/v1/certificates/"+cert.ID, "notaryN", nil)
	if mustJSON(t, b, &got); status != 200 || !slices.Equal(got.Evidence, []string{w.evA, w.evB}) || !slices.Equal(got.Readers, []string{w.orgN}) {
		t.Errorf("GET as the issuer = %d %+v", status, got)
	}
	if status, b := w.req(t, "GET", "/api/v1/certificates/"+cert.ID+".pdf", "notaryN", nil); status != 200 || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Errorf("GET .pdf as the issuer = %d", status)
	}
	for role, id := range map[string]string{"submitter": w.evA, "other": w.evB} {
		status, b := w.req(t, "GET", "/api/v1/evidence/"+id+"/custody", role, nil)
		if status != 200 || !strings.Contains(string(b), `"certificate:`+cert.ID+`"`) {
			t.Errorf("custody of %s as %s = %d, without the certified event: %s", id, role, status, tailString(string(b), 300))
		}
	}
}

// TestAuthorizationMatrixCertifyNeedsNotaryOrganization: the certify
// permission is a role's, which keys of any organization may hold; only
// keys of notary organizations (and the operator) issue certificates.
// Others get a 403 that says why, before the items are looked up.
func TestAuthorizationMatrixCertifyNeedsNotaryOrganization(t *testing.T) {
	w := newAuthzWorld(t)
	for _, kind := range []string{"court", "arbitration", "lawfirm", "ipowner"} {
		var o struct{ ID string }
		w.mustCreate(t, "admin", "/api/v1/orgs", map[string]string{"kind": kind, "name": kind + " with a notary key"}, &o)
		var nk api.NewKeyView
		w.mustCreate(t, "admin", "/api/v1/orgs/"+o.ID+"/keys", map[string]string{"role": "notary", "name": "notary"}, &nk)
		w.keys[kind] = nk.Token
		for _, ev := range []string{w.evA, evidence.NewID()} {
			status, b := w.req(t, "POST", "/api/v1/certificates", kind, map[string]any{"evidence": []string{ev}})
			if status != 403 || !strings.Contains(string(b), "urn:custos:problem:forbidden") || !strings.Contains(string(b), "notary organizations") {
				t.Errorf("POST /api/v1/certificates by a %s's notary key = %d %s, want 403 forbidden naming notary organizations", kind, status, b)
			}
		}
	}
	var cert struct{ ID string }
	w.mustCreate(t, "notaryN", "/api/v1/certificates", map[string]any{"evidence": []string{w.evA}}, &cert)
}

// want is a role's expected outcome: 403 unless the map says otherwise.
func want(m map[string]string, role string) string {
	if o, ok := m[role]; ok {
		return o
	}
	return deny
}

// checkOutcome calls method path as role and checks the outcome is want;
// it returns the answer's status.
func checkOutcome(t *testing.T, w *authzWorld, role, method, path string, body any, want string) (status int) {
	t.Helper()
	status, b := w.req(t, method, path, role, body)
	got := fmt.Sprint(status)
	if status/100 == 2 {
		got = allow
	}
	if got != want {
		t.Errorf("%s %s as %s = %d %s, want %s", method, path, role, status, tailString(string(b), 200), want)
	}
	if got == deny {
		checkNeeded(t, w.roles[role], method+" "+path, b)
	}
	return status
}

// checkNeeded checks a 403's needed member, when it has one (a role
// without the operation's permission): a permission the key's role lacks,
// named in the detail, and the roles of the role table that grant it.
func checkNeeded(t *testing.T, role, what string, body []byte) {
	t.Helper()
	var p wire.Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Needed == nil || role == "" {
		return
	}
	var grant []string
	for _, r := range access.Granting(access.Permission(p.Needed.Permission)) {
		grant = append(grant, string(r))
	}
	if access.Role(role).Can(access.Permission(p.Needed.Permission)) || len(grant) == 0 || !slices.Equal(p.Needed.Roles, grant) ||
		!strings.Contains(p.Detail, " "+p.Needed.Permission+" permission") {
		t.Errorf("%s as a %s: needed %+v (roles granting it %v), detail %q", what, role, p.Needed, grant, p.Detail)
	}
}

// TestOrganizationsSeeOnlyTheirOwn: lists, searches and lookups never show
// another organization's evidence, and a revoked key stops working at once.
func TestOrganizationsSeeOnlyTheirOwn(t *testing.T) {
	w := newAuthzWorld(t)
	for _, tc := range []struct {
		role  string
		query string
		see   []string
		never []string
	}{
		{"submitter", "", []string{w.evA, w.evShared}, []string{w.evB}},
		{"other", "", []string{w.evB}, []string{w.evA, w.evShared}},
		{"examiner", "", []string{w.evShared, w.evB}, []string{w.evA}},
		{"other", "?sha256=" + sha256Hex(w.dataA), nil, []string{w.evA}},
		{"submitter", "?matter=" + w.matterA, []string{w.evA}, []string{w.evShared, w.evB}},
		{"other", "?matter=" + w.matterA, nil, []string{w.evA}},
	} {
		status, b := w.req(t, "GET", "/api/v1/evidence"+tc.query, tc.role, nil)
		if status != 200 {
			t.Fatalf("list as %s%s = %d %s", tc.role, tc.query, status, b)
		}
		for _, id := range tc.see {
			if !strings.Contains(string(b), id) {
				t.Errorf("list as %s%s misses %s", tc.role, tc.query, id)
			}
		}
		for _, id := range tc.never {
			if strings.Contains(string(b), id) {
				t.Errorf("list as %s%s shows %s, which it may not see", tc.role, tc.query, id)
			}
		}
	}
	// Revocation takes effect on the very next request.
	if status, _ := w.req(t, "GET", "/api/v1/me", "spare", nil); status != 200 {
		t.Fatalf("spare key before revocation: %d", status)
	}
	if status, b := w.req(t, "DELETE", "/api/v1/keys/"+w.keyA, "admin", nil); status != 200 {
		t.Fatalf("revoke = %d %s", status, b)
	}
	if status, _ := w.req(t, "GET", "/api/v1/me", "spare", nil); status != 401 {
		t.Errorf("revoked key = %d, want 401", status)
	}
	// Revoking the court's share hides the item from the court again.
	if status, _ := w.req(t, "DELETE", "/api/v1/shares/"+w.shareA, "submitter", nil); status != 200 {
		t.Fatalf("revoke share failed")
	}
	if status, _ := w.req(t, "GET", "/api/v1/evidence/"+w.evShared, "examiner", nil); status != 404 {
		t.Errorf("after revoking the share, the court still sees the item: %d", status)
	}
	_ = time.Second
}
