package certify

import (
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/notary/document"
)

// Request asks for a notarial certificate over evidence items, named one
// by one or as a whole matter (exactly one of the two), by a key of an
// organization that issues certificates (access.IssuesCertificates).
type Request struct {
	Org, Actor string // the issuing organization, and the key, "<org>:<key>"
	Evidence   []string
	Matter     string
	// Applicant names who applied; nil: the items' owner, and the items
	// must then all belong to one organization.
	Applicant *Applicant
	// Lang is the language of the certificate's body: "" or "zh" for
	// Chinese, "en" for English (document.Notarial.Lang).
	Lang string
}

// Applicant names a certificate's applicant (申请人): exactly one of an
// organization of this node, by ID, or a natural person.
type Applicant struct {
	Org    string
	Person *certificates.Person
}

// Notarial issues a notarial certificate: it gathers the items (each
// visible to the requesting organization, and anchored, waiting up to the
// anchor wait), reserves a number, renders and signs the PDF, then stores
// the certificate, its PDF and a "certified" custody event on every item
// in one transaction.
func (o *Office) Notarial(ctx context.Context, req Request) (*certificates.Certificate, error) {
	return o.NotarialWithin(ctx, req, nil)
}

// NotarialWithin issues a certificate as Notarial does and, if within is
// not nil, calls it in the transaction that stores the certificate, with
// the certificate as stored (certificates.Register.IssueCertificateWithin):
// an error from within undoes the issue (the number reserved stays a gap,
// as after any failure). The API stores the Idempotency-Key answer there.
func (o *Office) NotarialWithin(ctx context.Context, req Request, within func(tx *bolt.Tx, c *certificates.Certificate) error) (*certificates.Certificate, error) {
	if o.docs == nil {
		return nil, o.noSigner()
	}
	recs, matter, err := o.records(ctx, req)
	if err != nil {
		return nil, err
	}
	applicant, err := o.applicant(req.Applicant, recs, o.now())
	if err != nil {
		return nil, err
	}
	items, err := o.items(ctx, recs, o.now().Add(o.wait))
	if err != nil {
		return nil, err
	}
	now := o.now()
	cert, err := o.certs.ReserveCertificate(ctx, document.Year(now), o.docs.NumberPrefix())
	if err != nil {
		return nil, err
	}
	cert.Org, cert.Actor, cert.Office, cert.Notary, cert.IssuedAt = req.Org, req.Actor, o.docs.Office, o.docs.Notary(), now
	cert.Applicant = applicant
	receipts := make([][]byte, len(items))
	for i, it := range items {
		cert.Evidence = append(cert.Evidence, it.ID)
		if receipts[i], err = it.Receipt.Encode(); err != nil {
			return nil, err
		}
	}
	n := &document.Notarial{ID: cert.ID, VerifyToken: cert.VerifyToken, Number: cert.Number, Issued: now,
		Applicant: applicant.Name, ApplicantID: applicantIDText(applicant), Items: items, Names: o.names(items), Lang: req.Lang}
	if matter != nil {
		cert.Matter, n.Matter = matter.ID, matterText(matter)
	}
	pdf, err := o.docs.Notarial(ctx, n)
	if err != nil {
		return nil, err
	}
	if err := o.certs.IssueCertificateWithin(ctx, cert, pdf, receipts, within); err != nil {
		return nil, err
	}
	return cert, nil
}

// records resolves a request to the records it names, every one visible
// to the requesting organization (else evidence.ErrNotFound, as for any
// evidence it may not see), and the matter if one was named.
func (o *Office) records(ctx context.Context, req Request) ([]*evidence.Record, *sharing.Matter, error) {
	if (len(req.Evidence) == 0) == (req.Matter == "") {
		return nil, nil, inputError("certify.one-target")
	}
	if req.Matter != "" {
		return o.matterRecords(ctx, req)
	}
	if len(req.Evidence) > certificates.MaxCertificateItems {
		return nil, nil, inputError("certify.too-many", "max", certificates.MaxCertificateItems)
	}
	seen := map[string]bool{}
	recs := make([]*evidence.Record, 0, len(req.Evidence))
	for _, id := range req.Evidence {
		if seen[id] {
			return nil, nil, inputError("certify.twice", "id", id)
		}
		seen[id] = true
		r, err := o.ev.Get(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		ok, err := o.ev.Visible(ctx, r, req.Org)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, evidence.ErrNotFound
		}
		recs = append(recs, r)
	}
	return recs, nil, nil
}

