package pdf

import (
	"slices"
	"testing"
	"time"

	"github.com/custos-project/custos/pdfcheck"
)

// TestLinks reads the QR code's link back from a signed certificate: the
// address of its verification page.
func TestLinks(t *testing.T) {
	signed := signedDocument(t, newTestPKI(t, time.Now()))
	got, err := pdfcheck.Links(signed)
	if want := []string{testDocument().VerifyURL}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Links() = %q, %v; want %q", got, err, want)
	}
	if got, err := pdfcheck.Links(minimalPDF()); err != nil || len(got) != 0 {
		t.Errorf("Links(no links) = %q, %v; want none", got, err)
	}
}
