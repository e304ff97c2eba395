package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/receipt"
)

// servedEvidence is the real evidence service, except that every item is
// anchored (its receipt is r) and has an evidence record (der), so that
// the receipt and evidence-record routes reach the custody write.
type servedEvidence struct {
	proved
	r   *receipt.Receipt
	der []byte
}

func (e servedEvidence) ReceiptWith(context.Context, string, proofs.ReceiptOptions) (*receipt.Receipt, error) {
	return e.r, nil
}

func (e servedEvidence) EvidenceRecord(context.Context, string) ([]byte, error) { return e.der, nil }

// TestReadRacingRevocation races every read route that records custody
// against the end of the grantee's right: afterVisibleHook revokes the
// share (of the item, or of its matter), or moves the clock past the
// share's expiry, right after the route found the item visible and
// before it records the read. The read must then be refused as a read of
// an unknown item is (same 404, same body), and leave no custody event
// or pending read of the grantee: the right is decided in the
// transaction that records the read. A share kept through the hook is
// served and recorded, so the hook is on the path.
func TestReadRacingRevocation(t *testing.T) {
	var skew atomic.Int64 // added to the evidence service's clock
	w := newUploadWorldWith(t, func(cfg *evidence.Config, _ *copyright.Config) {
		cfg.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
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
	stranger := newKey(t, w.orgs, "Stranger")
	t.Cleanup(func() { afterVisibleHook = nil })

	get := func(method, path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		w.s.e.ServeHTTP(rec, req)
		return rec
	}
	// courtReads counts the court's recorded reads of id.
	courtReads := func(id string) int64 { return readsBy(t, w.ev, cp.Org.ID, id) }

	routes := []struct{ method, path string }{
		{"GET", ""},
		{"GET", "/content"},
		{"HEAD", "/content"},
		{"GET", "/custody"},
		{"GET", "/timestamp"},
		{"GET", "/receipt"},
		{"GET", "/evidence-record"},
	}
	ends := []string{"kept", "revoked", "matter revoked", "expired"}
	for _, rt := range routes {
		for _, end := range ends {
			name := rt.method + " " + rt.path + " " + end
			var id string
			var sh *evidence.Share
			expires := time.Now().Add(time.Hour)
			switch end {
			case "matter revoked":
				rec := w.post(t, "/api/v1/matters", strings.NewReader(`{"title":"`+name+`"}`), "application/json")
				m := strings.TrimPrefix(rec.Header().Get("Location"), "/api/v1/matters/")
				if rec.Code != http.StatusCreated || m == "" {
					t.Fatalf("create matter = %d %s", rec.Code, rec.Body)
				}
				id = uploadInto(t, w, m, []byte(name))
				if sh, _, err = w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareMatter, m, cp.Org.ID, nil); err != nil {
					t.Fatal(err)
				}
			default:
				up := w.upload(t, strings.NewReader(name), "text/plain")
				if up.Code != http.StatusCreated {
					t.Fatalf("upload = %d %s", up.Code, up.Body)
				}
				id = strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
				var exp *time.Time
				if end == "expired" {
					exp = &expires
				}
				if sh, _, err = w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, exp); err != nil {
					t.Fatal(err)
				}
			}
			skew.Store(0)
			hooked := false
			afterVisibleHook = func(rec *evidence.Record) {
				if rec.ID != id || hooked {
					return
				}
				hooked = true
				switch end {
				case "revoked", "matter revoked":
					if _, err := w.shares.RevokeShare(ctx, w.org, w.actor, sh.ID); err != nil {
						t.Error(err)
					}
				case "expired":
					skew.Store(int64(2 * time.Hour))
				}
			}
			got := get(rt.method, "/api/v1/evidence/"+id+rt.path, court)
			afterVisibleHook = nil
			if !hooked {
				t.Errorf("%s: the hook did not run", name)
				continue
			}
			reads := courtReads(id)
			if end == "kept" {
				if got.Code != http.StatusOK || reads != 1 {
					t.Errorf("%s: %d %.200s with %d reads recorded, want 200 and 1", name, got.Code, got.Body, reads)
				}
				continue
			}
			unknown := get(rt.method, "/api/v1/evidence/01JUNKNOWNUNKNOWNUNKNOWN00"+rt.path, stranger)
			if got.Code != http.StatusNotFound || !bytes.Equal(got.Body.Bytes(), unknown.Body.Bytes()) {
				t.Errorf("%s: %d %.200s, want what a stranger gets for an unknown item: %d %.200s", name, got.Code, got.Body, unknown.Code, unknown.Body)
			}
			if reads != 0 {
				t.Errorf("%s: %d reads of the court recorded, want none", name, reads)
			}
		}
	}
}

