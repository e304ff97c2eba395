package certificates

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/custos-project/custos/evidence"
)

// DocumentBytes (the hook of the PDFs' hash-tree renewal) returns a
// certificate's signed PDF by its document key, whose SHA-256 is the one
// its record proves (pdf_sha256), and refuses other keys and unknown certificates.
func TestDocumentBytes(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a := uploadAs(t, s, certFirm+":k", "exhibit a")
	shareWithNotary(t, s, a)
	c, pdf, err := issue(t, s, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	sum := c.PDFSHA256 // what BuildPDFRecords gives the record
	got, err := s.Register.DocumentBytes(ctx, pdfKey(c.ID))
	h := sha256.Sum256(got)
	if err != nil || !bytes.Equal(got, pdf) || hex.EncodeToString(h[:]) != sum {
		t.Errorf("DocumentBytes(%s) = %q, %v; want the PDF whose SHA-256 the record proves (%s)", pdfKey(c.ID), got, err, sum)
	}
	for _, key := range []string{c.ID, "copyright:" + c.ID, pdfKey(evidence.NewID())} {
		if b, err := s.Register.DocumentBytes(ctx, key); err == nil {
			t.Errorf("DocumentBytes(%s) = %q, want an error", key, b)
		}
	}
}
