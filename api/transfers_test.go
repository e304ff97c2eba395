package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/copyright"
)

// transferWorld is a registration of the firm (uploadWorld's
// organization) and two more organizations, the buyer B and a third party
// C, with submitter keys; its clock is the test's, and OnTransfer records
// each step's parties.
type transferWorld struct {
	*uploadWorld
	cr               string // the firm's registration
	orgB, orgC       string
	tokB, tokC       string
	mu               sync.Mutex
	now              time.Time
	steps            []string // "status from→to"
	tokenOf, orgName map[string]string
}

func newTransferWorld(t *testing.T) *transferWorld {
	t.Helper()
	tw := &transferWorld{now: time.Now().UTC()}
	tw.uploadWorld = newUploadWorldWith(t, func(cfg *evidence.Config, crCfg *copyright.Config) {
		cfg.Now = func() time.Time { tw.mu.Lock(); defer tw.mu.Unlock(); return tw.now }
		crCfg.OnTransfer = func(_ *bolt.Tx, o *copyright.TransferOffer) error {
			tw.steps = append(tw.steps, o.Status+" "+tw.orgName[o.From]+"→"+tw.orgName[o.To])
			return nil
		}
	})
	tw.tokB, tw.tokC = newKey(t, tw.s.orgs, "Buyer"), newKey(t, tw.s.orgs, "Third")
	tw.tokenOf = map[string]string{"A": tw.token, "B": tw.tokB, "C": tw.tokC}
	tw.orgName = map[string]string{}
	for name, tok := range tw.tokenOf {
		p, err := tw.s.orgs.Authenticate(tok)
		if err != nil {
			t.Fatal(err)
		}
		tw.orgName[p.Org.ID] = name
		switch name {
		case "B":
			tw.orgB = p.Org.ID
		case "C":
			tw.orgC = p.Org.ID
		}
		// As creating an organization through the API does.
		if _, err := audittrail.New(tw.ev).AppendAudit(context.Background(), p.Org.ID, "operator:key", custody.AuditOrgCreated, "kind:"+access.KindLawFirm); err != nil {
			t.Fatal(err)
		}
	}
	body, ct := fileForm(t, testWork, formFile{"a.txt", "text/plain", []byte("the work")})
	r := tw.post(t, "/api/v1/copyrights", body, ct)
	if r.Code != http.StatusCreated {
		t.Fatalf("registration = %d %s", r.Code, r.Body)
	}
	var cr copyright.Copyright
	mustDecode(t, r, &cr)
	tw.cr = cr.ID
	return tw
}

