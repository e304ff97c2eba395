package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence/copyright"
)

// Tests of the review of the copyright register and lookup (session 19,
// docs/security.md).

// getAs is a GET with token.
func (w *uploadWorld) getAs(t *testing.T, token, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	w.s.e.ServeHTTP(rec, req)
	return rec
}

// K2: a registration's files filed unlisted stay out of the digest index
// and the public lookup, but not out of the copyright register: their
// SHA-256 is filed in the consortium's register, and any member's read
// key finds the registration by it in the priority search. The docs say
// so (api.md § Lookup, threat-model.md).
func TestUnlistedCopyrightFileInRegister(t *testing.T) {
	w := newUploadWorld(t)
	on := true
	if _, _, err := w.orgs.UpdateOrg(w.org, access.OrgPatch{UnlistedByDefault: &on}); err != nil {
		t.Fatal(err)
	}
	data := []byte("an unlisted work's only file")
	body, ct := fileForm(t, testWork, formFile{"a.txt", "text/plain", data})
	r := w.post(t, "/api/v1/copyrights", body, ct)
	var c copyright.Copyright
	if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &c) != nil {
		t.Fatalf("register = %d %s", r.Code, r.Body)
	}
	rec, err := w.ev.Get(context.Background(), c.Items[0])
	if err != nil || !rec.IsUnlisted() {
		t.Fatalf("the registration's file: unlisted %v, %v; want unlisted", rec != nil && rec.IsUnlisted(), err)
	}
	todo, err := w.crs.Unregistered(context.Background(), 10)
	if err != nil || len(todo) != 1 || len(todo[0].Files) != 1 || todo[0].Files[0].SHA256 != rec.SHA256 {
		t.Errorf("Unregistered() = %+v, %v; want the registration with its unlisted file's SHA-256, for the consortium's register", todo, err)
	}
	other := newKey(t, w.orgs, "Another Firm")
	r = w.getAs(t, other, "/api/v1/copyrights/search?sha256="+rec.SHA256)
	var s wire.CopyrightSearch
	if r.Code != http.StatusOK || json.Unmarshal(r.Body.Bytes(), &s) != nil || len(s.Matches) != 1 || s.Matches[0].ID != c.ID {
		t.Errorf("another organization's priority search by the unlisted file's SHA-256 = %d %s; want the registration (the register is public to members)", r.Code, r.Body)
	}
	r = w.getAs(t, "", "/api/v1/lookup?sha256="+rec.SHA256)
	if r.Code != http.StatusOK || json.Unmarshal(r.Body.Bytes(), new(wire.Lookup)) != nil {
		t.Errorf("public lookup = %d %s", r.Code, r.Body)
	}
}
