package records

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/ers"
)

// docRenewStore is a renewStore (5 items in batches of 3) whose node also
// gives records to 3 documents (2 document batches), built an hour after
// TSA 1 is issued.
type docRenewStore struct {
	*renewStore
	docs []Document
	pdfs [][]byte
}

func newDocRenewStore(t *testing.T, renewal RenewalConfig) *docRenewStore {
	t.Helper()
	ds := &docRenewStore{renewStore: newRenewStore(t, 3, 5, renewal)}
	ds.batch = 2 // documents in batches of 2
	ds.docBytes = func(_ context.Context, key string) ([]byte, error) {
		for i, d := range ds.docs {
			if d.Key == key {
				return ds.pdfs[i], nil
			}
		}
		return nil, fmt.Errorf("no document %s", key)
	}
	ds.restart()
	for i := range 3 {
		b := fmt.Appendf(nil, "signed certificate PDF %d", i)
		ds.docs = append(ds.docs, Document{Key: fmt.Sprintf("certificate:%d", i), SHA256: sha256.Sum256(b)})
		ds.pdfs = append(ds.pdfs, b)
	}
	if n, err := ds.k.BuildDocumentRecords(context.Background(), ds.docs); err != nil || n != 3 {
		t.Fatalf("BuildDocumentRecords = %d, %v, want 3", n, err)
	}
	return ds
}

// docRecords returns the served record of every document, in its DER.
func (ds *docRenewStore) docRecords() [][]byte {
	ds.t.Helper()
	out := make([][]byte, len(ds.docs))
	for i, d := range ds.docs {
		der, sum, err := ds.k.DocumentRecord(context.Background(), d.Key)
		if err != nil || sum != d.SHA256 {
			ds.t.Fatalf("DocumentRecord(%s) = %v, sum %x", d.Key, err, sum)
		}
		out[i] = der
	}
	return out
}

// verifyDocs checks every document's served record against its bytes at
// now (zero: each time-stamp when it had to be valid).
func (ds *docRenewStore) verifyDocs(now time.Time) error {
	ds.t.Helper()
	return ds.verifyDocsAgainst(now, ds.pdfs)
}

// verifyDocsAgainst checks every document's served record against
// pdfs[i] (its SHA-256 and SHA-512) at now.
func (ds *docRenewStore) verifyDocsAgainst(now time.Time, pdfs [][]byte) error {
	ds.t.Helper()
	for i, der := range ds.docRecords() {
		rec, err := ers.Decode(der)
		if err != nil {
			ds.t.Fatalf("ers.Decode(record of %s) = %v", ds.docs[i].Key, err)
		}
		a, b := sha256.Sum256(pdfs[i]), sha512.Sum512(pdfs[i])
		if _, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: a[:], crypto.SHA512: b[:]}, ers.VerifyOptions{Roots: ds.roots, Now: now}); err != nil {
			return fmt.Errorf("record of %s: %w", ds.docs[i].Key, err)
		}
	}
	return nil
}

