package evidence

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence/custody"
)

// testReceipt is id's receipt from the prover, with a placeholder signed
// header (the audit does not check it), in canonical form.
func testReceipt(t *testing.T, p *Prover, id string) []byte {
	t.Helper()
	r, err := p.Receipt(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	placeholder := base64.StdEncoding.EncodeToString([]byte("placeholder"))
	r.Checkpoint.ChainID, r.Checkpoint.SignedHeader, r.Checkpoint.ValidatorSet = "test-chain", placeholder, placeholder
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// documentWorld holds a certificate over two items, with receipts, and
// audits clean. (The registrations' audit is evidence/copyright's.)
type documentWorld struct {
	s    *Service
	a    Anchor // the log the receipts and the audit's proofs come from
	cert *Certificate
}

func newDocumentWorld(t *testing.T) *documentWorld {
	t.Helper()
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	a, b := uploadAs(t, s, certFirm+":key", "exhibit A"), uploadAs(t, s, certFirm+":key", "exhibit B")
	waitPromoted(t, s)
	anch := newLogAnchor(t, s)
	p := NewProver(s, anch)
	shareWithNotary(t, s, a, b)
	cert, _, err := issueWith(t, s, func(id string) []byte { return testReceipt(t, p, id) }, a.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Audit(ctx, AuditOptions{Deep: true, Anchor: anch})
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
	documents := func(r *AuditReport) []string { return r.BadDocuments }
	receipts := func(r *AuditReport) []string { return r.BadReceipts }
	items := func(r *AuditReport) []string { return r.MissingItems }
	certID := []byte(w.cert.ID)
	rcpt0 := binary.BigEndian.AppendUint16(bytes.Clone(certID), 0)
	item0 := []byte(w.cert.Evidence[0])
	for _, tc := range []struct {
		name        string
		bucket, key []byte
		at          func([]byte) int
		kind        func(*AuditReport) []string
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
		{"certificate's item index", bIDs, item0, middle, items, cert},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := flip(t, w.s, tc.bucket, tc.key, tc.at)
			defer restore(t, w.s, tc.bucket, tc.key, old)
			rep, err := w.s.Audit(context.Background(), AuditOptions{Deep: true, Anchor: w.a})
			if err != nil {
				t.Fatalf("Audit = %v; damage must be reported, not fail the audit", err)
			}
			if got := tc.kind(rep); !slices.Contains(got, tc.want) {
				t.Errorf("Audit after flipping a byte of the %s = %+v; want %s reported", tc.name, rep, tc.want)
			}
		})
	}
	if rep, err := w.s.Audit(context.Background(), AuditOptions{Deep: true, Anchor: w.a}); err != nil || !rep.OK() {
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
			var key, old []byte
			var bucket []byte
			err := w.s.db.Update(func(tx *bolt.Tx) error { // drop the item's last event of the type
				seq, _ := getSeq(tx, tc.item)
				c := tx.Bucket(bEvents).Cursor()
				for k, v := c.Seek(u64(seq)); k != nil && u64val(k) == seq; k, v = c.Next() {
					if e, err := custody.Decode(v); err == nil && e.Type == tc.typ {
						key = bytes.Clone(k)
					}
				}
				bucket = bEvents
				old = bytes.Clone(tx.Bucket(bucket).Get(key))
				return tx.Bucket(bucket).Delete(key)
			})
			if err != nil {
				t.Fatal(err)
			}
			defer restore(t, w.s, bucket, key, old)
			rep, err := w.s.Audit(context.Background(), AuditOptions{Anchor: w.a})
			if err != nil || !slices.Contains(rep.MissingEvents, tc.want) {
				t.Errorf("Audit without the %s = %+v, %v; want %s under missing_events", tc.name, rep, err, tc.want)
			}
		})
	}
}

// A store from before document checksums gets them when it is opened, and
// its audit is clean.
func TestDocumentChecksumsForOlderStore(t *testing.T) {
	w := newDocumentWorld(t)
	if err := w.s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bDocSum); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bDocSum)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if rep, err := w.s.Audit(context.Background(), AuditOptions{Anchor: w.a}); err != nil || len(rep.BadDocuments) != 1 {
		t.Fatalf("Audit without checksums = %v, %v; want the certificate reported", rep.BadDocuments, err)
	}
	if err := sumDocuments(w.s.db); err != nil {
		t.Fatal(err)
	}
	w.s.db.View(func(tx *bolt.Tx) error {
		for _, k := range [][]byte{docSumKey(docCertificate, w.cert.ID)} {
			if tx.Bucket(bDocSum).Get(k) == nil {
				t.Errorf("no checksum for %q after sumDocuments", k)
			}
		}
		return nil
	})
	if rep, err := w.s.Audit(context.Background(), AuditOptions{Deep: true, Anchor: w.a}); err != nil || !rep.OK() {
		t.Errorf("Audit after sumDocuments = %+v, %v; want clean", rep, err)
	}
}
