package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/custos-project/custos/certify"
	"github.com/custos-project/custos/evidence"
)

// The office's errors are answered as the certificate endpoints always
// answered them.
func TestCertifyProblems(t *testing.T) {
	for _, tc := range []struct {
		err        error
		status     int
		slug       string
		retryAfter int
	}{
		{certify.ErrNoSigner, http.StatusConflict, "no-document-signer", 0},
		{fmt.Errorf("issuing: %w", certify.ErrNoMatter), http.StatusNotFound, "not-found", 0},
		{&certify.InputError{Detail: "Evidence \"x\" is named twice."}, http.StatusUnprocessableEntity, "invalid-input", 0},
		{&certify.NotAnchoredError{Evidence: "e1"}, http.StatusConflict, "not-anchored", 2},
		{&certify.NotAnchoredError{Copyright: "c1"}, http.StatusConflict, "not-anchored", 2},
		{evidence.ErrNotFound, http.StatusNotFound, "not-found", 0},
	} {
		p := toProblem(tc.err)
		if p.Status != tc.status || p.Type != ProblemBase+tc.slug || p.retryAfter != tc.retryAfter {
			t.Errorf("toProblem(%v) = %d %s (Retry-After %d), want %d %s (%d)", tc.err, p.Status, p.Type, p.retryAfter, tc.status, tc.slug, tc.retryAfter)
		}
	}
	if p := toProblem(certify.ErrNoMatter); p.Detail != "There is no matter with this ID that you may see." {
		t.Errorf("toProblem(ErrNoMatter).Detail = %q", p.Detail)
	}
	if p := toProblem(&certify.InputError{Detail: "d"}); p.Detail != "d" {
		t.Errorf("toProblem(InputError).Detail = %q, want d", p.Detail)
	}
}
