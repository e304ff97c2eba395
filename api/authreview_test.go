package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/copyright"
)

// Tests of the review of authentication and authorization (session 19,
// docs/security.md): each fails on the code before its finding's fix.

// authReviewServer serves the API over orgs on a real HTTP server.
func authReviewServer(t *testing.T, orgs *access.Store) *httptest.Server {
	t.Helper()
	s, err := New(withEvidence(&auditEvidence{}, Config{Access: orgs, TSA: http.NotFoundHandler()}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request with a bearer token and returns the status, the
// problem type's slug (if a problem) and the body.
func call(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p wire.Problem
	slug := ""
	if resp.Header.Get("Content-Type") == "application/problem+json" && json.Unmarshal(b, &p) == nil {
		slug = strings.TrimPrefix(p.Type, ProblemBase)
	}
	return resp.StatusCode, slug, b
}

// TestLastAdminKeyKept (A1): the node's last live admin key cannot be
// revoked, by itself or by another admin key, so the node never loses its
// administration for good; once another admin key lives, it can.
func TestLastAdminKeyKept(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	first, k1, err := orgs.CreateKey(op.ID, access.RoleAdmin, "first admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := authReviewServer(t, orgs)

	if st, slug, b := call(t, srv, "DELETE", "/api/v1/keys/"+k1.ID, first, ""); st != http.StatusConflict || slug != "last-admin-key" {
		t.Fatalf("DELETE the last admin key = %d %s, want 409 last-admin-key", st, b)
	}
	if st, _, _ := call(t, srv, "GET", "/api/v1/me", first, ""); st != http.StatusOK {
		t.Fatalf("the last admin key after the refused revocation = %d, want 200", st)
	}
	// A second admin key; either may now revoke the other, not both.
	var nk NewKeyView
	st, _, b := call(t, srv, "POST", "/api/v1/orgs/"+op.ID+"/keys", first, `{"role":"admin","name":"second admin"}`)
	if st != http.StatusCreated || json.Unmarshal(b, &nk) != nil {
		t.Fatalf("create a second admin key = %d %s", st, b)
	}
	if st, _, b := call(t, srv, "DELETE", "/api/v1/keys/"+k1.ID, nk.Token, ""); st != http.StatusOK {
		t.Fatalf("revoke the first admin key with the second = %d %s, want 200", st, b)
	}
	if st, slug, b := call(t, srv, "DELETE", "/api/v1/keys/"+nk.Key.ID, nk.Token, ""); st != http.StatusConflict || slug != "last-admin-key" {
		t.Errorf("revoke the second, now last, admin key = %d %s, want 409 last-admin-key", st, b)
	}
	if k, _ := orgs.Key(nk.Key.ID); k.RevokedAt != nil {
		t.Errorf("the last admin key was revoked")
	}
	// Revoking a revoked key still answers 200 (nothing changes).
	if st, _, b := call(t, srv, "DELETE", "/api/v1/keys/"+k1.ID, nk.Token, ""); st != http.StatusOK {
		t.Errorf("revoke the revoked key again = %d %s, want 200", st, b)
	}
}

// waitingRegister is a copyright register whose registration is numbered
// while a caller waits for it: the second read of it runs during (the
// first is the handler's, before the wait).
type waitingRegister struct {
	Register
	reads  int
	during func()
}

func (r *waitingRegister) Copyright(ctx context.Context, id string) (*copyright.Copyright, error) {
	cr, err := r.Register.Copyright(ctx, id)
	if r.reads++; r.reads == 2 && err == nil {
		r.during()
		cr.Status, cr.Number = copyright.CopyrightRegistered, "CUS-(2026)-作登字-M1-000001"
	}
	return cr, err
}

// TestCopyrightWaitReauthenticates (A2): a key revoked while it waits for
// a registration's number (GET /api/v1/copyrights/{id}?wait=) gets 401
// after the wait, as a receipt's ?wait= does, never the numbered
// registration; a key kept gets it.
func TestCopyrightWaitReauthenticates(t *testing.T) {
	for _, revoke := range []bool{true, false} {
		t.Run(fmt.Sprintf("revoked %v", revoke), func(t *testing.T) {
			w := newUploadWorldWith(t, func(_ *evidence.Config, c *copyright.Config) {
				c.ChainNumbers = func() bool { return true }
			})
			body, ct := registrationForm(t, `{"title":"Lake at dawn","type":"text","authors":["Li Ming"],"owner":"Li Ming","created":"2025-06-01"}`, "Chapter one.\n")
			r := w.post(t, "/api/v1/copyrights", body, ct)
			var cr copyright.Copyright
			if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &cr) != nil || cr.Status != copyright.CopyrightPending {
				t.Fatalf("registration = %d %s, want 201 pending", r.Code, r.Body)
			}
			reader := newKey(t, w.orgs, "Reader")
			p, err := w.orgs.Authenticate(reader)
			if err != nil {
				t.Fatal(err)
			}
			reg := &waitingRegister{Register: w.crs, during: func() {
				if revoke {
					if _, err := w.orgs.RevokeKey(p.Key.ID); err != nil {
						t.Error(err)
					}
				}
			}}
			s, err := New(withEvidence(withProver(t, w.ev), Config{Access: w.orgs, TSA: w.tsa, DB: w.db, Copyrights: reg, Transfers: w.crs}))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			st, slug, b := call(t, srv, "GET", "/api/v1/copyrights/"+cr.ID+"?wait=5s", reader, "")
			switch {
			case revoke && (st != http.StatusUnauthorized || slug != "unauthorized" || strings.Contains(string(b), cr.ID)):
				t.Errorf("GET ?wait= by a key revoked during the wait = %d %s, want 401 unauthorized", st, b)
			case !revoke && (st != http.StatusOK || !strings.Contains(string(b), "000001")):
				t.Errorf("GET ?wait= by a key kept = %d %s, want 200 with the number", st, b)
			}
		})
	}
}

// TestReceivedShareNamesEnd (A5): the received shares' listing names what
// a share shares (an item's title, file name and size) only while the
// share grants access; a share revoked (one made by mistake, say) or
// expired no longer shows its grantee what it was about, as the item
// itself answers 404.
func TestReceivedShareNamesEnd(t *testing.T) {
	w := newUploadWorld(t)
	ctx := context.Background()
	const title = "Medical record of the plaintiff"
	id := w.uploadedWith(t, "record", `{"title":"`+title+`","file_name":"plaintiff-record.txt"}`)
	id2 := w.uploadedWith(t, "second", `{"title":"`+title+` (2)","file_name":"plaintiff-record-2.txt"}`)
	court, cp := w.court(t)
	sh := w.shareWith(t, id, cp, nil)
	soon := time.Now().Add(300 * time.Millisecond)
	w.shareWith(t, id2, cp, &soon)
	srv := httptest.NewServer(w.s.Handler())
	defer srv.Close()
	received := func() []ShareView {
		t.Helper()
		st, _, b := call(t, srv, "GET", "/api/v1/shares?direction=received", court, "")
		var l wire.ListView[ShareView]
		if st != http.StatusOK || json.Unmarshal(b, &l) != nil || len(l.Items) != 2 {
			t.Fatalf("GET /api/v1/shares?direction=received = %d %s, want 200 with two shares", st, b)
		}
		return l.Items
	}
	for _, v := range received() {
		if !strings.HasPrefix(v.Title, title) || v.FileName == "" || v.Size == 0 {
			t.Errorf("an active share's view = %+v, want the item's title, file name and size", v)
		}
	}
	if _, err := w.shares.RevokeShare(ctx, w.org, w.actor, sh.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(soon) + 50*time.Millisecond)
	for _, v := range received() {
		if v.Title != "" || v.FileName != "" || v.Size != 0 {
			t.Errorf("an ended share's view (revoked %v, expires %v) = title %q, file %q, size %d; want none", v.RevokedAt, v.ExpiresAt, v.Title, v.FileName, v.Size)
		}
	}
	// The grantor still sees what it shared.
	st, _, b := call(t, srv, "GET", "/api/v1/shares", w.token, "")
	if st != http.StatusOK || !strings.Contains(string(b), title) {
		t.Errorf("GET /api/v1/shares by the grantor = %d %s, want its shares named", st, b)
	}
}

// TestReceivedShareListed (A7): the list of shares an organization
// received names each item shared with it, its title, file name and size,
// and so records a "listed" custody event on the item for the grantee, as
// a page of GET /api/v1/evidence does; the grantor's own list of the
// shares it made records nothing (the items are its own).
func TestReceivedShareListed(t *testing.T) {
	w := newUploadWorld(t)
	id := w.uploadedWith(t, "record", `{"title":"Plaintiff's record","file_name":"record.txt"}`)
	court, cp := w.court(t)
	w.shareWith(t, id, cp, nil)
	srv := httptest.NewServer(w.s.Handler())
	defer srv.Close()
	listedBy := func() map[string]int {
		t.Helper()
		st, _, b := call(t, srv, "GET", "/api/v1/evidence/"+id+"/custody", w.token, "")
		var cv wire.CustodyView
		if st != http.StatusOK || json.Unmarshal(b, &cv) != nil {
			t.Fatalf("GET custody = %d %s", st, b)
		}
		n := map[string]int{}
		for _, e := range cv.Events {
			if e.Type == custody.EventListed {
				n[e.Actor] += int(e.Count())
			}
		}
		return n
	}
	if st, _, b := call(t, srv, "GET", "/api/v1/shares", w.token, ""); st != http.StatusOK || !strings.Contains(string(b), "Plaintiff's record") {
		t.Fatalf("GET /api/v1/shares by the grantor = %d %s", st, b)
	}
	if n := listedBy(); len(n) != 0 {
		t.Errorf("listed events after the grantor's list of its shares: %v, want none", n)
	}
	st, _, b := call(t, srv, "GET", "/api/v1/shares?direction=received", court, "")
	var l wire.ListView[ShareView]
	if st != http.StatusOK || json.Unmarshal(b, &l) != nil || len(l.Items) != 1 || l.Items[0].Title != "Plaintiff's record" {
		t.Fatalf("GET /api/v1/shares?direction=received = %d %s, want the share with its item's title", st, b)
	}
	if n := listedBy(); n[cp.Actor()] != 1 || len(n) != 1 {
		t.Errorf("listed events after the court's list of its received shares: %v, want one by %s", n, cp.Actor())
	}
}

// uploadedWith files data as text/plain with the metadata meta and
// returns its evidence ID.
func (w *uploadWorld) uploadedWith(t *testing.T, data, meta string) string {
	t.Helper()
	up := w.upload(t, strings.NewReader(data), "text/plain", wire.MetadataHeader, meta)
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	return strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
}

// court makes an organization "Court" with a key, and returns the key's
// token and principal.
func (w *uploadWorld) court(t *testing.T) (string, *access.Principal) {
	t.Helper()
	token := newKey(t, w.orgs, "Court")
	p, err := w.orgs.Authenticate(token)
	if err != nil {
		t.Fatal(err)
	}
	return token, p
}

// shareWith has the world's organization share item id with p's
// organization, until expires (nil: no end).
func (w *uploadWorld) shareWith(t *testing.T, id string, p *access.Principal, expires *time.Time) *evidence.Share {
	t.Helper()
	sh, _, err := w.shares.ShareTarget(context.Background(), w.org, w.actor, evidence.ShareEvidence, id, p.Org.ID, expires)
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

// downTrails is an audit trail whose store is down for appends outside a
// transaction (AppendAudit).
type downTrails struct{ AuditTrails }

func (downTrails) AppendAudit(context.Context, string, string, string, string) (*custody.Event, error) {
	return nil, errors.New("audit store down")
}

// TestAdminReadsAudited (A9, session 20): an administrator's read of
// another organization's keys or audit chain is recorded on that
// organization's chain, naming the key: one event per request, after the
// read, so the chain shown does not hold its own read. A read that cannot
// be recorded shows nothing. A key's reads of its own organization (the
// firm's of its chain, the operator's of its keys and chain) are not
// recorded.
func TestAdminReadsAudited(t *testing.T) {
	ctx := context.Background()
	w := newUploadWorld(t)
	op, err := w.orgs.CreateOrg(access.KindOperator, "Operator")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := w.orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.orgs.Authenticate(admin)
	if err != nil {
		t.Fatal(err)
	}
	trails := audittrail.New(w.ev)
	chain := func(org string) []*custody.Event {
		t.Helper()
		evs, err := trails.AuditTrail(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	shown := func(token, path string) int {
		t.Helper()
		r := w.getAs(t, token, path)
		if r.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, r.Code, r.Body)
		}
		var l struct {
			Items  []json.RawMessage `json:"items"`
			Events []json.RawMessage `json:"events"`
		}
		mustDecode(t, r, &l)
		return len(l.Items) + len(l.Events)
	}
	// The firm's chain as POST /api/v1/orgs starts it, and a second key.
	if _, err := trails.AppendAudit(ctx, w.org, p.Actor(), custody.AuditOrgCreated, "kind:"+access.KindLawFirm); err != nil {
		t.Fatal(err)
	}
	if r := w.post(t, "/api/v1/orgs/"+w.org+"/keys", strings.NewReader(`{"role":"viewer","name":"second"}`), "application/json", "Authorization", "Bearer "+admin); r.Code != http.StatusCreated {
		t.Fatalf("POST /api/v1/orgs/{firm}/keys = %d %s", r.Code, r.Body)
	}
	before := len(chain(w.org))
	audit, keys := "/api/v1/orgs/"+w.org+"/audit", "/api/v1/orgs/"+w.org+"/keys"

	if n := shown(w.token, audit); n != before || len(chain(w.org)) != before {
		t.Fatalf("the firm's read of its own chain showed %d events and left %d, want %d and nothing recorded", n, len(chain(w.org)), before)
	}
	want := []custody.Event{
		{Type: custody.AuditChainRead, Subject: fmt.Sprintf("events:%d", before)},
		{Type: custody.AuditChainRead, Subject: fmt.Sprintf("events:%d", before+1)},
		{Type: custody.AuditKeysListed, Subject: "keys:2"},
	}
	if n := shown(admin, audit); n != before {
		t.Errorf("the admin's first read showed %d events, want %d: not its own read", n, before)
	}
	if n := shown(admin, audit); n != before+1 {
		t.Errorf("the admin's second read showed %d events, want %d: the first read, not its own", n, before+1)
	}
	if n := shown(admin, keys); n != 2 {
		t.Errorf("the admin's list of the firm's keys showed %d, want 2", n)
	}
	got := chain(w.org)
	if len(got) != before+len(want) {
		t.Fatalf("the firm's chain has %d events after three reads, want %d", len(got), before+len(want))
	}
	for i, e := range got[before:] {
		if e.Type != want[i].Type || e.Subject != want[i].Subject || e.Actor != p.Actor() {
			t.Errorf("event %d = %s %s by %s, want %s %s by %s", before+i, e.Type, e.Subject, e.Actor, want[i].Type, want[i].Subject, p.Actor())
		}
	}
	if i, err := custody.CheckChain(got); err != nil {
		t.Errorf("CheckChain(the firm's chain) = %d, %v", i, err)
	}

	opBefore := len(chain(op.ID))
	shown(admin, "/api/v1/orgs/"+op.ID+"/audit")
	shown(admin, "/api/v1/orgs/"+op.ID+"/keys")
	if n := len(chain(op.ID)); n != opBefore {
		t.Errorf("the operator's reads of its own chain and keys recorded %d events, want none", n-opBefore)
	}

	w.s.trails = downTrails{w.s.trails}
	for _, path := range []string{audit, keys} {
		if r := w.getAs(t, admin, path); r.Code < 500 || strings.Contains(r.Body.String(), `"items"`) || strings.Contains(r.Body.String(), `"events"`) {
			t.Errorf("GET %s with the audit store down = %d %s, want a 5xx that shows nothing", path, r.Code, r.Body)
		}
	}
	if r := w.getAs(t, w.token, audit); r.Code != http.StatusOK {
		t.Errorf("the firm's own read with the audit store down = %d, want 200: it records nothing", r.Code)
	}
}