// matterRecords is records for a request that names a matter.
func (o *Office) matterRecords(ctx context.Context, req Request) ([]*evidence.Record, *sharing.Matter, error) {
	m, err := o.matters.Matter(ctx, req.Matter, req.Org)
	if err != nil {
		return nil, nil, matterErr(err)
	}
	recs, err := o.matters.MatterEvidence(ctx, m.ID, req.Org)
	switch {
	case err != nil:
		return nil, nil, matterErr(err)
	case len(recs) == 0:
		return nil, nil, inputError("certify.empty-matter")
	case len(recs) > certificates.MaxCertificateItems:
		return nil, nil, inputError("certify.matter-too-big", "n", len(recs), "max", certificates.MaxCertificateItems)
	}
	return recs, m, nil
}

func matterErr(err error) error {
	if errors.Is(err, evidence.ErrNotFound) {
		return ErrNoMatter
	}
	return err
}

// applicant resolves who applied for a certificate over recs: the
// organization or person the request names, else the items' owner. A
// request without an applicant over the items of several organizations is
// refused, since no one party then asked for it; so are an unknown
// organization and a person whose identity number is not valid for its
// type. Refusals are *evidence.MetadataError naming the field.
func (o *Office) applicant(in *Applicant, recs []*evidence.Record, now time.Time) (*certificates.Applicant, error) {
	field := func(name, id string) error {
		return &evidence.MetadataError{Fields: []evidence.FieldError{evidence.NewFieldError(name, id)}}
	}
	switch {
	case in == nil:
		owner := evidence.OwnerOrg(recs[0])
		for _, r := range recs[1:] {
			if evidence.OwnerOrg(r) != owner {
				return nil, field("applicant", "field.applicant-required")
			}
		}
		return o.orgApplicant(owner, "applicant")
	case (in.Org == "") == (in.Person == nil):
		return nil, field("applicant", "field.applicant-one")
	case in.Person != nil:
		return certificates.PersonApplicant(*in.Person, now)
	}
	return o.orgApplicant(in.Org, "applicant.org")
}

// orgApplicant is the organization id as an applicant, named by its
// current name; an unknown one is refused, as the field name.
func (o *Office) orgApplicant(id, name string) (*certificates.Applicant, error) {
	org, err := o.orgs.Org(id)
	if errors.Is(err, access.ErrNotFound) {
		return nil, &evidence.MetadataError{Fields: []evidence.FieldError{evidence.NewFieldError(name, "field.not-local-org")}}
	}
	if err != nil {
		return nil, err
	}
	return &certificates.Applicant{Kind: certificates.ApplicantOrg, Org: org.ID, Name: org.Name}, nil
}

// names are the names of the organizations acting in the items' custody
// records, by ID, for the certificate to name them; an organization no
// longer known keeps its ID.
func (o *Office) names(items []document.Item) map[string]string {
	names := map[string]string{}
	for _, id := range document.CustodyOrgs(items) {
		if org, err := o.orgs.Org(id); err == nil {
			names[id] = org.Name
		}
	}
	return names
}

// applicantIDText is how a certificate prints a natural-person applicant's
// identity document: its type, in Chinese and English, and the masked
// number. It is empty for an organization.
func applicantIDText(a *certificates.Applicant) string {
	switch a.IDType {
	case certificates.IDResident:
		return "居民身份证 Resident ID " + a.IDNumberMasked
	case certificates.IDPassport:
		return "护照 Passport " + a.IDNumberMasked
	}
	return ""
}

// matterText is how a certificate names a matter: its title and the
// court's case number, when known.
func matterText(m *sharing.Matter) string {
	if m.CaseNumber == "" {
		return m.Title
	}
	return m.Title + " (" + m.CaseNumber + ")"
}
