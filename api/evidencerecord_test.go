package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/custos-project/custos/custody"
)

// builtRecord is the evidence service with every item's evidence record
// built: the bytes given.
type builtRecord struct {
	proved
	der []byte
}

func (b builtRecord) EvidenceRecord(context.Context, string) ([]byte, error) { return b.der, nil }

// GET .../evidence-record: 404 evidence-record-pending while the item has
// none (nothing recorded), the DER with its file name once it has one (a
// viewed event with subject evidence-record), 404 not-found to an
// organization that may not read the item.
func TestGetEvidenceRecord(t *testing.T) {
	w := newUploadWorld(t)
	up := w.upload(t, strings.NewReader("contract"), "text/plain")
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
	get := func(s *Server, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/evidence/"+id+"/evidence-record", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec
	}
	reads := func() int {
		evs, _, err := w.ev.CustodyPending(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Type == custody.EventViewed && e.Subject == "evidence-record" {
				n++
			}
		}
		return n
	}

	got := get(w.s, w.token)
	var p struct{ Type string }
	json.Unmarshal(got.Body.Bytes(), &p)
	if got.Code != http.StatusNotFound || p.Type != ProblemBase+"evidence-record-pending" || got.Header().Get("Retry-After") != "10" {
		t.Errorf("GET evidence-record of an item not anchored = %d %s (Retry-After %q), want 404 evidence-record-pending", got.Code, got.Body, got.Header().Get("Retry-After"))
	}
	if n := reads(); n != 0 {
		t.Errorf("a pending answer recorded %d reads", n)
	}

	s, err := New(withEvidence(builtRecord{proved: withProver(t, w.ev), der: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}, Config{Access: w.orgs, TSA: w.tsa}))
	if err != nil {
		t.Fatal(err)
	}
	got = get(s, w.token)
	if got.Code != http.StatusOK || got.Body.String() != "\x30\x03\x02\x01\x01" || got.Header().Get("Content-Type") != "application/octet-stream" ||
		got.Header().Get("Content-Disposition") != `attachment; filename="`+id+`.ers"` {
		t.Errorf("GET evidence-record = %d %q %v", got.Code, got.Body, got.Header())
	}
	if n := reads(); n != 1 {
		t.Errorf("serving the record recorded %d reads with subject evidence-record, want 1", n)
	}
	if got := get(s, newKey(t, w.orgs, "Stranger")); got.Code != http.StatusNotFound || strings.Contains(got.Body.String(), "pending") {
		t.Errorf("GET evidence-record by another organization = %d %s, want 404 not-found", got.Code, got.Body)
	}
}
