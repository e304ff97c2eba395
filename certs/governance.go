package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/custos-project/custos/internal/oids"
)

// GovernanceValidity is the validity period of a governance certificate.
// A member's organization CA issues a new one whenever its administrators
// change hands; the chain needs no transaction for that, since it checks
// the certificate's path to the root, not the certificate itself.
const GovernanceValidity = 2 * 365 * 24 * time.Hour

// IssueGovernance issues a member's governance certificate: the key its
// administrators sign consortium governance transactions (proposals and
// votes) with, kept off the node. CN=name, O and OU from the organization
// CA, 2 years (clamped to the CA), random serial, a new ECDSA P-256 key.
//
// Key usage is digitalSignature only; the extended key usage extension is
// critical and holds only oids.GovernanceKey, so the key serves no other
// purpose (TLS, time-stamping, documents) and no other certificate of the
// organization passes for it (CheckGovernance).
//
// a must be an organization CA (it carries an O and an OU).
func (a *Authority) IssueGovernance(name string, now time.Time) (*Leaf, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	cert, err := a.IssueGovernanceFor(name, key.Public(), now)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: cert, Signer: key, Chain: a.chainBelow()}, nil
}

// IssueGovernanceFor issues a governance certificate, as IssueGovernance
// does, for a key made elsewhere: pub, an ECDSA P-256 public key, such as
// that of a key pair generated in a PKCS#11 token, whose private key the
// CA never sees.
func (a *Authority) IssueGovernanceFor(name string, pub crypto.PublicKey, now time.Time) (*x509.Certificate, error) {
	if name == "" {
		return nil, fmt.Errorf("certs: governance: empty name")
	}
	if k, ok := pub.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: a governance key is ECDSA P-256, not %T", ErrKey, pub)
	}
	if !a.Cert.IsCA || len(a.Cert.Subject.Organization) == 0 || len(a.Cert.Subject.OrganizationalUnit) == 0 {
		return nil, fmt.Errorf("%w: %q is not an organization CA", ErrNotCA, a.Cert.Subject)
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oids.GovernanceKey})
	if err != nil {
		return nil, err
	}
	tmpl, err := a.leafTemplate(name, now, GovernanceValidity)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtraExtensions = []pkix.Extension{{Id: OIDExtKeyUsage, Critical: true, Value: eku}}
	return create(tmpl, a.Cert, pub, a.Signer)
}

// CheckGovernance reports whether cert is a governance certificate of the
// organization whose CA is orgCA, in the consortium whose root is root, at
// time at: an ECDSA P-256 key; key usage digitalSignature; a critical
// extended key usage holding only oids.GovernanceKey; and the path
// cert → orgCA → root, each valid at at, orgCA an organization CA (O and
// OU). The error wraps ErrValidity, ErrNotGovernance or ErrChain.
func CheckGovernance(cert, orgCA, root *x509.Certificate, at time.Time) error {
	if err := checkGovernancePurpose(cert); err != nil {
		return err
	}
	if len(orgCA.Subject.Organization) == 0 || len(orgCA.Subject.OrganizationalUnit) == 0 {
		return fmt.Errorf("%w: %q is not an organization CA", ErrChain, orgCA.Subject)
	}
	for _, c := range []*x509.Certificate{cert, orgCA, root} {
		if at.Before(c.NotBefore) || at.After(c.NotAfter) {
			return fmt.Errorf("%w: %q at %s (valid %s to %s)", ErrValidity, c.Subject, at.UTC().Format(time.RFC3339),
				c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	chains, err := verifyGovernance(cert, orgCA, root, at)
	if err != nil {
		return fmt.Errorf("%w: governance certificate %q: %v", ErrChain, cert.Subject, err)
	}
	for _, c := range chains {
		if len(c) == 3 && c[1].Equal(orgCA) && c[2].Equal(root) {
			return nil
		}
	}
	return fmt.Errorf("%w: governance certificate %q is not issued by organization CA %q under the root", ErrChain, cert.Subject, orgCA.Subject)
}

// verifyGovernance is cert.Verify with orgCA as the intermediate and root
// as the root, any extended key usage: through crypto/x509, or smx509 under
// an SM2 root (the sm suite, SM2-with-SM3 signatures of the organization CA
// and of the root, which crypto/x509 cannot check).
func verifyGovernance(cert, orgCA, root *x509.Certificate, at time.Time) ([][]*x509.Certificate, error) {
	if !sm2.IsSM2PublicKey(root.PublicKey) {
		roots, inter := x509.NewCertPool(), x509.NewCertPool()
		roots.AddCert(root)
		inter.AddCert(orgCA)
		return cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	}
	roots, inter := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert((*smx509.Certificate)(root))
	inter.AddCert((*smx509.Certificate)(orgCA))
	smChains, err := (*smx509.Certificate)(cert).Verify(smx509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}})
	var chains [][]*x509.Certificate
	for _, sc := range smChains {
		c := make([]*x509.Certificate, len(sc))
		for i := range sc {
			c[i] = (*x509.Certificate)(sc[i])
		}
		chains = append(chains, c)
	}
	return chains, err
}

// checkGovernancePurpose checks what makes cert a governance certificate,
// whoever issued it.
func checkGovernancePurpose(cert *x509.Certificate) error {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return fmt.Errorf("%w: a %T key, want ECDSA P-256", ErrNotGovernance, cert.PublicKey)
	}
	if cert.IsCA || cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fmt.Errorf("%w: not an end-entity certificate for digital signatures", ErrNotGovernance)
	}
	var found *pkix.Extension
	for i, ext := range cert.Extensions {
		if ext.Id.Equal(OIDExtKeyUsage) {
			found = &cert.Extensions[i]
		}
	}
	if found == nil || !found.Critical {
		return fmt.Errorf("%w: no critical extended key usage", ErrNotGovernance)
	}
	if len(cert.ExtKeyUsage) != 0 || len(cert.UnknownExtKeyUsage) != 1 || !cert.UnknownExtKeyUsage[0].Equal(oids.GovernanceKey) {
		return fmt.Errorf("%w: extended key usage %v %v, want only %v", ErrNotGovernance, cert.ExtKeyUsage, cert.UnknownExtKeyUsage, oids.GovernanceKey)
	}
	return nil
}

// CheckGovernanceIssued reports whether cert is a governance certificate
// (as CheckGovernance requires of its key and purposes) that orgCA
// issued: its issuer is orgCA's subject and orgCA's key signed it, in
// either suite. It checks no validity period, so that an expired
// certificate can still be named, as in a revocation.
func CheckGovernanceIssued(cert, orgCA *x509.Certificate) error {
	if err := checkGovernancePurpose(cert); err != nil {
		return err
	}
	if !bytes.Equal(cert.RawIssuer, orgCA.RawSubject) {
		return fmt.Errorf("%w: governance certificate %q is issued by %q, not %q", ErrChain, cert.Subject, cert.Issuer, orgCA.Subject)
	}
	if err := CheckSignatureFrom(cert, orgCA); err != nil {
		return fmt.Errorf("%w: governance certificate %q is not signed by %q: %v", ErrChain, cert.Subject, orgCA.Subject, err)
	}
	return nil
}
