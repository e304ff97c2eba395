package certs

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"time"
)

// NodeValidity is the validity period of a node certificate.
const NodeValidity = 5 * 365 * 24 * time.Hour

// IssueNode certifies a node's Ed25519 key (its CometBFT validator key):
// CN=name, O=org name (from the CA), OU=kind (from the CA), KeyUsage
// digitalSignature, ExtKeyUsage serverAuth+clientAuth, 5 years (clamped to
// the CA), random serial.
//
// a must be an organization CA (it carries an O and an OU): a node
// certificate always chains to the root through its organization's CA.
func (a *Authority) IssueNode(name string, pub ed25519.PublicKey, now time.Time) (*x509.Certificate, error) {
	if name == "" {
		return nil, fmt.Errorf("certs: node: empty name")
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: node public key of %d bytes, want Ed25519 (%d)", ErrKey, len(pub), ed25519.PublicKeySize)
	}
	if !a.Cert.IsCA || len(a.Cert.Subject.Organization) == 0 || len(a.Cert.Subject.OrganizationalUnit) == 0 {
		return nil, fmt.Errorf("%w: %q is not an organization CA", ErrNotCA, a.Cert.Subject)
	}
	tmpl, err := a.leafTemplate(name, now, NodeValidity)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	return create(tmpl, a.Cert, pub, a.Signer)
}

// leafTemplate is an end-entity certificate of the CA's organization: a
// random serial, CN=name with the CA's O and OU, valid from shortly before
// now for validity (clamped to the CA's own validity). The caller sets the
// key usages.
func (a *Authority) leafTemplate(name string, now time.Time, validity time.Duration) (*x509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         name,
			Organization:       a.Cert.Subject.Organization,
			OrganizationalUnit: a.Cert.Subject.OrganizationalUnit,
		},
		NotBefore:             now.Add(-backdate).UTC(),
		NotAfter:              a.clamp(now.Add(validity)).UTC(),
		BasicConstraintsValid: true,
	}, nil
}

// issueLeaf issues an end-entity certificate of the CA's organization
// (leafTemplate) for a new key of the CA's suite (ECDSA P-256 or SM2), with
// the key usages usage sets.
func (a *Authority) issueLeaf(name string, now time.Time, validity time.Duration, usage func(*x509.Certificate)) (*Leaf, error) {
	key, err := NewSuiteKey(a.suite())
	if err != nil {
		return nil, err
	}
	tmpl, err := a.leafTemplate(name, now, validity)
	if err != nil {
		return nil, err
	}
	usage(tmpl)
	cert, err := create(tmpl, a.Cert, key.Public(), a.Signer)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: cert, Signer: key, Chain: a.chainBelow()}, nil
}