// TestPeerReadRacingRevocation: a court's read relayed from its own
// member's node is decided by the home node as a local read is: a share
// revoked between the home node's visibility check and its custody write
// (afterVisibleHook) refuses the read with 404 and records nothing.
func TestPeerReadRacingRevocation(t *testing.T) {
	w := newUploadWorld(t)
	ms := peerTLS(t, 2) // A (home), C (the court's node)
	aID, cID := anchor.MemberID(ms[0].Cert), anchor.MemberID(ms[1].Cert)
	c := peerNode(t, ms[1], map[string]string{aID: servePeers(t, w, ms[0])})
	const court = "courtcourtcourtcourtcourt2"
	w.s.directory = &fakeDirectory{entries: map[string]anchor.DirEntry{court: {ID: court, Kind: "court", Name: "Court", Member: cID}}}
	up := w.upload(t, strings.NewReader("exhibit read across members"), "text/plain")
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
	ctx := context.Background()
	t.Cleanup(func() { afterVisibleHook = nil })
	for _, path := range []string{"", "/content", "/custody"} {
		sh, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, court, nil)
		if err != nil {
			t.Fatal(err)
		}
		hooked := false
		afterVisibleHook = func(*evidence.Record) {
			hooked = true
			if _, err := w.shares.RevokeShare(ctx, w.org, w.actor, sh.ID); err != nil {
				t.Error(err)
			}
		}
		code, body := peerGet(t, c, aID, "/peer/v1/evidence/"+id+path, court)
		afterVisibleHook = nil
		if !hooked || code != http.StatusNotFound || !strings.Contains(body, "not-found") {
			t.Errorf("%s revoked during the relayed read: %d %.200s (hook ran: %v), want 404 not-found", path, code, body, hooked)
		}
	}
	evs, pending, err := w.ev.CustodyPending(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if strings.HasPrefix(e.Actor, court+":") {
			t.Errorf("the court's refused read was recorded: %s %s by %s", e.Type, e.Subject, e.Actor)
		}
	}
	if len(pending) != 0 {
		t.Errorf("pending reads = %+v, want none", pending)
	}
}

// racedDocuments is the real evidence service and copyright register,
// except that every item has an evidence record (der), certificate cert
// is read as given, and reading it runs during (the act that happens right
// after the document was read).
type racedDocuments struct {
	proved
	Register
	der    []byte
	cert   *certificates.Certificate
	during func()
}

func (d racedDocuments) EvidenceRecord(context.Context, string) ([]byte, error) { return d.der, nil }

func (d racedDocuments) PDFRecord(context.Context, string) ([]byte, string, error) {
	return nil, "", evidence.ErrRecordPending
}

func (d racedDocuments) Certificate(context.Context, string, string) (*certificates.Certificate, error) {
	d.during()
	return d.cert, nil
}

// TestDocumentRecordsRacingRevocation: the evidence records of a
// certificate's items are each recorded as a read only if the caller's
// organization may still see the item then. A share ended right after the
// document was read leaves its item out of a certificate's records (as
// the certificate read now names only the items the organization may
// see), with no read recorded. (A registration's records are read by
// right of its registrant and owner, not of shares:
// TestCopyrightRecordsRacingTransfer.)
func TestDocumentRecordsRacingRevocation(t *testing.T) {
	w := newUploadWorld(t)
	ctx := context.Background()
	court := newKey(t, w.orgs, "Court")
	cp, err := w.orgs.Authenticate(court)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var shares []*evidence.Share
	for _, data := range []string{"kept", "revoked"} {
		up := w.upload(t, strings.NewReader(data), "text/plain")
		if up.Code != http.StatusCreated {
			t.Fatalf("upload = %d %s", up.Code, up.Body)
		}
		id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
		sh, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids, shares = append(ids, id), append(shares, sh)
	}
	revoke := func(sh *evidence.Share) func() {
		return func() {
			if _, err := w.shares.RevokeShare(ctx, w.org, w.actor, sh.ID); err != nil {
				t.Error(err)
			}
		}
	}
	docs := racedDocuments{proved: withProver(t, w.ev), Register: w.crs, der: []byte{0x30, 0},
		cert: &certificates.Certificate{ID: "cert", Org: cp.Org.ID, Evidence: ids}}
	get := func(path string) *httptest.ResponseRecorder {
		s, err := New(withEvidence(docs, Config{Access: w.orgs, TSA: w.tsa, Copyrights: docs, Transfers: w.crs}))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+court)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec
	}
	reads := func(id string) int {
		evs, pending, err := w.ev.CustodyPending(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		n := len(pending)
		for _, e := range evs {
			if strings.HasPrefix(e.Actor, cp.Org.ID+":") {
				n++
			}
		}
		return n
	}

	docs.during = revoke(shares[1])
	res := get("/api/v1/certificates/cert/evidence-records")
	var out wire.DocumentRecords
	if res.Code != http.StatusOK || json.Unmarshal(res.Body.Bytes(), &out) != nil {
		t.Fatalf("certificate records = %d %s", res.Code, res.Body)
	}
	if len(out.Records) != 2 || out.Records[0].ID != ids[0] || out.Records[0].Status != wire.RecordReady || out.Records[1].Kind != wire.RecordKindPDF {
		t.Errorf("certificate records = %+v, want the item still shared, then the PDF's", out.Records)
	}
	if r0, r1 := reads(ids[0]), reads(ids[1]); r0 != 1 || r1 != 0 {
		t.Errorf("reads recorded = %d, %d; want 1 of the item still shared, none of the other", r0, r1)
	}
}

