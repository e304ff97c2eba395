package copyright

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/evidence/proofs"
)

// testReceipt is id's receipt as a document stores it.
func testReceipt(t *testing.T, p *proofs.Prover, id string) []byte {
	return evidencetest.Receipt(t, p, id)
}

// auditWorld holds a registration with its certificate, with receipts,
// and audits clean.
type auditWorld struct {
	s  *world
	a  integrity.Anchor // the log the receipts and the audit's proofs come from
	cr *Copyright
}

func newAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	work := fileAs(t, s, orgA, "a song")
	anch := evidencetest.NewLogAnchor(t, s.Service)
	p := proofs.New(s.Service, anch)
	cr, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: work.ID}})
	if err != nil {
		t.Fatal(err)
	}
	doc := &CopyrightDocument{Office: "杭州市互联网公证处", Notary: "张三",
		Items: []DocumentItem{{ID: work.ID, SHA256: work.SHA256, Receipt: testReceipt(t, p, work.ID)}}}
	if _, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", doc, []byte("%PDF-1.7 registration "+cr.ID)); err != nil {
		t.Fatal(err)
	}
	en := *doc
	en.Lang = LangEN
	if _, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", &en, []byte("%PDF-1.7 registration (English) "+cr.ID)); err != nil {
		t.Fatal(err)
	}
	rep, err := s.audit(ctx, integrity.Options{Deep: true, Anchor: anch})
	if err != nil || !rep.OK() || rep.Copyrights != 1 {
		t.Fatalf("Audit = %+v, %v; want clean, with 1 registration", rep, err)
	}
	return &auditWorld{s: s, a: anch, cr: cr}
}

// put replaces the value under key in bucket with v (nil: deletes it),
// returning the value it had.
func put(t *testing.T, s *world, bucket, key, v []byte) []byte {
	return evidencetest.Put(t, s.Service, bucket, key, v)
}

// get is the value under key in bucket.
func get(t *testing.T, s *world, bucket, key []byte) []byte {
	return evidencetest.Get(t, s.Service, bucket, key)
}

// TestAuditFindsRegistrationDamage flips one byte at a time in each
// stored thing of a registration, and checks that the audit names it under
// the right kind, and is clean once restored.
func TestAuditFindsRegistrationDamage(t *testing.T) {
	w := newAuditWorld(t)
	cr := "copyright:" + w.cr.ID
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
	crID, enID := []byte(w.cr.ID), []byte(w.cr.ID+"/en")
	for _, tc := range []struct {
		name        string
		bucket, key []byte
		at          func([]byte) int
		kind        func(*integrity.Report) []string
		want        string
	}{
		{"registration PDF", bCrPDF, crID, middle, documents, cr},
		{"registration record", bCopyrights, crID, after(`{"`), documents, cr},
		{"registration title (checksum only)", bCopyrights, crID, after(`"title":"`), documents, cr},
		{"registration certificate's PDF digest", bCrDocs, crID, after(`"pdf_sha256":"`), documents, cr},
		{"English registration PDF", bCrPDF, enID, middle, documents, cr},
		{"English registration receipt", bCrDocs, enID, after(`"receipt":{"`), receipts, cr},
		{"registration receipt syntax", bCrDocs, crID, after(`"receipt":{"`), receipts, cr},
		{"registration receipt event", bCrDocs, crID, after(`\"type\":\"`), receipts, cr},
		{"registration item index", bCrItems, []byte(w.cr.Items[0]), middle, items, cr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := get(t, w.s, tc.bucket, tc.key)
			v[tc.at(v)] ^= 0x01
			old := put(t, w.s, tc.bucket, tc.key, v)
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

// TestAuditFindsMissingRegistrationEvents: a registration whose item
// lacks a custody event the registration implies is reported.
func TestAuditFindsMissingRegistrationEvents(t *testing.T) {
	w := newAuditWorld(t)
	want := "copyright:" + w.cr.ID
	for _, tc := range []struct {
		name   string
		change func(*Copyright) // nil: drop the item's registered event
	}{
		{"registered event", nil},
		{"revoked event", func(c *Copyright) { c.Status = CopyrightRevoked }},
		{"transferred event", func(c *Copyright) { c.Transfers = append(c.Transfers, Transfer{To: orgB}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.change == nil {
				key, old := dropEvent(t, w.s, w.cr.Items[0], EventCopyrightRegistered)
				defer put(t, w.s, evBucket, key, old)
			} else {
				key := []byte(w.cr.ID)
				var c Copyright
				if err := json.Unmarshal(get(t, w.s, bCopyrights, key), &c); err != nil {
					t.Fatal(err)
				}
				tc.change(&c)
				v, _ := json.Marshal(&c)
				old := put(t, w.s, bCopyrights, key, v)
				defer put(t, w.s, bCopyrights, key, old)
			}
			rep, err := w.s.audit(context.Background(), integrity.Options{Anchor: w.a})
			if err != nil || !slices.Contains(rep.MissingEvents, want) {
				t.Errorf("Audit without the %s = %+v, %v; want %s under missing_events", tc.name, rep, err, want)
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

// A store from before document checksums gets them for its registrations
// when the register is opened (New), and its audit is clean.
func TestRegistrationChecksumsForOlderStore(t *testing.T) {
	w := newAuditWorld(t)
	sums := []byte("docsum") // evidence's document checksums: kind ‖ id
	key := append([]byte{docKind}, w.cr.ID...)
	put(t, w.s, sums, key, nil)
	if rep, err := w.s.audit(context.Background(), integrity.Options{Anchor: w.a}); err != nil || len(rep.BadDocuments) != 1 {
		t.Fatalf("Audit without checksums = %v, %v; want the registration reported", rep.BadDocuments, err)
	}
	if _, err := New(w.s.Service, Config{}); err != nil {
		t.Fatal(err)
	}
	if get(t, w.s, sums, key) == nil {
		t.Errorf("no checksum for %q after New", key)
	}
	if rep, err := w.s.audit(context.Background(), integrity.Options{Deep: true, Anchor: w.a}); err != nil || !rep.OK() {
		t.Errorf("Audit after New = %+v, %v; want clean", rep, err)
	}
}
