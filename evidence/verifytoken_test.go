package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// A certificate's verification token is its own 128 bits, not its ID, and
// opens it; the ID opens nothing.
func TestVerifyTokenCertificate(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	a := uploadAs(t, s, certNotary+":k", "the notary's own")
	c, _, err := issue(t, s, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(c.VerifyToken) || c.VerifyToken == c.ID {
		t.Fatalf("VerifyToken = %q (ID %q), want a separate 26-character token", c.VerifyToken, c.ID)
	}
	if kind, id, err := s.VerifiedDocument(ctx, c.VerifyToken); err != nil || kind != DocumentCertificate || id != c.ID {
		t.Errorf("VerifiedDocument(token) = %q %q %v, want the certificate", kind, id, err)
	}
	for _, tok := range []string{c.ID, NewID(), "", "not a token"} {
		if _, _, err := s.VerifiedDocument(ctx, tok); !errors.Is(err, ErrNotFound) {
			t.Errorf("VerifiedDocument(%q) = %v, want ErrNotFound", tok, err)
		}
	}
	if got, err := s.Certificate(ctx, c.ID, certNotary); err != nil || got.VerifyToken != c.VerifyToken {
		t.Errorf("the stored record's token = %+v, %v", got, err)
	}
}

// A registration certificate's token opens the one kept: a second, racing
// issue with another token neither replaces it nor opens anything.
func TestVerifyTokenCopyright(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	r := fileAs(t, s, orgA, "a song")
	cr, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: r.ID}})
	if err != nil {
		t.Fatal(err)
	}
	first, second := NewVerifyToken(cr.ID), NewVerifyToken(cr.ID)
	if _, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", &CopyrightDocument{Office: "o", VerifyToken: first}, []byte("%PDF-1 first")); err != nil {
		t.Fatal(err)
	}
	kept, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", &CopyrightDocument{Office: "o", VerifyToken: second}, []byte("%PDF-1 second"))
	if err != nil || kept.VerifyToken != first {
		t.Fatalf("second save kept %+v, %v; want the first token", kept, err)
	}
	if kind, id, err := s.VerifiedDocument(ctx, first); err != nil || kind != DocumentCopyright || id != cr.ID {
		t.Errorf("VerifiedDocument(first) = %q %q %v, want the registration", kind, id, err)
	}
	for _, tok := range []string{second, cr.ID} {
		if _, _, err := s.VerifiedDocument(ctx, tok); !errors.Is(err, ErrNotFound) {
			t.Errorf("VerifiedDocument(%q) = %v, want ErrNotFound", tok, err)
		}
	}
	// The public register never carries the token.
	if got, err := s.Copyright(ctx, cr.ID); err != nil || containsString(got, first) {
		t.Errorf("Copyright(%s) = %+v, %v: shows the token", cr.ID, got, err)
	}
}

// containsString reports whether v's JSON encoding contains s.
func containsString(v any, s string) bool {
	b, _ := json.Marshal(v)
	return strings.Contains(string(b), s)
}
