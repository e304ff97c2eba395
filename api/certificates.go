package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/receipt"
	"github.com/custos-project/custos/notary/document"
)

// createCertificate issues a notarial certificate: it gathers the items
// (each visible to the caller's organization, and anchored), reserves a
// number, renders and signs the PDF, then stores the certificate, its PDF
// and a "certified" custody event on every item in one transaction before
// answering 201.
func (s *Server) createCertificate(c echo.Context) error {
	var in wire.CertificateInput
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	if s.docs == nil {
		return errNoSigner()
	}
	recs, matter, err := s.certificateRecords(c, in)
	if err != nil {
		return err
	}
	applicant, err := s.certificateApplicant(in.Applicant, recs, time.Now())
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	items, err := s.documentItems(ctx, recs)
	if err != nil {
		return err
	}
	now := time.Now()
	cert, err := s.certs.ReserveCertificate(ctx, document.Year(now), s.docs.NumberPrefix())
	if err != nil {
		return err
	}
	p := principal(c)
	cert.Org, cert.Actor, cert.Office, cert.Notary, cert.IssuedAt = p.Org.ID, p.Actor(), s.docs.Office, s.docs.Notary(), now
	cert.Applicant = applicant
	receipts := make([][]byte, len(items))
	for i, it := range items {
		cert.Evidence = append(cert.Evidence, it.ID)
		if receipts[i], err = it.Receipt.Encode(); err != nil {
			return err
		}
	}
	n := &document.Notarial{ID: cert.ID, VerifyToken: cert.VerifyToken, Number: cert.Number, Issued: now,
		Applicant: applicant.Name, ApplicantID: applicantIDText(applicant), Items: items}
	if matter != nil {
		cert.Matter, n.Matter = matter.ID, matterText(matter)
	}
	pdf, err := s.docs.Notarial(ctx, n)
	if err != nil {
		return err
	}
	if err := s.certs.IssueCertificate(ctx, cert, pdf, receipts); err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/certificates/"+cert.ID)
	return c.JSON(http.StatusCreated, cert)
}

// certifier lets through only keys of organizations that issue notarial
// certificates (access.IssuesCertificates); any other gets 403 forbidden,
// before any object is looked up.
func certifier(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if o := principal(c).Org; !access.IssuesCertificates(o.Kind) {
			return problem(http.StatusForbidden, "forbidden", "Forbidden",
				"Only notary organizations (and this node's operator) issue notarial certificates; your key's organization is of kind "+o.Kind+".")
		}
		return next(c)
	}
}

// certificateRecords resolves a CertificateInput to the records it names,
// every one visible to the caller (else 404, like any evidence it may not
// see), and the matter if one was named.
func (s *Server) certificateRecords(c echo.Context, in wire.CertificateInput) ([]*evidence.Record, *evidence.Matter, error) {
	invalid := func(detail string) error {
		return problem(http.StatusUnprocessableEntity, "invalid-input", "Invalid input", detail)
	}
	if (len(in.Evidence) == 0) == (in.Matter == "") {
		return nil, nil, invalid("Give exactly one of evidence (a list of evidence IDs) or matter (a matter ID).")
	}
	ctx, org := c.Request().Context(), principal(c).Org.ID
	if in.Matter != "" {
		m, err := s.sharing.Matter(ctx, in.Matter, org)
		if err != nil {
			return nil, nil, matterErr(err)
		}
		recs, err := s.certs.MatterEvidence(ctx, m.ID, org)
		switch {
		case err != nil:
			return nil, nil, matterErr(err)
		case len(recs) == 0:
			return nil, nil, invalid("The matter holds no evidence you may see.")
		case len(recs) > evidence.MaxCertificateItems:
			return nil, nil, invalid(fmt.Sprintf("The matter holds %d items; a certificate names at most %d: name them in several certificates.", len(recs), evidence.MaxCertificateItems))
		}
		return recs, m, nil
	}
	if len(in.Evidence) > evidence.MaxCertificateItems {
		return nil, nil, invalid(fmt.Sprintf("A certificate names at most %d evidence items.", evidence.MaxCertificateItems))
	}
	seen := map[string]bool{}
	recs := make([]*evidence.Record, 0, len(in.Evidence))
	for _, id := range in.Evidence {
		if seen[id] {
			return nil, nil, invalid("Evidence " + strconv.Quote(id) + " is named twice.")
		}
		seen[id] = true
		r, err := s.records.Get(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		ok, err := s.records.Visible(ctx, r, org)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, errNotFound()
		}
		recs = append(recs, r)
	}
	return recs, nil, nil
}

