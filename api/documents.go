package api

import (
	"errors"
	"fmt"
	"net/http"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/certify"
	"github.com/custos-project/custos/evidence"
)

// documentCheck serves GET /api/v1/verify/{token}: the DocumentCheck of
// the document that token opens, of either kind. An unknown token, and any
// document issued before tokens existed, is 404.
func (s *Server) documentCheck(c echo.Context) error {
	kind, id, err := s.tokens.VerifiedDocument(c.Request().Context(), c.Param("token"))
	switch {
	case err != nil:
	case kind == evidence.DocumentCertificate:
		err = s.certificateCheck(c, id)
	case kind == evidence.DocumentCopyright:
		err = s.verifyCopyright(c, id)
	default:
		err = fmt.Errorf("verification token of %s: unknown document kind %q", id, kind)
	}
	if errors.Is(err, evidence.ErrNotFound) {
		return errGone("no-document")
	}
	return err
}

// errNoSigner is the answer of the document endpoints on a node that
// cannot sign documents: one that is not a notary office, or one that is
// but lacks what missing names (certify.MissingFont or MissingSeal), which
// the detail then says how to mend.
func errNoSigner(missing string) *Problem {
	detail := prob.M("no-document-signer")
	switch missing {
	case certify.MissingFont:
		detail = prob.M("no-document-font")
	case certify.MissingSeal:
		detail = prob.M("no-document-seal")
	}
	return problem(http.StatusConflict, "no-document-signer", prob.M("title.no-document-signer"), detail)
}
