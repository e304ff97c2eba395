package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/custody"
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

// TestAdminActsAudited (authorization review A9): an administrator's ask
// for an integrity audit and its vote for a chain upgrade are recorded on
// the operator's audit chain, naming the key; a refused ask (a viewer's,
// a vote the chain refuses) and a failed record are not acts: nothing is
// recorded, and an audit store that is down starts no audit.
func TestAdminActsAudited(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	admin, _, _ := orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	viewer, _, _ := orgs.CreateKey(op.ID, access.RoleViewer, "viewer", nil)
	p, err := orgs.Authenticate(admin)
	if err != nil {
		t.Fatal(err)
	}
	ae, in, chain := &auditEvidence{}, &fakeIntegrity{}, &fakeChainAdmin{}
	s, err := New(withEvidence(ae, Config{Access: orgs, TSA: http.NotFoundHandler(), Integrity: in, ChainAdmin: chain}))
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, token, body string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	recorded := func() []custody.Event {
		ae.mu.Lock()
		defer ae.mu.Unlock()
		return append([]custody.Event(nil), ae.events...)
	}
	if code := do("POST", "/api/v1/admin/integrity", viewer, ""); code != http.StatusForbidden || len(recorded()) != 0 {
		t.Fatalf("a viewer's POST = %d, recorded %+v; want 403 and nothing", code, recorded())
	}
	ae.fail = true
	if code := do("POST", "/api/v1/admin/integrity", admin, ""); code < 500 || in.st.Running != nil {
		t.Errorf("POST with the audit store down = %d, running %+v; want a 5xx and no audit started", code, in.st.Running)
	}
	ae.fail = false
	if code := do("POST", "/api/v1/admin/integrity", admin, ""); code != http.StatusAccepted {
		t.Fatalf("POST /api/v1/admin/integrity = %d", code)
	}
	if code := do("POST", "/api/v1/admin/chain/upgrade", admin, `{"state_version":6,"height":100}`); code != http.StatusAccepted {
		t.Fatalf("POST /api/v1/admin/chain/upgrade = %d", code)
	}
	if code := do("POST", "/api/v1/admin/chain/upgrade", admin, `{"state_version":6,"height":5}`); code != http.StatusBadRequest {
		t.Fatalf("POST /api/v1/admin/chain/upgrade below the height = %d, want 400", code)
	}
	got := recorded()
	want := []custody.Event{
		{Evidence: op.ID, Actor: p.Actor(), Type: custody.AuditIntegrityRequested, Subject: "trigger:manual"},
		{Evidence: op.ID, Actor: p.Actor(), Type: custody.AuditUpgradeVoted, Subject: "state_version:6:height:100"},
	}
	if len(got) != len(want) {
		t.Fatalf("recorded %+v, want %+v", got, want)
	}
	for i := range want {
		if g, w := got[i], want[i]; g.Evidence != w.Evidence || g.Actor != w.Actor || g.Type != w.Type || g.Subject != w.Subject {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
