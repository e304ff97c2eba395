package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTrustTransitions: GET /api/v1/trust serves version 1; with
// ?transitions=1 version 2, whose current validators are, on a node
// without a chain, the genesis ones; any other value is a 400 problem.
func TestTrustTransitions(t *testing.T) {
	s := newRouteTestServer(t)
	s.trust.Version, s.trust.ChainID = 1, "custos-test-1"
	get := func(query string) (*httptest.ResponseRecorder, map[string]any) {
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/trust"+query, nil))
		var body map[string]any
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		return rec, body
	}
	for _, q := range []string{"", "?transitions=0"} {
		if rec, body := get(q); rec.Code != http.StatusOK || body["version"] != 1.0 || body["validators_current"] != nil {
			t.Errorf("GET /api/v1/trust%s = %d %v, want version 1", q, rec.Code, body)
		}
	}
	if rec, body := get("?transitions=1"); rec.Code != http.StatusOK || body["version"] != 2.0 || body["transitions"] != nil {
		t.Errorf("GET /api/v1/trust?transitions=1 = %d %v, want version 2 without transitions", rec.Code, body)
	}
	rec, _ := get("?transitions=yes")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Header().Get("Content-Type"), "problem+json") ||
		!strings.Contains(rec.Body.String(), "bad-parameter") {
		t.Errorf("GET /api/v1/trust?transitions=yes = %d %s %s, want a 400 bad-parameter problem", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}
