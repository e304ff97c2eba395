package certificates

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/evidence/proofs"
)

// testReceipt is id's receipt as a document stores it.
func testReceipt(t *testing.T, p *proofs.Prover, id string) []byte {
	return evidencetest.Receipt(t, p, id)
}

// documentWorld holds a certificate over two items, with receipts, and
// audits clean.
type documentWorld struct {
	s    *world
	a    integrity.Anchor // the log the receipts and the audit's proofs come from
	cert *Certificate
}

func newDocumentWorld(t *testing.T) *documentWorld {
	t.Helper()
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a, b := uploadAs(t, s, certFirm+":key", "exhibit A"), uploadAs(t, s, certFirm+":key", "exhibit B")
	anch := evidencetest.NewLogAnchor(t, s.Service)
	p := proofs.New(s.Service, anch)
	shareWithNotary(t, s, a, b)
	cert, _, err := issueWith(t, s, func(id string) []byte { return testReceipt(t, p, id) }, a.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.audit(ctx, integrity.Options{Deep: true, Anchor: anch})
	if err != nil || !rep.OK() || rep.Certificates != 1 {
		t.Fatalf("Audit = %+v, %v; want clean, with 1 certificate", rep, err)
	}
	return &documentWorld{s: s, a: anch, cert: cert}
}

// TestAuditFindsDocumentDamage flips one byte at a time in each stored
// thing of a certificate, and checks that the audit
// names the document under the right kind, and is clean once restored.
func TestAuditFindsDocumentDamage(t *testing.T) {
	w := newDocumentWorld(t)
	cert := "certificate:" + w.cert.ID
	middle := func(v []byte) int { return len(v) / 2 }
	// after flips the byte after the first s.
	after := func(s string) func([]byte) int {
		return func(v []byte) int {
			if i := bytes.Index(v, []byte(s)); i >= 0 {
				return i + len(s)
			}
			t.Fatalf("no %q in %q", s, v)
			return 0
		}
	}
	documents := func(r *integrity.Report) []string { return r.BadDocuments }
	receipts := func(r *integrity.Report) []string { return r.BadReceipts }
	items := func(r *integrity.Report) []string { return r.MissingItems }
	certID := []byte(w.cert.ID)
	rcpt0 := binary.BigEndian.AppendUint16(bytes.Clone(certID), 0)
	item0 := []byte(w.cert.Evidence[0])
	for _, tc := range []struct {
		name        string
		bucket, key []byte
		at          func([]byte) int
		kind        func(*integrity.Report) []string
		want        string
	}{
		{"certificate PDF", bCertPDF, certID, middle, documents, cert},
		{"certificate record", bCerts, certID, after(`{"`), documents, cert},
		{"certificate's PDF digest", bCerts, certID, after(`"pdf_sha256":"`), documents, cert},
		{"certificate's office (checksum only)", bCerts, certID, after(`"office":"`), documents, cert},
		{"certificate receipt syntax", bCertRcpt, rcpt0, after(`{"`), receipts, cert},
		{"certificate receipt digest", bCertRcpt, rcpt0, after(`"sha256":"`), receipts, cert},
		{"certificate receipt token", bCertRcpt, rcpt0, after(`"timestamps":["`), receipts, cert},
		{"certificate receipt root", bCertRcpt, rcpt0, after(`"root":"`), receipts, cert},
		{"certificate's item index", []byte("ids"), item0, middle, items, cert}, // evidence's id → seq
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := flip(t, w.s, tc.bucket, tc.key, tc.at)
			defer put(t, w.s, tc.bucket, tc.key, old)
			rep, err := w.s.audit(context.Background(), integrity.Options{Deep: true, Anchor: w.a})
			if err != nil {
				t.Fatalf("Audit = %v; damage must be reported, not fail the audit", err)
			}
			if got := tc.kind(rep); !slices.Contains(got, tc.want) {
				t.Errorf("Audit after flipping a byte of the %s = %+v; want %s reported", tc.name, rep, tc.want)
			}
		})
	}
	if rep, err := w.s.audit(context.Background(), integrity.Options{Deep: true, Anchor: w.a}); err != nil || !rep.OK() {
		t.Errorf("Audit after restoring = %+v, %v; want clean", rep, err)
	}
}

// TestAuditFindsMissingDocumentEvents: a certificate whose item lacks the
// custody event it implies is reported.
func TestAuditFindsMissingDocumentEvents(t *testing.T) {
	w := newDocumentWorld(t)
	for _, tc := range []struct {
		name string
		item string
		typ  string
		want string
	}{
		{"certified event", w.cert.Evidence[1], custody.EventCertified, "certificate:" + w.cert.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, old := dropEvent(t, w.s, tc.item, tc.typ)
			defer put(t, w.s, evBucket, key, old)
			rep, err := w.s.audit(context.Background(), integrity.Options{Anchor: w.a})
			if err != nil || !slices.Contains(rep.MissingEvents, tc.want) {
				t.Errorf("Audit without the %s = %+v, %v; want %s under missing_events", tc.name, rep, err, tc.want)
			}
		})
	}
}

// evBucket is evidence's bucket of custody events.
var evBucket = evidencetest.EventsBucket

// dropEvent deletes the item's last custody event of type typ, returning
// its key and value.
func dropEvent(t *testing.T, s *world, item, typ string) (key, val []byte) {
	return evidencetest.DropEvent(t, s.Service, item, typ)
}

// A store from before document checksums gets them for its certificates
// when the register is opened (New), and its audit is clean.
func TestDocumentChecksumsForOlderStore(t *testing.T) {
	w := newDocumentWorld(t)
	sums := []byte("docsum") // evidence's document checksums: kind ‖ id
	key := append([]byte{docKind}, w.cert.ID...)
	put(t, w.s, sums, key, nil)
	if rep, err := w.s.audit(context.Background(), integrity.Options{Anchor: w.a}); err != nil || len(rep.BadDocuments) != 1 {
		t.Fatalf("Audit without checksums = %v, %v; want the certificate reported", rep.BadDocuments, err)
	}
	if _, err := New(w.s.Service, nil); err != nil {
		t.Fatal(err)
	}
	if evidencetest.Get(t, w.s.Service, sums, key) == nil {
		t.Errorf("no checksum for %q after New", key)
	}
	if rep, err := w.s.audit(context.Background(), integrity.Options{Deep: true, Anchor: w.a}); err != nil || !rep.OK() {
		t.Errorf("Audit after New = %+v, %v; want clean", rep, err)
	}
}