// transferringRegister is the real copyright register, except that
// reading a registration runs during (the act that happens right after).
type transferringRegister struct {
	*copyright.Register
	during func()
}

func (r transferringRegister) Copyright(ctx context.Context, id string) (*copyright.Copyright, error) {
	cr, err := r.Register.Copyright(ctx, id)
	r.during()
	return cr, err
}

// TestCopyrightPDFRacingTransfer: the registration certificate is served
// to the registrant and the current owner, decided again in the
// transaction that records the read on the files: an owner that transfers
// the registration on (and is not its registrant) right after the
// handler read it gets what any organization other than those two gets,
// and no read of its is recorded.
func TestCopyrightPDFRacingTransfer(t *testing.T) {
	tw := newTransferWorld(t)
	ctx := context.Background()
	cr, err := tw.crs.Copyright(ctx, tw.cr)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tw.crs.SaveCopyrightDocument(ctx, cr.ID, tw.actor, &copyright.CopyrightDocument{Office: "o"}, []byte("%PDF-1 c")); err != nil {
		t.Fatal(err)
	}
	transfer := func(fromToken, toToken string) {
		t.Helper()
		from, err := tw.orgs.Authenticate(fromToken)
		if err != nil {
			t.Fatal(err)
		}
		to, err := tw.orgs.Authenticate(toToken)
		if err != nil {
			t.Fatal(err)
		}
		o, err := tw.crs.OfferTransfer(ctx, cr.ID, from.Org.ID, from.Actor(), to.Org.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tw.crs.AcceptTransfer(ctx, o.ID, to.Org.ID, to.Actor()); err != nil {
			t.Fatal(err)
		}
	}
	transfer(tw.token, tw.tokB)
	reg := transferringRegister{Register: tw.crs, during: func() {}}
	s, err := New(withEvidence(withProver(t, tw.ev), Config{Access: tw.orgs, TSA: tw.tsa, Copyrights: reg, Transfers: tw.crs}))
	if err != nil {
		t.Fatal(err)
	}
	get := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/copyrights/"+cr.ID+".pdf", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec
	}
	readsOfB := func() int {
		evs, pending, err := tw.ev.CustodyPending(ctx, cr.Items[0])
		if err != nil {
			t.Fatal(err)
		}
		n := len(pending)
		for _, e := range evs {
			if e.Type == "viewed" && strings.HasPrefix(e.Actor, tw.orgB+":") {
				n++
			}
		}
		return n
	}
	if res := get(tw.tokB); res.Code != http.StatusOK || res.Body.String() != "%PDF-1 c" || readsOfB() != 1 {
		t.Fatalf("the owner's read = %d %.100s, %d reads recorded; want 200, 1", res.Code, res.Body, readsOfB())
	}
	s.copyrights = transferringRegister{Register: tw.crs, during: func() { transfer(tw.tokB, tw.tokC) }}
	got := get(tw.tokB)
	s.copyrights = reg
	stranger := get(newKey(t, tw.orgs, "Stranger"))
	if got.Code != http.StatusNotFound || !bytes.Equal(got.Body.Bytes(), stranger.Body.Bytes()) {
		t.Errorf("the owner transferring it on meanwhile = %d %.200s; want what another organization gets: %d %.200s", got.Code, got.Body, stranger.Code, stranger.Body)
	}
	if n := readsOfB(); n != 1 {
		t.Errorf("reads of B recorded = %d, want still 1", n)
	}
}

// racingRecords is the real evidence service, except that every item has
// an evidence record (der), and fetching item id's runs during(id).
type racingRecords struct {
	proved
	der    []byte
	during func(id string)
}

func (r racingRecords) EvidenceRecord(_ context.Context, id string) ([]byte, error) {
	r.during(id)
	return r.der, nil
}