// A certificate PDF's record survives its TSA's certificate expiry: the
// renewal run finds the document batches due with the items' batches,
// a dry run changes nothing, the run after the operator rotated the TSA
// renews each document batch once (one token for the documents), the
// served records verify after the old certificate expired, and a second
// run renews nothing.
func TestRenewDocumentTimeStamps(t *testing.T) {
	ds := newDocRenewStore(t, RenewalConfig{})
	if st := ds.status(); st.Documents.Current != (Count{2, 3}) || st.Current != (Count{2, 5}) {
		t.Errorf("status after the build = %+v, want 2 document batches (3 documents) current", st.Documents)
	}
	due := ds.expiry.Add(-100 * 24 * time.Hour)
	ds.at(due, "TSA 2", due.Add(-24*time.Hour))
	before := ds.docRecords()
	if st := ds.status(); st.Documents.DueTimeStamp != (Count{2, 3}) {
		t.Errorf("status before expiry = %+v, want 2 document batches (3 documents) due", st.Documents)
	}
	run := ds.renew(true, 0)
	if run.Documents.TimeStamp != (RenewedCount{2, 3, 1}) || run.TimeStamp != (RenewedCount{2, 5, 1}) {
		t.Errorf("dry run = %+v, want 2 document batches, 3 documents, 1 token", run)
	}
	for i, der := range ds.docRecords() {
		if !bytes.Equal(der, before[i]) {
			t.Errorf("a dry run changed the record of %s", ds.docs[i].Key)
		}
	}
	after := ds.expiry.Add(24 * time.Hour)
	if err := ds.verifyDocs(after); !errors.Is(err, ers.ErrUntrusted) {
		t.Errorf("ers.Verify(unrenewed document record, after the expiry) = %v, want ErrUntrusted", err)
	}
	run = ds.renew(false, 2) // one for the items, one for the documents
	if run.Documents.TimeStamp != (RenewedCount{2, 3, 1}) || len(run.Errors) != 0 {
		t.Errorf("renewal = %+v, want 2 document batches, 3 documents, 1 token", run)
	}
	for i, der := range ds.docRecords() {
		r, err := ers.Decode(der)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Chains) != 1 || len(r.Chains[0]) != 2 {
			t.Errorf("record of %s has chains of %v time-stamps, want one of 2", ds.docs[i].Key, chainLens(r))
		}
	}
	if err := ds.verifyDocs(time.Time{}); err != nil {
		t.Errorf("renewed document records: %v", err)
	}
	if err := ds.verifyDocs(after); err != nil {
		t.Errorf("renewed document records after the first certificate's expiry: %v", err)
	}
	ds.restart()
	ds.renew(false, 0) // idempotent
	st := ds.status()
	if st.Documents.Current != (Count{2, 3}) || st.Documents.Renewed != (Count{2, 3}) || st.LastRun == nil || st.LastRun.Documents.TimeStamp.Items != 0 {
		t.Errorf("status after the renewal = %+v, want 2 document batches current and renewed, a last run that renewed nothing", st)
	}
	if err := ds.verifyDocs(after); err != nil {
		t.Errorf("document records after a second run: %v", err)
	}
}

// A crash before the commit of a document batch's renewal leaves it
// due, and the next run renews it once.
func TestRenewDocumentsCrash(t *testing.T) {
	ds := newDocRenewStore(t, RenewalConfig{})
	due := ds.expiry.Add(-100 * 24 * time.Hour)
	ds.at(due, "TSA 2", due.Add(-24*time.Hour))
	before := ds.docRecords()
	renewCommitHook = func() error { return errors.New("simulated crash") }
	run := ds.renew(false, 2)
	renewCommitHook = nil
	if run.Documents.Blocked != (Count{2, 3}) || run.Documents.TimeStamp.Items != 0 {
		t.Errorf("crashed run = %+v, want 2 document batches blocked", run.Documents)
	}
	for i, der := range ds.docRecords() {
		if !bytes.Equal(der, before[i]) {
			t.Errorf("a crashed run changed the record of %s", ds.docs[i].Key)
		}
	}
	run = ds.renew(false, 2)
	if run.Documents.TimeStamp != (RenewedCount{2, 3, 1}) {
		t.Errorf("run after the crash = %+v, want 2 document batches renewed", run.Documents)
	}
	if err := ds.verifyDocs(ds.expiry.Add(24 * time.Hour)); err != nil {
		t.Error(err)
	}
}

