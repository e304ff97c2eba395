package certificates

import (
	"context"
	"errors"
	"testing"

	"github.com/custos-project/custos/evidence"
)

// A certificate's verification token is its own 128 bits, not its ID, and
// opens it; the ID opens nothing.
func TestVerifyTokenCertificate(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a := uploadAs(t, s, certNotary+":k", "the notary's own")
	c, _, err := issue(t, s, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !evidence.ValidID(c.VerifyToken) || c.VerifyToken == c.ID {
		t.Fatalf("VerifyToken = %q (ID %q), want a separate 26-character token", c.VerifyToken, c.ID)
	}
	if kind, id, err := s.VerifiedDocument(ctx, c.VerifyToken); err != nil || kind != evidence.DocumentCertificate || id != c.ID {
		t.Errorf("VerifiedDocument(token) = %q %q %v, want the certificate", kind, id, err)
	}
	for _, tok := range []string{c.ID, evidence.NewID(), "", "not a token"} {
		if _, _, err := s.VerifiedDocument(ctx, tok); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("VerifiedDocument(%q) = %v, want evidence.ErrNotFound", tok, err)
		}
	}
	if got, err := s.Certificate(ctx, c.ID, certNotary); err != nil || got.VerifyToken != c.VerifyToken {
		t.Errorf("the stored record's token = %+v, %v", got, err)
	}
}
