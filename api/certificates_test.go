package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certify"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
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
	// A node whose certificate numbering is held after a restore says so,
	// and since when.
	held := &certificates.HeldError{Since: time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC), Reason: "restored"}
	if p := toProblem(fmt.Errorf("issuing: %w", held)); p.Status != http.StatusConflict || p.Type != ProblemBase+"certificate-numbering-held" ||
		!strings.Contains(p.Detail, "2026-12-07T21:00:00Z") || !strings.Contains(p.Detail, "custos certificate numbering") {
		t.Errorf("toProblem(HeldError) = %d %s %q, want 409 certificate-numbering-held naming the time and the command", p.Status, p.Type, p.Detail)
	}
	// A notary office's node that lacks a font or its seal says which,
	// and how to mend it; a node that is no notary office says that.
	for _, tc := range []struct {
		err         error
		want, want2 string
	}{
		{&certify.NoSignerError{}, "holds no notary document-signing certificate", "notary members"},
		{fmt.Errorf("issuing: %w", &certify.NoSignerError{Missing: certify.MissingFont}), "no CJK font", "fonts-wqy-microhei"},
		{&certify.NoSignerError{Missing: certify.MissingSeal}, "seal image", "restart the node"},
	} {
		p := toProblem(tc.err)
		if p.Type != ProblemBase+"no-document-signer" || !strings.Contains(p.Detail, tc.want) || !strings.Contains(p.Detail, tc.want2) {
			t.Errorf("toProblem(%v) = %s %q, want no-document-signer saying %q and %q", tc.err, p.Type, p.Detail, tc.want, tc.want2)
		}
	}
}