// A retired SHA-256: each certificate PDF's record gets a SHA-512 chain
// over the PDF's bytes (read back through Config.DocumentBytes) and its
// first chain, one token per Config.Batch documents, as the items'
// do. A dry run changes nothing; the served record verifies against the
// PDF and not against other bytes, nor with its SHA-256 alone; a second
// run renews nothing. Then the TSA certificate of the new chains nears its
// expiry, and their time-stamps are renewed in their turn.
func TestRenewDocumentsHashTree(t *testing.T) {
	ds := newDocRenewStore(t, RenewalConfig{RetiredHashes: []string{"SHA-256"}})
	if st := ds.status(); st.Documents.DueHashTree != (Count{2, 3}) {
		t.Errorf("status = %+v, want 2 document batches due for hash-tree renewal", st.Documents)
	}
	later := r0.Add(2 * 365 * 24 * time.Hour)
	ds.at(later, "TSA 2", later.Add(-time.Hour))
	before := ds.docRecords()
	if run := ds.renew(true, 0); run.Documents.HashTree != (RenewedCount{2, 3, 2}) {
		t.Errorf("dry run = %+v, want 3 documents, 2 tokens", run.Documents)
	}
	for i, der := range ds.docRecords() {
		if !bytes.Equal(der, before[i]) {
			t.Errorf("a dry run changed the record of %s", ds.docs[i].Key)
		}
	}
	run := ds.renew(false, 5) // 3 for the 5 items, 2 for the 3 documents
	if run.Documents.HashTree != (RenewedCount{2, 3, 2}) || run.Documents.Blocked != (Count{}) || len(run.Errors) != 0 {
		t.Errorf("renewal = %+v, want 3 documents renewed with 2 tokens", run)
	}
	for i, der := range ds.docRecords() {
		r, err := ers.Decode(der)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Chains) != 2 || r.Chains[1][0].Hash != crypto.SHA512 || len(r.DigestAlgorithms) != 2 {
			t.Errorf("record of %s: chains %v of %v, want a second chain of SHA-512", ds.docs[i].Key, chainLens(r), r.DigestAlgorithms)
		}
		sum := sha256.Sum256(ds.pdfs[i])
		if _, err := ers.Verify(r, ers.Hashes{crypto.SHA256: sum[:]}, ers.VerifyOptions{Roots: ds.roots}); !errors.Is(err, ers.ErrMissingHash) {
			t.Errorf("ers.Verify(record of %s, SHA-256 only) = %v, want ErrMissingHash", ds.docs[i].Key, err)
		}
	}
	if err := ds.verifyDocs(time.Time{}); err != nil {
		t.Errorf("renewed document records: %v", err)
	}
	other := [][]byte{ds.pdfs[1], ds.pdfs[2], ds.pdfs[0]}
	if err := ds.verifyDocsAgainst(time.Time{}, other); err == nil {
		t.Error("a renewed document record verifies against another PDF")
	}
	ds.restart()
	if run := ds.renew(false, 0); run.Documents != (DocumentRun{}) {
		t.Errorf("second run = %+v, want nothing renewed", run.Documents)
	}
	if st := ds.status(); st.Documents.Current != (Count{2, 3}) {
		t.Errorf("status after the renewal = %+v, want 2 document batches current", st.Documents)
	}
	// TSA 1 has expired; TSA 2's certificate nears its end: the SHA-512
	// chains of the documents are renewed by TSA 3, one token for both
	// document batches (and one for the items').
	end := later.Add(5*365*24*time.Hour - 30*24*time.Hour)
	ds.at(end, "TSA 3", end.Add(-time.Hour))
	if run := ds.renew(false, 2); run.Documents.TimeStamp != (RenewedCount{2, 3, 1}) || len(run.Errors) != 0 {
		t.Errorf("renewal of the SHA-512 chains = %+v", run)
	}
	for i, der := range ds.docRecords() {
		r, err := ers.Decode(der)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Chains) != 2 || len(r.Chains[1]) != 2 {
			t.Errorf("record of %s has chains of %v time-stamps, want 1 and 2", ds.docs[i].Key, chainLens(r))
		}
	}
	if err := ds.verifyDocs(time.Time{}); err != nil {
		t.Errorf("document records after the renewal of their SHA-512 chains: %v", err)
	}
	if err := ds.verifyDocs(end.Add(365 * 24 * time.Hour)); err != nil {
		t.Errorf("document records after TSA 2's expiry: %v", err)
	}
}

