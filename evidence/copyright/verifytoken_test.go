package copyright

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/custos-project/custos/evidence"
)

// A registration certificate's token opens the one kept: a second, racing
// issue with another token neither replaces it nor opens anything.
func TestVerifyTokenCopyright(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	r := fileAs(t, s, orgA, "a song")
	cr, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: r.ID}})
	if err != nil {
		t.Fatal(err)
	}
	first, second := evidence.NewVerifyToken(cr.ID), evidence.NewVerifyToken(cr.ID)
	if _, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", &CopyrightDocument{Office: "o", VerifyToken: first}, []byte("%PDF-1 first")); err != nil {
		t.Fatal(err)
	}
	kept, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", &CopyrightDocument{Office: "o", VerifyToken: second}, []byte("%PDF-1 second"))
	if err != nil || kept.VerifyToken != first {
		t.Fatalf("second save kept %+v, %v; want the first token", kept, err)
	}
	if kind, id, err := s.VerifiedDocument(ctx, first); err != nil || kind != evidence.DocumentCopyright || id != cr.ID {
		t.Errorf("VerifiedDocument(first) = %q %q %v, want the registration", kind, id, err)
	}
	for _, tok := range []string{second, cr.ID} {
		if _, _, err := s.VerifiedDocument(ctx, tok); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("VerifiedDocument(%q) = %v, want evidence.ErrNotFound", tok, err)
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
