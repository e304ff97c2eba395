package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/custos-project/custos/access"
)

// TestCreateOrgOneOperator checks that an admin key cannot create a
// second operator organization (which would hold the admin role over
// every organization): the node's bootstrap operator is the only one.
func TestCreateOrgOneOperator(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, err := orgs.CreateOrg(access.KindOperator, "Operator")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := &auditEvidence{}
	s, err := New(withEvidence(ev, Config{Access: orgs, TSA: http.NotFoundHandler()}))
	if err != nil {
		t.Fatal(err)
	}
	post := func(kind string) (*httptest.ResponseRecorder, map[string]any) {
		req := httptest.NewRequest("POST", "/api/v1/orgs", strings.NewReader(`{"kind":"`+kind+`","name":"Another operator"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var body map[string]any
		json.Unmarshal(rec.Body.Bytes(), &body)
		return rec, body
	}
	rec, body := post(access.KindOperator)
	if rec.Code != http.StatusUnprocessableEntity || rec.Header().Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(body["detail"].(string), "one operator organization") {
		t.Fatalf("POST /api/v1/orgs kind operator = %d %s %s, want 422 problem+json", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	all, _ := orgs.Orgs()
	if len(all) != 1 || len(ev.events) != 0 {
		t.Errorf("after the refusal: %d organizations, %d audit events; want 1 and 0", len(all), len(ev.events))
	}
	if rec, _ := post(access.KindLawFirm); rec.Code != http.StatusCreated {
		t.Errorf("POST /api/v1/orgs kind lawfirm = %d %s, want 201", rec.Code, rec.Body)
	}
}