// certificateApplicant resolves who applied for a certificate over recs:
// the organization or person the request names, else the items' owner. A
// request without an applicant over the items of several organizations is
// refused, since no one party then asked for it; so are an unknown
// organization and a person whose identity number is not valid for its
// type. Refusals are 422 invalid-metadata naming the field.
func (s *Server) certificateApplicant(in *wire.ApplicantInput, recs []*evidence.Record, now time.Time) (*evidence.Applicant, error) {
	field := func(name, msg string) error {
		return &evidence.MetadataError{Fields: []evidence.FieldError{{Field: name, Message: msg}}}
	}
	switch {
	case in == nil:
		owner := evidence.OwnerOrg(recs[0])
		for _, r := range recs[1:] {
			if evidence.OwnerOrg(r) != owner {
				return nil, field("applicant", "is required when the items belong to more than one organization: "+
					"name the organization (applicant.org) or the person (applicant.person) who applied for the certificate")
			}
		}
		return s.orgApplicant(owner, "applicant")
	case (in.Org == "") == (in.Person == nil):
		return nil, field("applicant", "must name exactly one of org (an organization ID) and person")
	case in.Person != nil:
		return evidence.PersonApplicant(evidence.Person(*in.Person), now)
	}
	return s.orgApplicant(in.Org, "applicant.org")
}

// orgApplicant is the organization id as an applicant, named by its
// current name; an unknown one is refused, as the field name.
func (s *Server) orgApplicant(id, name string) (*evidence.Applicant, error) {
	o, err := s.orgs.Org(id)
	if errors.Is(err, access.ErrNotFound) {
		return nil, &evidence.MetadataError{Fields: []evidence.FieldError{{Field: name, Message: "is not an organization of this node"}}}
	}
	if err != nil {
		return nil, err
	}
	return &evidence.Applicant{Kind: evidence.ApplicantOrg, Org: o.ID, Name: o.Name}, nil
}

// applicantIDText is how a certificate prints a natural-person applicant's
// identity document: its type, in Chinese and English, and the masked
// number. It is empty for an organization.
func applicantIDText(a *evidence.Applicant) string {
	switch a.IDType {
	case evidence.IDResident:
		return "居民身份证 Resident ID " + a.IDNumberMasked
	case evidence.IDPassport:
		return "护照 Passport " + a.IDNumberMasked
	}
	return ""
}

// matterText is how a certificate names a matter: its title and the
// court's case number, when known.
func matterText(m *evidence.Matter) string {
	if m.CaseNumber == "" {
		return m.Title
	}
	return m.Title + " (" + m.CaseNumber + ")"
}

func (s *Server) listCertificates(c echo.Context) error {
	limit, err := queryLimit(c, 0, 500)
	if err != nil {
		return err
	}
	page, err := s.certs.Certificates(c.Request().Context(), principal(c).Org.ID, c.QueryParam("cursor"), limit)
	if errors.Is(err, evidence.ErrBadCursor) {
		return errBadRequest("bad-parameter", "cursor must be a next_cursor from a previous page.")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.ListView[evidence.Certificate]{Items: page.Items, Next: page.Next})
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
		return c.JSON(http.StatusOK, cert)
	}
	cert, pdf, err := s.certs.CertificatePDF(ctx, id, p.Org.ID, p.Actor())
	if err != nil {
		return certificateErr(err)
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "certificate-" + cert.ID + ".pdf"}))
	h.Set("ETag", `"sha256:`+cert.PDFSHA256+`"`)
	h.Set("Repr-Digest", "sha-256=:"+b64hex(cert.PDFSHA256)+":") // RFC 9530
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

func certificateErr(err error) error {
	if errors.Is(err, evidence.ErrNotFound) {
		return problem(http.StatusNotFound, "not-found", "Not found", "There is no certificate with this ID that you may see.")
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
