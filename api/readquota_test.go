package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/receipt"
)

// TestSharedReadQuota runs the per-organization quota on reads of shared
// evidence over HTTP: a grantee's reads, by any of its keys and on any read
// route, spend one bucket, and once it is empty are refused with 429
// problem+json and Retry-After, before anything is recorded; the owner's
// own reads and listings are not counted.
func TestSharedReadQuota(t *testing.T) {
	w := newUploadWorld(t)
	ctx := context.Background()
	now := time.Unix(2e9, 0)
	w.s.limits.sharedRead = testLimiter(t, 1, 3, &now)

	up := w.upload(t, strings.NewReader("exhibit A"), "text/plain")
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	var v wire.EvidenceView
	if err := json.Unmarshal(up.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	court, err := w.s.orgs.CreateOrg(access.KindCourt, "Court")
	if err != nil {
		t.Fatal(err)
	}
	examiner, _, err := w.s.orgs.CreateKey(court.ID, access.RoleSubmitter, "examiner", nil)
	if err != nil {
		t.Fatal(err)
	}
	clerk, _, err := w.s.orgs.CreateKey(court.ID, access.RoleSubmitter, "clerk", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, v.ID, court.ID, nil); err != nil {
		t.Fatal(err)
	}

	get := func(method, path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		w.s.e.ServeHTTP(rec, req)
		return rec
	}
	item := "/api/v1/evidence/" + v.ID
	served := 0 // the court's reads answered
	steps := []struct {
		name, method, path, token string
		advance                   time.Duration
		want                      int
	}{
		{"owner lists, no quota", "GET", "/api/v1/evidence", w.token, 0, 200},
		{"court reads metadata", "GET", item, examiner, 0, 200},
		{"court downloads", "GET", item + "/content", examiner, 0, 200},
		{"another court key lists", "GET", "/api/v1/evidence", clerk, 0, 200},
		{"court over: metadata", "GET", item, examiner, 0, 429},
		{"court over: the other key", "GET", item + "/custody", clerk, 0, 429},
		{"court over: HEAD content", "HEAD", item + "/content", clerk, 0, 429},
		{"court over: timestamp", "GET", item + "/timestamp", clerk, 0, 429},
		{"court over: receipt", "GET", item + "/receipt", clerk, 0, 429},
		{"court over: listing", "GET", "/api/v1/evidence", clerk, 0, 429},
		{"owner reads all it wants", "GET", item, w.token, 0, 200},
		{"owner downloads", "GET", item + "/content", w.token, 0, 200},
		{"owner custody", "GET", item + "/custody", w.token, 0, 200},
		{"owner lists again", "GET", "/api/v1/evidence", w.token, 0, 200},
		{"owner lists once more", "GET", "/api/v1/evidence", w.token, 0, 200},
		{"a token refilled", "GET", item + "/timestamp", clerk, time.Second, 200},
		{"and spent", "GET", item, examiner, 0, 429},
		{"not visible is 404, whatever the quota", "GET", "/api/v1/evidence/" + strings.Repeat("a", 26), examiner, 0, 404},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		rec := get(st.method, st.path, st.token)
		if rec.Code != st.want {
			t.Errorf("%s: %s %s = %d %s, want %d", st.name, st.method, st.path, rec.Code, rec.Body, st.want)
		}
		if st.token != w.token && rec.Code == 200 && st.path != "/api/v1/evidence" {
			served++
		}
		if st.want != http.StatusTooManyRequests {
			continue
		}
		if st.method == "HEAD" {
			if rec.Header().Get("Retry-After") != "1" {
				t.Errorf("%s: Retry-After = %q, want 1", st.name, rec.Header().Get("Retry-After"))
			}
			continue
		}
		wantProblem(t, rec, http.StatusTooManyRequests, "read-quota")
		if ra := rec.Header().Get("Retry-After"); ra != "1" {
			t.Errorf("%s: Retry-After = %q, want 1", st.name, ra)
		}
	}
	// The refused reads left no trace in the custody chain: the court's
	// recorded reads (events and pending folds) are exactly those answered,
	// plus its one listing.
	evs, err := w.ev.Custody(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := w.ev.PendingReads(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	var recorded int64
	for _, e := range evs {
		if strings.HasPrefix(e.Actor, court.ID+":") {
			recorded += e.Count()
		}
	}
	for _, p := range pending {
		if strings.HasPrefix(p.Actor, court.ID+":") {
			recorded += int64(p.Reads)
		}
	}
	if want := int64(served + 1); recorded != want {
		t.Errorf("the court's recorded reads = %d, want %d", recorded, want)
	}
}

// TestNewLimitsSharedRead: the shared-read quota's defaults, and that a
// burst defaults to two minutes of the rate.
func TestNewLimitsSharedRead(t *testing.T) {
	for _, tc := range []struct {
		in          Limits
		rate, burst float64
		off         bool
	}{
		{in: Limits{}, rate: DefaultSharedReadRate, burst: DefaultSharedReadBurst},
		{in: Limits{SharedReadRate: 2}, rate: 2, burst: 240},
		{in: Limits{SharedReadRate: 2, SharedReadBurst: 5}, rate: 2, burst: 5},
		{in: Limits{SharedReadBurst: 50}, rate: DefaultSharedReadRate, burst: 50},
		{in: Limits{SharedReadRate: -1}, off: true},
	} {
		l, err := newLimits(tc.in)
		if err != nil {
			t.Fatalf("newLimits(%+v) = %v", tc.in, err)
		}
		if got := l.sharedRead; (got == nil) != tc.off || (got != nil && (got.rate != tc.rate || got.burst != tc.burst)) {
			t.Errorf("newLimits(%+v).sharedRead = %+v, want rate %v burst %v (off %v)", tc.in, got, tc.rate, tc.burst, tc.off)
		}
	}
	if DefaultSharedReadRate*60 != 600 || DefaultSharedReadBurst != 1200 {
		t.Errorf("defaults %d/min, burst %d; want 600/min, burst 1200", DefaultSharedReadRate*60, DefaultSharedReadBurst)
	}
}

// TestRefusedReadRefundsQuota: a read refused in the transaction that
// records it (the share revoked after readable found the item visible,
// afterVisibleHook) gives back the shared-read token it took, on every
// read route that records custody: answered 404 as an item the
// organization may not see is, it costs the quota what such a 404 costs,
// nothing. With a burst of one token and the clock stopped, the read that
// follows, on a share made again, is served (it was 429 before: the
// refused read had spent the only token); and the one after it is 429, so
// the token given back is one, not a free read.
func TestRefusedReadRefundsQuota(t *testing.T) {
	w := newUploadWorld(t)
	good, err := os.ReadFile("../receipt/testdata/good.json")
	if err != nil {
		t.Fatal(err)
	}
	anchored, err := receipt.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	if w.s, err = New(withEvidence(servedEvidence{proved: withProver(t, w.ev), r: anchored, der: []byte{0x30, 0}},
		Config{Access: w.orgs, TSA: w.tsa, DB: w.db, Copyrights: w.crs, Transfers: w.crs})); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	court := newKey(t, w.orgs, "Court")
	cp, err := w.orgs.Authenticate(court)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { afterVisibleHook = nil })
	get := func(method, path string) int {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+court)
		rec := httptest.NewRecorder()
		w.s.e.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, rt := range []struct{ method, path string }{
		{"GET", ""}, {"GET", "/content"}, {"HEAD", "/content"}, {"GET", "/custody"},
		{"GET", "/timestamp"}, {"GET", "/receipt"}, {"GET", "/evidence-record"},
	} {
		name := rt.method + " " + rt.path
		up := w.upload(t, strings.NewReader(name), "text/plain")
		if up.Code != http.StatusCreated {
			t.Fatalf("upload = %d %s", up.Code, up.Body)
		}
		id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
		now := time.Unix(2e9, 0)
		w.s.limits.sharedRead = testLimiter(t, 1, 1, &now)
		sh, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		afterVisibleHook = func(rec *evidence.Record) {
			afterVisibleHook = nil
			if _, err := w.shares.RevokeShare(ctx, w.org, w.actor, sh.ID); err != nil {
				t.Error(err)
			}
		}
		if code := get(rt.method, "/api/v1/evidence/"+id+rt.path); code != http.StatusNotFound {
			t.Errorf("%s, the share revoked midway = %d, want 404", name, code)
		}
		if _, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, nil); err != nil {
			t.Fatal(err)
		}
		for i, want := range []int{http.StatusOK, http.StatusTooManyRequests} {
			if code := get(rt.method, "/api/v1/evidence/"+id+rt.path); code != want {
				t.Errorf("%s, read %d after the refused one = %d, want %d", name, i+1, code, want)
			}
		}
	}
}

// TestCertificateRecordsQuota: GET /api/v1/certificates/{id}/evidence-records
// spends the caller's shared-read quota as a listing page does: one token
// for the request if it records a read of any item shared with the
// organization, however many; none over the organization's own items. It
// is refused 429 once the quota is spent, with nothing recorded, and a
// request whose shared reads are all refused when they are recorded (the
// shares revoked after the certificate was read) gives its token back.
// Before, the route spent no token at all.
func TestCertificateRecordsQuota(t *testing.T) {
	w := newUploadWorld(t)
	ctx := context.Background()
	court := newKey(t, w.orgs, "Court")
	cp, err := w.orgs.Authenticate(court)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	share := func() (shares []string) {
		t.Helper()
		for _, id := range ids {
			sh, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			shares = append(shares, sh.ID)
		}
		return shares
	}
	for _, data := range []string{"exhibit A", "exhibit B"} {
		up := w.upload(t, strings.NewReader(data), "text/plain")
		if up.Code != http.StatusCreated {
			t.Fatalf("upload = %d %s", up.Code, up.Body)
		}
		ids = append(ids, strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/"))
	}
	shares := share()
	docs := racedDocuments{proved: withProver(t, w.ev), Register: w.crs, der: []byte{0x30, 0}, during: func() {},
		cert: &certificates.Certificate{ID: "cert", Org: cp.Org.ID, Evidence: ids}}
	s, err := New(withEvidence(&docs, Config{Access: w.orgs, TSA: w.tsa, Copyrights: docs, Transfers: w.crs}))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(2e9, 0)
	s.limits.sharedRead = testLimiter(t, 1, 2, &now)
	get := func(path, token string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec.Code
	}
	reads := func() int { return int(readsBy(t, w.ev, cp.Org.ID, ids...)) }
	const records = "/api/v1/certificates/cert/evidence-records"
	item := "/api/v1/evidence/" + ids[0]
	steps := []struct {
		name, path, token string
		want, reads       int // reads: the court's recorded reads after the step
	}{
		{"records of two shared items", records, court, 200, 2},
		{"one token left", item, court, 200, 3},
		{"none left", item, court, 429, 3},
		{"records refused, nothing recorded", records, court, 429, 3},
		{"the owner's records of its own items, no quota", records, w.token, 200, 3},
	}
	for _, st := range steps {
		if got := get(st.path, st.token); got != st.want {
			t.Errorf("%s: GET %s = %d, want %d", st.name, st.path, got, st.want)
		}
		if n := reads(); n != st.reads {
			t.Errorf("%s: the court's recorded reads = %d, want %d", st.name, n, st.reads)
		}
	}

	// Both shares end after the certificate was read: the records leave
	// both items out, record nothing, and give the token back.
	now = now.Add(time.Hour) // the bucket refills: two tokens
	docs.during = func() {
		docs.during = func() {}
		for _, id := range shares {
			if _, err := w.shares.RevokeShare(ctx, w.org, w.actor, id); err != nil {
				t.Error(err)
			}
		}
	}
	if got := get(records, court); got != http.StatusOK {
		t.Errorf("records, the shares revoked midway = %d, want 200", got)
	}
	share()
	for i, want := range []int{200, 200, 429} {
		if got := get(item, court); got != want {
			t.Errorf("read %d after the refused records = %d, want %d", i+1, got, want)
		}
	}
}

// pdfDocuments is racedDocuments whose certificate also has a signed PDF:
// reading it records a viewed event on each item (as
// certificates.Register.CertificatePDF does) unless refuse is set, when it
// is refused as a certificate the organization may no longer read.
type pdfDocuments struct {
	*racedDocuments
	ev     *evidence.Service
	refuse bool
}

func (d pdfDocuments) CertificatePDF(ctx context.Context, id, org, actor string) (*certificates.Certificate, []byte, error) {
	if d.refuse {
		return nil, nil, evidence.ErrNotFound
	}
	for _, item := range d.cert.Evidence {
		if _, _, err := d.ev.Access(ctx, item, actor, custody.EventViewed, "certificate:"+d.cert.ID); err != nil {
			return nil, nil, err
		}
	}
	return d.cert, []byte("%PDF-1.7\n"), nil
}

// TestCertificatePDFQuota: a certificate's signed PDF states its items'
// metadata and records a read on each, so for a reader that sees items of
// it through a share (a notary certifying a firm's items) it spends one
// token of the shared-read quota, however many items, as a listing page
// does; over the reader's own items none. Once the quota is spent it is
// 429 with nothing recorded, and a read refused (404) gives its token
// back. Before, it spent no token at all.
func TestCertificatePDFQuota(t *testing.T) {
	w := newUploadWorld(t)
	ctx := context.Background()
	court := newKey(t, w.orgs, "Court")
	cp, err := w.orgs.Authenticate(court)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, data := range []string{"exhibit A", "exhibit B"} {
		up := w.upload(t, strings.NewReader(data), "text/plain")
		if up.Code != http.StatusCreated {
			t.Fatalf("upload = %d %s", up.Code, up.Body)
		}
		id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
		if _, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	docs := &pdfDocuments{ev: w.ev, racedDocuments: &racedDocuments{proved: withProver(t, w.ev), Register: w.crs, der: []byte{0x30, 0},
		during: func() {}, cert: &certificates.Certificate{ID: "cert", Org: cp.Org.ID, Evidence: ids}}}
	s, err := New(withEvidence(docs, Config{Access: w.orgs, TSA: w.tsa, Copyrights: w.crs, Transfers: w.crs}))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(2e9, 0)
	s.limits.sharedRead = testLimiter(t, 1, 2, &now)
	get := func(path, token string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec.Code
	}
	reads := func() int { return int(readsBy(t, w.ev, cp.Org.ID, ids...)) }
	const pdf = "/api/v1/certificates/cert.pdf"
	item := "/api/v1/evidence/" + ids[0]
	steps := []struct {
		name, path, token string
		refuse            bool
		advance           time.Duration
		want, reads       int // reads: the court's recorded reads after the step
	}{
		{"the PDF over two shared items", pdf, court, false, 0, 200, 2},
		{"one token left", item, court, false, 0, 200, 3},
		{"none left", item, court, false, 0, 429, 3},
		{"the PDF refused, nothing recorded", pdf, court, false, 0, 429, 3},
		{"the owner's PDF of its own items, no quota", pdf, w.token, false, 0, 200, 3},
		{"a token refilled, the PDF refused after it was taken", pdf, court, true, time.Second, 404, 3},
		{"the token was given back", item, court, false, 0, 200, 4},
		{"and is spent", item, court, false, 0, 429, 4},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		docs.refuse = st.refuse
		if got := get(st.path, st.token); got != st.want {
			t.Errorf("%s: GET %s = %d, want %d", st.name, st.path, got, st.want)
		}
		if n := reads(); n != st.reads {
			t.Errorf("%s: the court's recorded reads = %d, want %d", st.name, n, st.reads)
		}
	}
}