// TestCopyrightRecordsRacingTransfer: a registration's evidence records
// are all or nothing. Its owner (not its registrant) asks for them and
// transfers the registration on while the answer is being built, after
// the first file's record was fetched and before the second's: the answer
// is what any organization other than the registrant and the owner gets
// (404), and no read of the owner's is recorded on any file, the first
// one's included. Asked again as the new owner, every file's read is
// recorded and the records are served.
func TestCopyrightRecordsRacingTransfer(t *testing.T) {
	tw := newTransferWorld(t)
	ctx := context.Background()
	body, ct := fileForm(t, testWork, formFile{"one.txt", "text/plain", []byte("file one")}, formFile{"two.txt", "text/plain", []byte("file two")})
	res := tw.post(t, "/api/v1/copyrights", body, ct)
	if res.Code != http.StatusCreated {
		t.Fatalf("registration = %d %s", res.Code, res.Body)
	}
	var cr copyright.Copyright
	mustDecode(t, res, &cr)
	if len(cr.Items) != 2 {
		t.Fatalf("registration of %d files, want 2", len(cr.Items))
	}
	transfer := func(fromToken, toToken string) {
		t.Helper()
		from, err := tw.orgs.Authenticate(fromToken)
		if err != nil {
			t.Fatal(err)
		}
		to, err := tw.orgs.Authenticate(toToken)
		if err != nil {
			t.Fatal(err)
		}
		o, err := tw.crs.OfferTransfer(ctx, cr.ID, from.Org.ID, from.Actor(), to.Org.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tw.crs.AcceptTransfer(ctx, o.ID, to.Org.ID, to.Actor()); err != nil {
			t.Fatal(err)
		}
	}
	transfer(tw.token, tw.tokB)
	recs := racingRecords{proved: withProver(t, tw.ev), der: []byte{0x30, 0}, during: func(string) {}}
	get := func(token string) *httptest.ResponseRecorder {
		t.Helper()
		s, err := New(withEvidence(recs, Config{Access: tw.orgs, TSA: tw.tsa, Copyrights: tw.crs, Transfers: tw.crs}))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/api/v1/copyrights/"+cr.ID+"/evidence-records", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec
	}
	// reads is the reads of org recorded on each file: events and reads
	// pending in a fold.
	reads := func(org string) []int64 {
		t.Helper()
		var out []int64
		for _, id := range cr.Items {
			evs, pending, err := tw.ev.CustodyPending(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, e := range evs {
				if e.Subject == "evidence-record" && strings.HasPrefix(e.Actor, org+":") {
					n += e.Count()
				}
			}
			for _, p := range pending {
				if p.Subject == "evidence-record" && strings.HasPrefix(p.Actor, org+":") {
					n += int64(p.Reads)
				}
			}
			out = append(out, n)
		}
		return out
	}

	recs.during = func(id string) {
		if id == cr.Items[1] {
			transfer(tw.tokB, tw.tokC)
		}
	}
	got := get(tw.tokB)
	recs.during = func(string) {}
	stranger := get(newKey(t, tw.orgs, "Stranger"))
	if got.Code != http.StatusNotFound || !bytes.Equal(got.Body.Bytes(), stranger.Body.Bytes()) {
		t.Errorf("the owner transferring it on midway = %d %.200s; want what another organization gets: %d %.200s", got.Code, got.Body, stranger.Code, stranger.Body)
	}
	if n := reads(tw.orgB); n[0] != 0 || n[1] != 0 {
		t.Errorf("reads of the former owner recorded = %v, want none on either file", n)
	}
	res = get(tw.tokC)
	var out wire.DocumentRecords
	if res.Code != http.StatusOK || json.Unmarshal(res.Body.Bytes(), &out) != nil || len(out.Records) != 2 {
		t.Fatalf("the new owner's records = %d %s, want 200 with 2 records", res.Code, res.Body)
	}
	if n := reads(tw.orgC); n[0] != 1 || n[1] != 1 {
		t.Errorf("reads of the new owner recorded = %v, want one on each file", n)
	}
}

// readsBy counts the reads of org recorded on the items ids: custody
// events (a folded read counts its reads) and reads pending in a fold.
func readsBy(t *testing.T, ev *evidence.Service, org string, ids ...string) int64 {
	t.Helper()
	var n int64
	for _, id := range ids {
		evs, pending, err := ev.CustodyPending(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if strings.HasPrefix(e.Actor, org+":") {
				n += e.Count()
			}
		}
		for _, p := range pending {
			if strings.HasPrefix(p.Actor, org+":") {
				n += int64(p.Reads)
			}
		}
	}
	return n
}
