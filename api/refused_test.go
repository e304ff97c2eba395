package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/storage"
)

// refusedWorld is an upload world whose node (member A) sent share
// notices to member C's node over the peer API's TLS, which refused them
// for good (422: the grantee is not C's): shA's notice and the revocation
// parked behind it, then shB's. A's outbox no longer runs, so what the
// operator queues again stays queued.
func refusedWorld(t testing.TB) (*uploadWorld, *peer.Node) {
	t.Helper()
	w := newUploadWorld(t)
	ms := peerTLS(t, 2)
	aID, cID := anchor.MemberID(ms[0].Cert), anchor.MemberID(ms[1].Cert)
	cdb, err := storage.OpenDB(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cdb.Close() })
	c, err := peer.New(peer.Config{TLS: ms[1], DB: cdb, Local: func(string) bool { return false },
		Home: func(org string) (string, bool) { return aID, org == w.org }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(c.Handler(http.NotFoundHandler()))
	srv.TLS = c.ServerTLS()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	a, err := peer.New(peer.Config{TLS: ms[0], URLs: map[string]string{cID: srv.URL}, DB: w.db, Update: w.ev.Update, Backoff: time.Millisecond,
		Home: func(string) (string, bool) { return "", false }, Local: func(org string) bool { return org == w.org }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audittrail.New(w.ev).AppendAudit(context.Background(), w.org, "test", custody.AuditOrgCreated, "kind:law_firm"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	nt := func(share string, revoked bool) peer.Notice {
		n := peer.Notice{Share: share, Kind: "evidence", Target: "item-" + share, Grantor: w.org, Grantee: "courtcourtcourtcourtcourt2", CreatedAt: now}
		if revoked {
			n.RevokedAt = &now
		}
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	for _, batch := range [][]peer.Notice{{nt("shA", false), nt("shA", true)}, {nt("shB", false)}} {
		if err := w.db.Update(func(tx *bolt.Tx) error {
			for _, n := range batch {
				if err := a.Enqueue(tx, cID, n); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if n, _ := a.Outbox(); n == 0 {
				break
			}
			if time.Now().After(end) {
				t.Fatal("the outbox did not empty")
			}
		}
	}
	cancel()
	<-done
	w.s.refused = a
	return w, a
}

func TestRefusedNotices(t *testing.T) {
	w, a := refusedWorld(t)
	op, _ := w.orgs.CreateOrg(access.KindOperator, "Operator")
	admin, _, _ := w.orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	viewer, _, _ := w.orgs.CreateKey(op.ID, access.RoleViewer, "viewer", nil)
	do := func(method, path, token string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		w.s.Handler().ServeHTTP(rec, req)
		return rec
	}
	const list = "/api/v1/admin/peer/refused"

	for _, tc := range []struct{ name, method, path, token string }{
		{"firm's key lists", "GET", list, w.token},
		{"viewer lists", "GET", list, viewer},
		{"viewer resends", "POST", list + "/shA/resend", viewer},
		{"viewer drops", "DELETE", list + "/shA", viewer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, do(tc.method, tc.path, tc.token), http.StatusForbidden, "forbidden")
		})
	}
	if rec := do("GET", list, ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET %s without a key = %d, want 401", list, rec.Code)
	}
	wantProblem(t, do("GET", list+"?limit=0", admin), http.StatusBadRequest, "bad-parameter")
	wantProblem(t, do("POST", list+"/nope/resend", admin), http.StatusNotFound, "not-found")
	wantProblem(t, do("DELETE", list+"/nope", admin), http.StatusNotFound, "not-found")

	rec := do("GET", list, admin)
	var got wire.RefusedNotices
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.Total != 2 || len(got.Notices) != 2 {
		t.Fatalf("GET %s = %d %s, want shB and shA", list, rec.Code, rec.Body)
	}
	for i, w := range []struct {
		share  string
		parked int
	}{{"shB", 0}, {"shA", 1}} {
		g := got.Notices[i]
		if g.Share != w.share || g.Parked != w.parked || g.Action != "share" || g.Status != 422 || g.Type != ProblemBase+"invalid-input" ||
			g.Detail == "" || g.Kind != "evidence" || g.Target != "item-"+w.share || g.RefusedAt.IsZero() {
			t.Errorf("notices[%d] = %+v, want %s refused 422 with %d parked", i, g, w.share, w.parked)
		}
	}
	if rec := do("GET", list+"?limit=1", admin); !strings.Contains(rec.Body.String(), `"total":2`) || strings.Contains(rec.Body.String(), "shA") {
		t.Errorf("GET ?limit=1 = %s, want shB alone, total 2", rec.Body)
	}

	rec = do("POST", list+"/shA/resend", admin)
	var act wire.RefusedAct
	if rec.Code != http.StatusAccepted || json.Unmarshal(rec.Body.Bytes(), &act) != nil || act.Result != "resent" || act.Notices != 2 || act.Share != "shA" {
		t.Errorf("resend shA = %d %s, want 202 resent, 2 notices", rec.Code, rec.Body)
	}
	if n, _ := a.Outbox(); n != 2 {
		t.Errorf("outbox after resend = %d, want shA's 2 notices", n)
	}
	// The resend is recorded on the grantor's audit chain, as a drop is
	// (authorization review A9).
	if evs, err := audittrail.New(w.ev).AuditTrail(context.Background(), w.org); err != nil || len(evs) == 0 {
		t.Fatalf("the grantor's audit trail: %v", err)
	} else if last, p := evs[len(evs)-1], principalOf(t, w, admin); last.Type != custody.AuditShareNoticesResent || last.Actor != p || !strings.HasPrefix(last.Subject, "share:shA:member:") || !strings.HasSuffix(last.Subject, ":notices:2") {
		t.Errorf("the grantor's last audit event after the resend = %+v, want %s of shA by the operator's admin", last, custody.AuditShareNoticesResent)
	}
	wantProblem(t, do("POST", list+"/shA/resend", admin), http.StatusNotFound, "not-found")

	rec = do("DELETE", list+"/shB", admin)
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &act) != nil || act.Result != "dropped" || act.Notices != 1 || act.Share != "shB" {
		t.Errorf("drop shB = %d %s, want 200 dropped, 1 notice", rec.Code, rec.Body)
	}
	if rec := do("GET", list, admin); !strings.Contains(rec.Body.String(), `{"notices":[],"total":0}`) {
		t.Errorf("GET %s after resend and drop = %s, want none", list, rec.Body)
	}
	evs, err := audittrail.New(w.ev).AuditTrail(context.Background(), w.org)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	p, _ := w.orgs.Authenticate(admin)
	if last.Type != custody.AuditShareNoticeDropped || last.Actor != p.Actor() || !strings.HasPrefix(last.Subject, "share:shB:member:") || !strings.HasSuffix(last.Subject, ":notices:1") {
		t.Errorf("the grantor's last audit event = %+v, want %s of shB by the operator's admin", last, custody.AuditShareNoticeDropped)
	}

	w.s.refused = nil
	wantProblem(t, do("GET", list, admin), http.StatusNotFound, "not-found")
}

// principalOf is the actor string of the key token in w.
func principalOf(t *testing.T, w *uploadWorld, token string) string {
	t.Helper()
	p, err := w.orgs.Authenticate(token)
	if err != nil {
		t.Fatal(err)
	}
	return p.Actor()
}
