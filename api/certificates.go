package api

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certify"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/receipt"
)

// createCertificate reads POST /api/v1/certificates for the
// Idempotency-Key layer: the office (certify.Office.NotarialWithin) issues
// the certificate, durably, before the answer, 201. With a key, the
// answer is built from the certificate as stored and kept in the
// transaction that issues it, so no crash leaves the certificate without
// its answer (the retry gets it instead of issuing a second certificate).
// Its fingerprint is the JSON endpoints' (the body bytes); the request is
// checked and its names resolved once it is to be acted on, so a replay
// does not depend on what the node holds now (a matter's title, an
// organization's name).
func (s *Server) createCertificate(c echo.Context) (*request, error) {
	b, err := readJSONObject(c)
	if err != nil {
		return nil, err
	}
	var in wire.CertificateInput
	if err := decodeStrict(b, &in); err != nil {
		return nil, err
	}
	return &request{kind: "json", identify: func() ([]byte, error) { return b, nil },
		create: func(keep keepFunc) (*answer, error) {
			if s.issuer == nil {
				return nil, errNoSigner("")
			}
			if in.Lang != "" && in.Lang != "zh" && in.Lang != "en" {
				return nil, &evidence.MetadataError{Fields: []evidence.FieldError{evidence.NewFieldError("lang", "field.oneof", "values", prob.List{"zh", "en"})}}
			}
			ctx, p := c.Request().Context(), principal(c)
			matter, err := s.resolveMatter(ctx, "matter", p.Org.ID, in.Matter, true)
			if err != nil {
				return nil, err
			}
			req := certify.Request{Org: p.Org.ID, Actor: p.Actor(), Evidence: in.Evidence, Matter: matter, Lang: in.Lang}
			if a := in.Applicant; a != nil {
				org, err := s.resolveOrg(p, "applicant.org", a.Org)
				if err != nil {
					return nil, err
				}
				req.Applicant = &certify.Applicant{Org: org, Person: (*certificates.Person)(a.Person)}
			}
			// The names the view shows, read before the issue's
			// transaction, which builds the answer.
			orgName, title := s.orgNamer().name(req.Org), s.matterTitle(ctx, matter, req.Org)
			var a *answer
			cert, err := s.issuer.NotarialWithin(ctx, req, func(tx *bolt.Tx, cert *certificates.Certificate) error {
				var err error
				if a, err = certificateAnswer(cert, orgName, title); err != nil || keep == nil {
					return err
				}
				return keep(tx, a)
			})
			if err != nil {
				return nil, err
			}
			if a == nil { // an issuer that did not call within
				return certificateAnswer(cert, orgName, title)
			}
			return a, nil
		}}, nil
}

// certificateAnswer is the 201 answer naming cert, with the names of its
// organization and matter.
func certificateAnswer(cert *certificates.Certificate, orgName, matterTitle string) (*answer, error) {
	return jsonAnswer(http.StatusCreated, namedCertificate(cert, orgName, matterTitle), "/api/v1/certificates/"+cert.ID)
}

// CertificateView is a certificate as the API shows it: with the issuing
// organization's name and the matter's title beside their IDs.
type CertificateView struct {
	certificates.Certificate
	OrgName     string `json:"org_name,omitempty"`
	MatterTitle string `json:"matter_title,omitempty"`
}

// certificateView names what cert refers to by ID, as far as this node
// knows it (the matter as the issuing organization sees it).
func (s *Server) certificateView(ctx context.Context, names *orgNames, cert *certificates.Certificate) CertificateView {
	return namedCertificate(cert, names.name(cert.Org), s.matterTitle(ctx, cert.Matter, cert.Org))
}

// namedCertificate is cert with the names of its organization and matter.
func namedCertificate(cert *certificates.Certificate, orgName, matterTitle string) CertificateView {
	v := CertificateView{Certificate: *cert, OrgName: orgName}
	if cert.Matter != "" {
		v.MatterTitle = matterTitle
	}
	return v
}

// matterTitle is the title of matter id as org sees it, or "".
func (s *Server) matterTitle(ctx context.Context, id, org string) string {
	if id == "" {
		return ""
	}
	m, err := s.sharing.Matter(ctx, id, org)
	if err != nil {
		return ""
	}
	return m.Title
}

// certifier lets through only keys of organizations that issue notarial
// certificates (access.IssuesCertificates); any other gets 403 forbidden,
// before any object is looked up.
func certifier(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if o := principal(c).Org; !access.IssuesCertificates(o.Kind) {
			return errForbidden("notary-only", "kind", o.Kind)
		}
		return next(c)
	}
}

func (s *Server) listCertificates(c echo.Context) error {
	limit, err := queryLimit(c, 0, 500)
	if err != nil {
		return err
	}
	page, err := s.certs.Certificates(c.Request().Context(), principal(c).Org.ID, c.QueryParam("cursor"), limit)
	if errors.Is(err, evidence.ErrBadCursor) {
		return errParam("cursor-next")
	}
	if err != nil {
		return err
	}
	out := wire.ListView[CertificateView]{Items: make([]CertificateView, len(page.Items)), Next: page.Next}
	names := s.orgNamer()
	for i := range page.Items {
		out.Items[i] = s.certificateView(c.Request().Context(), names, &page.Items[i])
	}
	return c.JSON(http.StatusOK, out)
}