// A hash-tree renewal refuses a document whose bytes no longer match the
// SHA-256 its record proves, or that the node cannot read: that document
// stays due with an error naming it, the others are renewed.
func TestRenewDocumentsHashTreeRefusesDamagedBytes(t *testing.T) {
	ds := newDocRenewStore(t, RenewalConfig{RetiredHashes: []string{"SHA-256"}})
	good := ds.pdfs[1]
	ds.pdfs[1] = []byte("tampered")
	run := ds.renew(false, 5) // 3 for the items, 1 for document 0, 1 for document 2
	errs := strings.Join(run.Errors, "\n")
	if run.Documents.HashTree.Items != 2 || run.Documents.Blocked.Items != 1 || len(run.Errors) != 1 || !strings.Contains(errs, ds.docs[1].Key) {
		t.Errorf("run = %+v, want 2 documents renewed and %s refused", run, ds.docs[1].Key)
	}
	if st := ds.status(); st.Documents.DueHashTree != (Count{1, 1}) {
		t.Errorf("status = %+v, want %s still due", st.Documents, ds.docs[1].Key)
	}
	// Without Config.DocumentBytes the document stays blocked.
	ds.docBytes = nil
	ds.restart()
	if run := ds.renew(false, 0); run.Documents.Blocked.Items != 1 || !strings.Contains(strings.Join(run.Errors, "\n"), "DocumentBytes") {
		t.Errorf("run without DocumentBytes = %+v, want the document blocked", run)
	}
	ds.pdfs[1] = good
	ds.docBytes = func(context.Context, string) ([]byte, error) { return good, nil }
	ds.restart()
	if run := ds.renew(false, 1); run.Documents.HashTree.Items != 1 || len(run.Errors) != 0 {
		t.Errorf("run with the PDF back = %+v, want it renewed", run)
	}
	if err := ds.verifyDocs(time.Time{}); err != nil {
		t.Error(err)
	}
}

// A crash before the commit of the documents' hash-tree renewal leaves
// their records as they were and due; the next run gives each document
// one new chain.
func TestRenewDocumentsHashTreeCrash(t *testing.T) {
	ds := newDocRenewStore(t, RenewalConfig{RetiredHashes: []string{"SHA-256"}})
	before := ds.docRecords()
	crashed := 0
	renewCommitHook = func() error { crashed++; return errors.New("simulated crash") }
	run := ds.renew(false, 5)
	renewCommitHook = nil
	if crashed == 0 || run.Documents.HashTree.Items != 0 || run.Documents.Blocked.Items != 3 {
		t.Errorf("crashed run = %+v, want the 3 documents blocked", run.Documents)
	}
	for i, der := range ds.docRecords() {
		if !bytes.Equal(der, before[i]) {
			t.Errorf("a crashed run changed the record of %s", ds.docs[i].Key)
		}
	}
	ds.restart()
	if st := ds.status(); st.Documents.DueHashTree != (Count{2, 3}) {
		t.Errorf("status after the crash = %+v, want the 3 documents due", st.Documents)
	}
	if run := ds.renew(false, 5); run.Documents.HashTree != (RenewedCount{2, 3, 2}) || len(run.Errors) != 0 {
		t.Errorf("run after the crash = %+v, want the 3 documents renewed", run)
	}
	for i, der := range ds.docRecords() {
		if r, err := ers.Decode(der); err != nil || len(r.Chains) != 2 {
			t.Errorf("record of %s after the crash and a run: %v, want 2 chains", ds.docs[i].Key, err)
		}
	}
	if err := ds.verifyDocs(time.Time{}); err != nil {
		t.Error(err)
	}
}
