package certificates

import (
	"context"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence"
)

// TestReadFoldCertificateViews: a certificate PDF read again folds too,
// on every item the certificate names.
func TestReadFoldCertificateViews(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s := newWorld(t, evidence.Config{Now: clock.Now, ReadFoldWindow: 10 * time.Minute})
	a := uploadAs(t, s, certFirm+":k", "exhibit a")
	shareWithNotary(t, s, a)
	c, _, err := issue(t, s, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, before := readCounts(t, s, a.ID)
	for range 4 {
		if _, _, err := s.CertificatePDF(ctx, c.ID, certFirm, certFirm+":k"); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(10 * time.Minute)
	if _, err := s.SweepReadFolds(ctx); err != nil {
		t.Fatal(err)
	}
	got, evs := readCounts(t, s, a.ID)
	if len(evs) != len(before)+2 || got[certFirm+":k"] != 4 {
		t.Errorf("%d events (%d before), %d reads by the firm; want 2 more and 4", len(evs), len(before), got[certFirm+":k"])
	}
}
