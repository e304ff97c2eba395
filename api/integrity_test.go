package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/evidence/integrity"
)

// fakeIntegrity runs nothing: Start marks an audit as running.
// fakeIntegrity stands for the auditor: the handlers' routing, roles and
// answers are tested here; that a POST during a run joins it is the
// auditor's, tested in evidence (TestAuditorRunsOnceAtATimeAndLogs).
type fakeIntegrity struct {
	st integrity.AuditStatus
}

func (f *fakeIntegrity) Status() integrity.AuditStatus { return f.st }

func (f *fakeIntegrity) Start(trigger string) integrity.AuditStatus {
	if f.st.Running == nil {
		f.st.Running = &integrity.AuditRun{Trigger: trigger, StartedAt: time.Now()}
	}
	return f.st
}

func TestIntegrityEndpoints(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	admin, _, _ := orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	viewer, _, _ := orgs.CreateKey(op.ID, access.RoleViewer, "viewer", nil)
	done := time.Now()
	fake := &fakeIntegrity{st: integrity.AuditStatus{Interval: "6h0m0s", Deep: true,
		Latest: &integrity.AuditRun{Trigger: "scheduled", FinishedAt: &done, Findings: 1, Report: &integrity.Report{EvidenceReport: integrity.EvidenceReport{Corrupt: []string{"x"}}}}}}
	serve := func(in Integrity, method, token string) (int, http.Header, integrity.AuditStatus) {
		s, err := New(withEvidence(&auditEvidence{}, Config{Access: orgs, TSA: http.NotFoundHandler(), Integrity: in}))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(method, "/api/v1/admin/integrity", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var st integrity.AuditStatus
		json.Unmarshal(rec.Body.Bytes(), &st)
		return rec.Code, rec.Header(), st
	}
	for _, tc := range []struct {
		name, method, token string
		in                  Integrity
		want                int
	}{
		{"viewer GET", "GET", viewer, fake, http.StatusForbidden},
		{"viewer POST", "POST", viewer, fake, http.StatusForbidden},
		{"no auditor", "GET", admin, nil, http.StatusNotFound},
	} {
		if code, _, _ := serve(tc.in, tc.method, tc.token); code != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, code, tc.want)
		}
	}
	if code, _, st := serve(fake, "GET", admin); code != 200 || st.Latest == nil || st.Latest.Report.Corrupt[0] != "x" || st.Running != nil {
		t.Errorf("GET = %d %+v", code, st)
	}
	for i := 0; i < 2; i++ {
		code, h, st := serve(fake, "POST", admin)
		if code != http.StatusAccepted || h.Get("Location") != "/api/v1/admin/integrity" || st.Running == nil || st.Running.Trigger != "manual" {
			t.Errorf("POST #%d = %d %v %+v", i+1, code, h, st)
		}
	}
}
