package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence"
)

// countedHolds is a node holding deposits.
type countedHolds evidence.DepositHolds

func (h countedHolds) DepositHolds() (evidence.DepositHolds, error) {
	return evidence.DepositHolds(h), nil
}

// TestChainStatusDeposits: the operator's chain status counts the
// deposits the node holds off the chain, released and unreadable (review of
// the hold, F7: before, nothing showed them).
func TestChainStatusDeposits(t *testing.T) {
	_, orgs := newTestOrgs(t)
	tsa := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	since := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	want := evidence.DepositHolds{Held: 3, Released: 2, Unreadable: 1, HeldSince: &since}
	s, err := New(withEvidence(fakeEvidence{}, Config{Access: orgs, TSA: tsa, ChainAdmin: &fakeChainAdmin{}, Holds: countedHolds(want)}))
	if err != nil {
		t.Fatal(err)
	}
	admin := operatorAdmin(t, orgs)
	req := httptest.NewRequest("GET", "/api/v1/admin/chain", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var v ChainStatusView
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/admin/chain = %d %s", rec.Code, rec.Body)
	}
	if v.Deposits == nil || v.Deposits.HeldSince == nil || !v.Deposits.HeldSince.Equal(since) {
		t.Fatalf("GET /api/v1/admin/chain: deposits = %+v, want held since %s", v.Deposits, since)
	}
	if v.Deposits.HeldSince = &since; *v.Deposits != want {
		t.Errorf("GET /api/v1/admin/chain: deposits = %+v, want %+v", v.Deposits, want)
	}
}
