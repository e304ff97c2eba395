package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certify"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
)

// txIssuer issues certificates as the office does, as far as the API can
// tell: one transaction of the node's database stores each (here, its ID
// in a bucket of its own), and runs within there.
type txIssuer struct{ db *bolt.DB }

var bTestCerts = []byte("test.certificates")

func (f *txIssuer) issue(req certify.Request, within func(*bolt.Tx, *certificates.Certificate) error) (*certificates.Certificate, error) {
	c := &certificates.Certificate{ID: evidence.NewID(), Number: "（2026）浙杭钱证字第1号", Org: req.Org, Actor: req.Actor,
		Evidence: req.Evidence, Status: certificates.CertificateValid}
	err := f.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bTestCerts)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(c.ID), nil); err != nil || within == nil {
			return err
		}
		return within(tx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (f *txIssuer) NotarialWithin(_ context.Context, req certify.Request, within func(*bolt.Tx, *certificates.Certificate) error) (*certificates.Certificate, error) {
	return f.issue(req, within)
}

func (f *txIssuer) Copyright(context.Context, *copyright.Copyright, string, string) error { return nil }

// issued is how many certificates f stored.
func (f *txIssuer) issued(t *testing.T) int {
	t.Helper()
	n := 0
	if err := f.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bTestCerts); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIdempotentCertificateAnswerCommittedWithCertificate: a notarial
// certificate's answer is stored in the transaction that issues it, so a
// crash just after that commit (before a second transaction could store
// the answer) leaves the certificate with its answer, and the retry with
// the same key gets it instead of issuing a second certificate.
func TestIdempotentCertificateAnswerCommittedWithCertificate(t *testing.T) {
	w := newUploadWorld(t)
	iss := &txIssuer{db: w.db}
	w.s.issuer = iss
	office, err := w.orgs.CreateOrg(access.KindNotary, "Qiantang Notary Office")
	if err != nil {
		t.Fatal(err)
	}
	notary, _, err := w.orgs.CreateKey(office.ID, access.RoleNotary, "notary", nil)
	if err != nil {
		t.Fatal(err)
	}
	post := func(body, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/certificates", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+notary)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		rec := httptest.NewRecorder()
		w.s.e.ServeHTTP(rec, req)
		return rec
	}
	body := `{"evidence":["e1"]}`
	w.idem.beforeSave = func() { panic("simulated crash after the act's commit") }
	func() {
		defer func() { recover() }()
		post(body, "n1")
	}()
	w.idem.beforeSave = nil
	if n := iss.issued(t); n != 1 {
		t.Fatalf("certificates after the crash = %d, want the one committed", n)
	}
	r := post(body, "n1")
	if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "true" ||
		!strings.HasPrefix(r.Header().Get("Location"), "/api/v1/certificates/") || !strings.Contains(r.Body.String(), `"org_name":"Qiantang Notary Office"`) {
		t.Errorf("retry after the crash = %d %v %s; want the stored 201", r.Code, r.Header(), r.Body)
	}
	if n := iss.issued(t); n != 1 {
		t.Errorf("%d certificates after the retry, want 1", n)
	}
	// Without the crash, the answer sent is the one stored, byte for byte.
	first, again := post(`{"evidence":["e2"]}`, "n2"), post(`{"evidence":["e2"]}`, "n2")
	if first.Code != http.StatusCreated || !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) || again.Header().Get(wire.ReplayedHeader) != "true" ||
		first.Header().Get("Location") != again.Header().Get("Location") || first.Header().Get("Content-Type") != again.Header().Get("Content-Type") {
		t.Errorf("answer %d %v %q, replay %v %q; want the same", first.Code, first.Header(), first.Body, again.Header(), again.Body)
	}
	if status := post(`{"evidence":["e3"]}`, "n2").Code; status != http.StatusUnprocessableEntity {
		t.Errorf("another body with key n2 = %d, want 422", status)
	}
	if n := iss.issued(t); n != 2 {
		t.Errorf("%d certificates in all, want 2", n)
	}
}