func mustDecode(t *testing.T, r *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// do sends method path as party ("A", "B" or "C") with a JSON body (nil:
// none).
func (tw *transferWorld) do(t *testing.T, party, method, path string, body any) *httptest.ResponseRecorder {
	t.Helper()
	return tw.doIn(t, party, method, path, body, "")
}

// doIn is do with Accept-Language lang (none if empty).
func (tw *transferWorld) doIn(t *testing.T, party, method, path string, body any, lang string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if body != nil {
		b, _ := json.Marshal(body)
		req = httptest.NewRequest(method, path, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Header.Set("Authorization", "Bearer "+tw.tokenOf[party])
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	rec := httptest.NewRecorder()
	tw.s.e.ServeHTTP(rec, req)
	return rec
}

// offer has the firm offer its registration to B.
func (tw *transferWorld) offer(t *testing.T, body any) *copyright.TransferOffer {
	t.Helper()
	r := tw.do(t, "A", "POST", "/api/v1/copyrights/"+tw.cr+"/transfers", body)
	if r.Code != http.StatusCreated {
		t.Fatalf("offer = %d %s, want 201", r.Code, r.Body)
	}
	var o copyright.TransferOffer
	mustDecode(t, r, &o)
	if r.Header().Get("Location") != "/api/v1/copyrights/transfers/"+o.ID {
		t.Errorf("Location = %q", r.Header().Get("Location"))
	}
	return &o
}

// want checks a response's status and, for a problem, its type.
func want(t *testing.T, what string, r *httptest.ResponseRecorder, status int, problemType string) {
	t.Helper()
	if r.Code != status {
		t.Errorf("%s = %d %s, want %d", what, r.Code, r.Body, status)
		return
	}
	if problemType == "" {
		return
	}
	var p struct{ Type string }
	_ = json.Unmarshal(r.Body.Bytes(), &p)
	if ct := r.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") || p.Type != "urn:custos:problem:"+problemType {
		t.Errorf("%s = %s (%s), want problem %s", what, r.Body, ct, problemType)
	}
}

func (tw *transferWorld) owner(t *testing.T) string {
	t.Helper()
	c, err := tw.crs.Copyright(context.Background(), tw.cr)
	if err != nil {
		t.Fatal(err)
	}
	return tw.orgName[c.OwnerOrg]
}

// TestTransferOfferAPI walks an offer through its answers: refused
// offers, a third party, the offerer and the recipient each trying what
// they may not, acceptance, and acts on a settled offer.
func TestTransferOfferAPI(t *testing.T) {
	tw := newTransferWorld(t)
	offers := "/api/v1/copyrights/" + tw.cr + "/transfers"
	for name, tc := range map[string]struct {
		party  string
		body   any
		status int
		typ    string
	}{
		"to no organization": {"A", map[string]any{"to": "aaaaaaaaaaaaaaaaaaaaaaaaaa"}, 422, "invalid-metadata"},
		"to oneself":         {"A", map[string]any{"to": tw.org}, 422, "invalid-transfer"},
		"expiry too long":    {"A", map[string]any{"to": tw.orgB, "expires_in_days": 91}, 422, "invalid-metadata"},
		"expiry negative":    {"A", map[string]any{"to": tw.orgB, "expires_in_days": -1}, 422, "invalid-metadata"},
		"unknown field":      {"A", map[string]any{"to": tw.orgB, "days": 3}, 422, ""},
		"by a non-owner":     {"C", map[string]any{"to": tw.orgB}, 403, "not-owner"},
	} {
		want(t, name, tw.do(t, tc.party, "POST", offers, tc.body), tc.status, tc.typ)
	}
	want(t, "offer of no registration", tw.do(t, "A", "POST", "/api/v1/copyrights/aaaaaaaaaaaaaaaaaaaaaaaaaa/transfers", map[string]any{"to": tw.orgB}), 404, "not-found")

	o := tw.offer(t, map[string]any{"to": tw.orgB, "expires_in_days": 3})
	if o.Status != copyright.OfferPending || !o.ExpiresAt.Equal(o.OfferedAt.Add(3*24*time.Hour)) {
		t.Errorf("offer = %+v; want pending for 3 days", o)
	}
	if tw.owner(t) != "A" {
		t.Error("the registration changed hands on the offer")
	}
	want(t, "a second offer", tw.do(t, "A", "POST", offers, map[string]any{"to": tw.orgC}), 409, "transfer-pending")
	path := "/api/v1/copyrights/transfers/" + o.ID
	want(t, "read by a third party", tw.do(t, "C", "GET", path, nil), 404, "not-found")
	want(t, "accept by a third party", tw.do(t, "C", "POST", path+"/accept", nil), 404, "not-found")
	want(t, "decline by a third party", tw.do(t, "C", "POST", path+"/decline", nil), 404, "not-found")
	want(t, "withdraw by a third party", tw.do(t, "C", "POST", path+"/withdraw", nil), 404, "not-found")
	want(t, "accept by the offerer", tw.do(t, "A", "POST", path+"/accept", nil), 403, "not-recipient")
	want(t, "withdraw by the recipient", tw.do(t, "B", "POST", path+"/withdraw", nil), 403, "not-offerer")
	want(t, "accept of no offer", tw.do(t, "B", "POST", "/api/v1/copyrights/transfers/aaaaaaaaaaaaaaaaaaaaaaaaaa/accept", nil), 404, "not-found")
	want(t, "read by the recipient", tw.do(t, "B", "GET", path, nil), 200, "")
	r := tw.do(t, "B", "GET", "/api/v1/copyrights/transfers?status=pending", nil)
	var list wire.ListView[copyright.TransferOffer]
	mustDecode(t, r, &list)
	if r.Code != 200 || len(list.Items) != 1 || list.Items[0].ID != o.ID {
		t.Errorf("the recipient's pending offers = %d %s", r.Code, r.Body)
	}
	want(t, "list with a bad status", tw.do(t, "B", "GET", "/api/v1/copyrights/transfers?status=maybe", nil), 400, "bad-parameter")
	if tw.owner(t) != "A" {
		t.Error("the registration changed hands before acceptance")
	}

	r = tw.do(t, "B", "POST", path+"/accept", nil)
	want(t, "accept by the recipient", r, 200, "")
	var ans TransferAnswer
	mustDecode(t, r, &ans)
	if ans.Offer.Status != copyright.OfferAccepted || tw.orgName[ans.Copyright.OwnerOrg] != "B" || tw.owner(t) != "B" {
		t.Errorf("accepted = %s", r.Body)
	}
	want(t, "accept again", tw.do(t, "B", "POST", path+"/accept", nil), 409, "transfer-settled")
	want(t, "decline after accepting", tw.do(t, "B", "POST", path+"/decline", nil), 409, "transfer-settled")
	want(t, "withdraw after acceptance", tw.do(t, "A", "POST", path+"/withdraw", nil), 409, "transfer-settled")
	want(t, "the former owner offers again", tw.do(t, "A", "POST", offers, map[string]any{"to": tw.orgC}), 403, "not-owner")
	if got := strings.Join(tw.steps, ", "); got != "pending A→B, accepted A→B" {
		t.Errorf("webhook steps = %q", got)
	}
	for name, tok := range map[string]string{"A": tw.token, "B": tw.tokB} {
		p, _ := tw.s.orgs.Authenticate(tok)
		evs, _ := audittrail.New(tw.ev).AuditTrail(context.Background(), p.Org.ID)
		if last := evs[len(evs)-1]; last.Type != custody.AuditOfferAccepted {
			t.Errorf("audit chain of %s ends with %s, want %s", name, last.Type, custody.AuditOfferAccepted)
		}
	}
}

// TestTransferOfferRefusals: a declined, a withdrawn and an expired offer
// cannot be accepted afterwards, and the registration stays with its
// owner.
func TestTransferOfferRefusals(t *testing.T) {
	for _, tc := range []struct {
		name           string
		settle         func(t *testing.T, tw *transferWorld, path string) *httptest.ResponseRecorder
		status         int
		typ            string
		acceptAfter    int
		acceptAfterTyp string
	}{
		{"declined", func(t *testing.T, tw *transferWorld, path string) *httptest.ResponseRecorder {
			return tw.do(t, "B", "POST", path+"/decline", nil)
		}, 200, "", 409, "transfer-settled"},
		{"withdrawn", func(t *testing.T, tw *transferWorld, path string) *httptest.ResponseRecorder {
			return tw.do(t, "A", "POST", path+"/withdraw", nil)
		}, 200, "", 409, "transfer-settled"},
		{"accepted after expiry", func(t *testing.T, tw *transferWorld, path string) *httptest.ResponseRecorder {
			tw.mu.Lock()
			tw.now = tw.now.Add(copyright.DefaultOfferTTL + time.Second)
			tw.mu.Unlock()
			return tw.do(t, "B", "POST", path+"/accept", nil)
		}, 410, "transfer-expired", 410, "transfer-expired"},
		{"declined after expiry", func(t *testing.T, tw *transferWorld, path string) *httptest.ResponseRecorder {
			tw.mu.Lock()
			tw.now = tw.now.Add(copyright.DefaultOfferTTL + time.Second)
			tw.mu.Unlock()
			return tw.do(t, "B", "POST", path+"/decline", nil)
		}, 410, "transfer-expired", 410, "transfer-expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw := newTransferWorld(t)
			o := tw.offer(t, map[string]any{"to": tw.orgB})
			path := "/api/v1/copyrights/transfers/" + o.ID
			want(t, tc.name, tc.settle(t, tw, path), tc.status, tc.typ)
			want(t, "accept afterwards", tw.do(t, "B", "POST", path+"/accept", nil), tc.acceptAfter, tc.acceptAfterTyp)
			if tw.owner(t) != "A" {
				t.Errorf("owner = %s, want A", tw.owner(t))
			}
			if len(tw.steps) != 2 {
				t.Errorf("webhook steps = %q, want the offer and its settling", tw.steps)
			}
			// Settled, the registration may be offered again.
			tw.offer(t, map[string]any{"to": tw.orgC})
		})
	}
}
