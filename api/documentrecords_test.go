package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/copyright"
)

// GET /api/v1/copyrights/{id}/evidence-records: the registration's files
// in order, pending while they have no record (nothing recorded), ready
// with the DER once they have (a viewed event with subject
// evidence-record on each); 404 not-found to an organization that is
// neither registrant nor owner, and for a certificate it may not read.
func TestDocumentRecords(t *testing.T) {
	w := newUploadWorld(t)
	files := []formFile{{"chapter1.txt", "text/plain", []byte("First chapter.\n")}, {"chapter2.txt", "text/plain", []byte("Second chapter.\n")}}
	body, ct := fileForm(t, testWork, files...)
	res := w.post(t, "/api/v1/copyrights", body, ct)
	if res.Code != http.StatusCreated {
		t.Fatalf("register = %d %s", res.Code, res.Body)
	}
	var cr copyright.Copyright
	if err := json.Unmarshal(res.Body.Bytes(), &cr); err != nil {
		t.Fatal(err)
	}
	get := func(s *Server, path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec
	}
	reads := func() int {
		n := 0
		for _, id := range cr.Items {
			evs, _, err := w.ev.CustodyPending(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.Type == custody.EventViewed && e.Subject == "evidence-record" {
					n++
				}
			}
		}
		return n
	}
	path := "/api/v1/copyrights/" + cr.ID + "/evidence-records"
	list := func(s *Server, want string, der []byte) {
		t.Helper()
		res := get(s, path, w.token)
		var out wire.DocumentRecords
		if res.Code != http.StatusOK || json.Unmarshal(res.Body.Bytes(), &out) != nil {
			t.Fatalf("GET %s = %d %s", path, res.Code, res.Body)
		}
		if out.Kind != "copyright" || out.ID != cr.ID || len(out.Records) != len(files) {
			t.Fatalf("GET %s = %+v, want the registration's %d files", path, out, len(files))
		}
		for i, r := range out.Records {
			sum := sha256.Sum256(files[i].data)
			if r.Kind != wire.RecordKindItem || r.ID != cr.Items[i] || r.SHA256 != hex.EncodeToString(sum[:]) || r.Status != want || !bytes.Equal(r.Record, der) {
				t.Errorf("record %d = %+v, want item %s %s", i, r, cr.Items[i], want)
			}
		}
	}

	list(w.s, wire.RecordPending, nil)
	if n := reads(); n != 0 {
		t.Errorf("pending records recorded %d reads", n)
	}
	stranger := newKey(t, w.orgs, "Stranger")
	res = get(w.s, path, stranger)
	wantProblem(t, res, http.StatusNotFound, "not-found")
	if !strings.Contains(res.Body.String(), "registrant and owner") {
		t.Errorf("a stranger's 404 does not say who may read the records: %s", res.Body)
	}
	wantProblem(t, get(w.s, "/api/v1/copyrights/"+cr.Items[0]+"/evidence-records", w.token), http.StatusNotFound, "not-found")
	wantProblem(t, get(w.s, "/api/v1/certificates/"+cr.ID+"/evidence-records", w.token), http.StatusNotFound, "not-found")

	der := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	s, err := New(withEvidence(builtRecord{proved: withProver(t, w.ev), der: der}, Config{Access: w.orgs, TSA: w.tsa, Copyrights: w.crs, Transfers: w.crs}))
	if err != nil {
		t.Fatal(err)
	}
	list(s, wire.RecordReady, der)
	if n := reads(); n != len(files) {
		t.Errorf("serving the records recorded %d reads with subject evidence-record, want %d", n, len(files))
	}
	wantProblem(t, get(s, path, stranger), http.StatusNotFound, "not-found")
	if n := reads(); n != len(files) {
		t.Errorf("a stranger's request recorded reads (%d)", n-len(files))
	}
}
