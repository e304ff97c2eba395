package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/evidence/records"
)

// fakeRenewals records the options of each run; the renewal itself is
// the evidence service's, tested there (TestRenewTimeStampsBeforeExpiry).
type fakeRenewals struct{ runs []records.RenewOptions }

func (f *fakeRenewals) Renew(_ context.Context, o records.RenewOptions) (*records.RenewalRun, error) {
	f.runs = append(f.runs, o)
	return &records.RenewalRun{DryRun: o.DryRun, TimeStamp: records.RenewedCount{Batches: 1, Items: 2, Tokens: 1}}, nil
}

func (f *fakeRenewals) RenewalStatus() (*records.RenewalStatus, error) {
	return &records.RenewalStatus{StatusCounts: records.StatusCounts{Current: records.Count{Batches: 3, Items: 7}}}, nil
}

func TestRenewalEndpoints(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	admin, _, _ := orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	viewer, _, _ := orgs.CreateKey(op.ID, access.RoleViewer, "viewer", nil)
	fake := &fakeRenewals{}
	serve := func(r Renewals, method, path, token, body string) (int, string) {
		s, err := New(withEvidence(&auditEvidence{}, Config{Access: orgs, TSA: http.NotFoundHandler(), Renewals: r}))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	const renew, status = "/api/v1/admin/evidence-records/renew", "/api/v1/admin/evidence-records/status"
	for _, tc := range []struct {
		name, method, path, token, body string
		r                               Renewals
		want                            int
	}{
		{"viewer status", "GET", status, viewer, "", fake, http.StatusForbidden},
		{"viewer renew", "POST", renew, viewer, "", fake, http.StatusForbidden},
		{"no renewals", "GET", status, admin, "", nil, http.StatusNotFound},
		{"unknown field", "POST", renew, admin, `{"dry":true}`, fake, http.StatusUnprocessableEntity},
		{"not a boolean", "POST", renew, admin, `{"dry_run":"yes"}`, fake, http.StatusUnprocessableEntity},
		{"GET renew", "GET", renew, admin, "", fake, http.StatusMethodNotAllowed},
	} {
		if code, body := serve(tc.r, tc.method, tc.path, tc.token, tc.body); code != tc.want {
			t.Errorf("%s = %d %s, want %d", tc.name, code, body, tc.want)
		}
	}
	if len(fake.runs) != 0 {
		t.Fatalf("refused requests ran %d renewals", len(fake.runs))
	}
	code, body := serve(fake, "GET", status, admin, "")
	var st records.RenewalStatus
	if json.Unmarshal([]byte(body), &st); code != 200 || st.Current.Items != 7 {
		t.Errorf("GET status = %d %s", code, body)
	}
	for _, tc := range []struct {
		body string
		dry  bool
	}{{"", false}, {`{"dry_run":true}`, true}, {`{}`, false}} {
		code, body := serve(fake, "POST", renew, admin, tc.body)
		var run records.RenewalRun
		if json.Unmarshal([]byte(body), &run); code != 200 || run.DryRun != tc.dry || run.TimeStamp.Items != 2 {
			t.Errorf("POST renew %q = %d %s", tc.body, code, body)
		}
		if last := fake.runs[len(fake.runs)-1]; last.DryRun != tc.dry || !strings.HasPrefix(last.Actor, op.ID+":") {
			t.Errorf("POST renew %q ran %+v, want dry run %v as the admin key", tc.body, last, tc.dry)
		}
	}
}
