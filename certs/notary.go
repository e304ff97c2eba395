package certs

import (
	"crypto/x509"
	"fmt"
	"time"
)

// NotaryValidity is the validity period of a notary's document-signing
// certificate.
const NotaryValidity = 3 * 365 * 24 * time.Hour

// IssueNotary issues a notary's document-signing certificate, the one that
// signs notarial and registration certificates as PAdES signatures:
// CN=name, O and OU from the organization CA, 3 years (clamped to the CA),
// random serial, a new key of the CA's suite (ECDSA P-256 or SM2).
//
// Key usage is digitalSignature and contentCommitment (non-repudiation): a
// signature by this key commits the notary to the document's content.
// Extended key usage is emailProtection only, non-critical. NSS, which
// poppler's pdfsig uses, verifies a PDF signer's certificate for
// certificateUsageEmailSigner: it requires digitalSignature (or
// nonRepudiation) and, when an extended key usage extension is present,
// emailProtection in it. Adobe Acrobat also accepts emailProtection for
// document signing. Limiting the key to it keeps it from serving TLS or
// code signing.
//
// a must be an organization CA of kind KindNotary.
func (a *Authority) IssueNotary(name string, now time.Time) (*Leaf, error) {
	if name == "" {
		return nil, fmt.Errorf("certs: notary: empty name")
	}
	if !a.Cert.IsCA || len(a.Cert.Subject.Organization) == 0 {
		return nil, fmt.Errorf("%w: %q is not an organization CA", ErrNotCA, a.Cert.Subject)
	}
	if ou := a.Cert.Subject.OrganizationalUnit; len(ou) != 1 || ou[0] != KindNotary {
		return nil, fmt.Errorf("%w: %q is not a notary organization's CA", ErrKind, a.Cert.Subject)
	}
	return a.issueLeaf(name, now, NotaryValidity, func(tmpl *x509.Certificate) {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
	})
}
