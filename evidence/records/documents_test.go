package records

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
)

// Documents' evidence records: pending until built; one token per batch
// (3 documents in batches of 2: 2 tokens); each record verifies against
// its document's bytes and not against other bytes; building again, after a
// restart, gives none a second record and asks no TSA; a TSA outage
// leaves the documents to the next pass.
func TestDocumentRecords(t *testing.T) {
	st := newERSStore(t, 2)
	ctx := context.Background()
	var docs []Document
	var bodies [][]byte
	for i := range 3 {
		b := fmt.Appendf(nil, "signed PDF %d", i)
		docs, bodies = append(docs, Document{Key: fmt.Sprintf("certificate:%d", i), SHA256: sha256.Sum256(b)}), append(bodies, b)
	}
	if _, _, err := st.k.DocumentRecord(ctx, docs[0].Key); !errors.Is(err, evidence.ErrRecordPending) {
		t.Fatalf("DocumentRecord before any build = %v, want evidence.ErrRecordPending", err)
	}
	st.tsa.down.Store(true)
	if n, err := st.k.BuildDocumentRecords(ctx, docs); err == nil || n != 0 {
		t.Fatalf("BuildDocumentRecords with the TSA down = %d, %v", n, err)
	}
	st.tsa.down.Store(false)
	if n, err := st.k.BuildDocumentRecords(ctx, docs); err != nil || n != 3 {
		t.Fatalf("BuildDocumentRecords = %d, %v, want 3", n, err)
	}
	if c := st.tsa.calls.Load(); c != 2 {
		t.Errorf("%d tokens for 3 documents in batches of 2, want 2", c)
	}
	st.restart()
	if n, err := st.k.BuildDocumentRecords(ctx, docs); err != nil || n != 0 || st.tsa.calls.Load() != 2 {
		t.Errorf("BuildDocumentRecords again = %d, %v (%d tokens), want nothing", n, err, st.tsa.calls.Load())
	}
	for i, d := range docs {
		der, sum, err := st.k.DocumentRecord(ctx, d.Key)
		if err != nil || sum != d.SHA256 {
			t.Fatalf("DocumentRecord(%s) = %v, sum %x", d.Key, err, sum)
		}
		rec, err := ers.Decode(der)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(bodies[i])
		if _, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: h[:]}, ers.VerifyOptions{Roots: st.roots}); err != nil {
			t.Errorf("the record of %s does not verify against its bytes: %v", d.Key, err)
		}
		o := sha256.Sum256(append(bodies[i], '!'))
		if _, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: o[:]}, ers.VerifyOptions{Roots: st.roots}); !errors.Is(err, ers.ErrMismatch) {
			t.Errorf("the record of %s, other bytes: %v, want ErrMismatch", d.Key, err)
		}
	}
}
