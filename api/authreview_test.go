package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
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
