package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/integrity"
)

// TestAuditFindsTamperedDocuments: with the node stopped, one byte is
// flipped in a notarial certificate's signed PDF, in the receipt stored
// with it, and in a copyright registration's certificate PDF, inside
// bbolt; the restarted node's audit names both documents under the right
// kinds, and so does custos fsck.
func TestAuditFindsTamperedDocuments(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	dir := t.TempDir()
	cfg := "org = \"杭州市互联网公证处\"\n[notary]\nabbrev = \"浙杭\"\nname = \"张三\"\n"
	n := startNode(t, dir, cfg, "CUSTOS_BOOTSTRAP_TOKEN="+soakToken)
	item := n.upload(soakToken, []byte("Chat log of the seller, 2026-03-01.\n"), "Content-Type", "text/plain")
	status, _, body := n.call("POST", "/api/v1/certificates", soakToken, jsonBody(map[string]any{"evidence": []string{item.ID}}), "Content-Type", "application/json")
	var cert certificates.Certificate
	mustJSON(t, body, &cert)
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/certificates = %d %s", status, body)
	}
	form := copyrightForm(t, []byte("A poem, to be registered.\n"))
	status, _, body = n.call("POST", "/api/v1/copyrights", soakToken, bytes.NewReader(form.data), "Content-Type", form.contentType)
	var cr copyright.Copyright
	mustJSON(t, body, &cr)
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/copyrights = %d %s", status, body)
	}
	crAwaitAnchored(t, n, soakToken, cr.ID)
	if status, _, body := n.call("GET", "/api/v1/copyrights/"+cr.ID+".pdf", soakToken, nil); status != http.StatusOK {
		t.Fatalf("GET the registration's certificate = %d %s", status, body)
	}
	run := runAudit(t, n, soakToken)
	requireClean(t, run)
	if run.Report.Certificates != 1 || run.Report.Copyrights != 1 {
		t.Errorf("audit checked %d certificates and %d registrations, want 1 and 1", run.Report.Certificates, run.Report.Copyrights)
	}
	n.Stop()

	editDB(t, dir, func(tx *bolt.Tx, flip flipFunc) error {
		middle := func(v []byte) int { return len(v) / 2 }
		if err := flip("certpdf", []byte(cert.ID), middle); err != nil {
			return err
		}
		digest := func(v []byte) int { return bytes.Index(v, []byte(`"sha256":"`)) + 10 }
		if err := flip("certrcpt", binary.BigEndian.AppendUint16([]byte(cert.ID), 0), digest); err != nil {
			return err
		}
		return flip("crpdf", []byte(cr.ID), middle)
	})
	want := func(r *integrity.Report, how string) {
		t.Helper()
		c, w := "certificate:"+cert.ID, "copyright:"+cr.ID
		if !slices.Equal(r.BadDocuments, []string{c, w}) && !slices.Equal(r.BadDocuments, []string{w, c}) ||
			!slices.Equal(r.BadReceipts, []string{c}) || r.Findings() != 3 {
			b, _ := json.Marshal(r)
			t.Errorf("%s: report %s; want bad_documents %s and %s, bad_receipts %s", how, b, c, w, c)
		}
	}
	out, err := runCustos(t, "fsck", "--data", dir)
	var rep integrity.Report
	if err == nil || json.Unmarshal([]byte(out), &rep) != nil {
		t.Errorf("custos fsck = %v %s, want exit status 1 and a report", err, out)
	}
	want(&rep, "custos fsck")

	n = startNode(t, dir, cfg, "CUSTOS_BOOTSTRAP_TOKEN="+soakToken)
	want(integrityReport(t, runAudit(t, n, soakToken).Report), "on-demand audit")
}
