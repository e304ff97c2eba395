package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
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
	ds.restart()
	for i := range 3 {
		b := fmt.Appendf(nil, "signed certificate PDF %d", i)
		ds.docs = append(ds.docs, Document{Key: fmt.Sprintf("certificate:%d", i), SHA256: sha256.Sum256(b)})
		ds.pdfs = append(ds.pdfs, b)
	}
	if n, err := ds.s.BuildDocumentRecords(context.Background(), ds.docs); err != nil || n != 3 {
		t.Fatalf("BuildDocumentRecords = %d, %v, want 3", n, err)
	}
	return ds
}

// docRecords returns the served record of every document, in its DER.
func (ds *docRenewStore) docRecords() [][]byte {
	ds.t.Helper()
	out := make([][]byte, len(ds.docs))
	for i, d := range ds.docs {
		der, sum, err := ds.s.DocumentRecord(context.Background(), d.Key)
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
	for i, der := range ds.docRecords() {
		rec, err := ers.Decode(der)
		if err != nil {
			ds.t.Fatalf("ers.Decode(record of %s) = %v", ds.docs[i].Key, err)
		}
		h := sha256.Sum256(ds.pdfs[i])
		if _, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: h[:]}, ers.VerifyOptions{Roots: ds.roots, Now: now}); err != nil {
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

// A retired SHA-256 makes the document batches due for a hash-tree
// renewal, which is not built: they are blocked, with an error naming it,
// and their records are left as they were.
func TestRenewDocumentsHashRetired(t *testing.T) {
	ds := newDocRenewStore(t, RenewalConfig{RetiredHashes: []string{"SHA-256"}})
	if st := ds.status(); st.Documents.DueHashTree != (Count{2, 3}) {
		t.Errorf("status = %+v, want 2 document batches due for hash-tree renewal", st.Documents)
	}
	before := ds.docRecords()
	run, err := ds.s.Renew(context.Background(), RenewOptions{Actor: "node:test"})
	if err != nil {
		t.Fatal(err)
	}
	if run.Documents.Blocked != (Count{2, 3}) || !strings.Contains(strings.Join(run.Errors, "\n"), "hash-tree renewal of documents' records is not built") {
		t.Errorf("run = %+v, want 2 document batches blocked, not built", run)
	}
	for i, der := range ds.docRecords() {
		if !bytes.Equal(der, before[i]) {
			t.Errorf("the run changed the record of %s", ds.docs[i].Key)
		}
	}
}