// getCertificate serves GET /api/v1/certificates/{id} (the record, JSON)
// and /api/v1/certificates/{id}.pdf (the signed PDF). Echo's router takes
// a path parameter up to the next "/", so one route serves both, told
// apart by the suffix.
func (s *Server) getCertificate(c echo.Context) error {
	ctx, p := c.Request().Context(), principal(c)
	id, isPDF := strings.CutSuffix(c.Param("id"), ".pdf")
	if !isPDF {
		cert, err := s.certs.Certificate(ctx, id, p.Org.ID)
		if err != nil {
			return certificateErr(err)
		}
		return c.JSON(http.StatusOK, s.certificateView(ctx, s.orgNamer(), cert))
	}
	shared, err := s.certificateShowsShared(ctx, id, p.Org.ID)
	if err != nil {
		return certificateErr(err)
	}
	if shared {
		if err := s.limits.takeSharedRead(p.Org.ID); err != nil {
			return err
		}
	}
	cert, pdf, err := s.certs.CertificatePDF(ctx, id, p.Org.ID, p.Actor())
	if err != nil {
		if shared {
			s.limits.refundSharedRead(p.Org.ID)
		}
		return certificateErr(err)
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "certificate-" + cert.ID + ".pdf"}))
	h.Set("ETag", `"sha256:`+cert.PDFSHA256+`"`)
	h.Set("Repr-Digest", "sha-256=:"+b64hex(cert.PDFSHA256)+":") // RFC 9530
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

// certificateShowsShared reports whether certificate id, as org may read
// it now, names an item shared with org rather than its own. Reading its
// PDF, which states the items' metadata and records a read on each, then
// spends one token of org's shared-read quota, however many items, as a
// listing page does; it is taken before the read is recorded, and given
// back if the read is refused.
func (s *Server) certificateShowsShared(ctx context.Context, id, org string) (bool, error) {
	cert, err := s.certs.Certificate(ctx, id, org)
	if err != nil {
		return false, err
	}
	for _, item := range cert.Evidence {
		rec, err := s.records.Get(ctx, item)
		if err != nil {
			return false, err
		}
		own, err := s.records.Owns(ctx, rec, org)
		if err != nil {
			return false, err
		}
		if !own {
			return true, nil
		}
	}
	return false, nil
}

// certifyProblem is the answer to an error of the office (certify), or nil.
func certifyProblem(err error) *Problem {
	var ie *certify.InputError
	var na *certify.NotAnchoredError
	switch {
	case errors.Is(err, certify.ErrNoSigner):
		var ns *certify.NoSignerError
		errors.As(err, &ns)
		if ns == nil {
			return errNoSigner("")
		}
		return errNoSigner(ns.Missing)
	case errors.Is(err, certify.ErrNoMatter):
		return errNoMatter()
	case errors.As(err, &ie):
		return errInvalidInput(ie)
	case errors.As(err, &na) && na.Copyright != "":
		p := problem(http.StatusConflict, "not-anchored", prob.M("title.registration-unanchored"), prob.M("registration-unanchored"))
		p.retryAfter = 2
		return p
	case errors.As(err, &na):
		p := problem(http.StatusConflict, "not-anchored", prob.M("title.evidence-unanchored"), prob.M("evidence-unanchored", "id", na.Evidence))
		p.retryAfter = 2
		return p
	}
	return nil
}

// errInvalidInput is 422 invalid-input with the office's reason.
func errInvalidInput(ie *certify.InputError) *Problem {
	m := ie.Msg
	if m.IsZero() {
		m = prob.M("invalid-input", "reason", ie.Detail)
	}
	return problem(http.StatusUnprocessableEntity, "invalid-input", prob.M("title.invalid-input"), m)
}

func certificateErr(err error) error {
	if errors.Is(err, evidence.ErrNotFound) {
		return errGone("no-certificate")
	}
	return err
}

// certificateCheck is the public verification view of a certificate
// (DocumentCheck); see documentCheck. It records no custody event.
func (s *Server) certificateCheck(c echo.Context, id string) error {
	cert, receipts, err := s.certs.CertificateCheck(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out := wire.DocumentCheck{Kind: "certificate", ID: cert.ID, Number: cert.Number, Status: cert.Status, IssuedAt: cert.IssuedAt,
		Office: cert.Office, Notary: cert.Notary, PDFSHA256: cert.PDFSHA256, Items: make([]wire.DocumentCheckItem, len(receipts))}
	for i, b := range receipts {
		r, err := receipt.Parse(b)
		if err != nil {
			return fmt.Errorf("certificate %s: stored receipt %d: %w", cert.ID, i, err)
		}
		out.Items[i] = wire.DocumentCheckItem{ID: r.Evidence.ID, SHA256: r.Evidence.SHA256, Receipt: b}
	}
	return c.JSON(http.StatusOK, out)
}
