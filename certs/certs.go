package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// Organization kinds, carried as the OU of an organization CA.
const (
	KindCourt       = "court"
	KindNotary      = "notary"
	KindArbitration = "arbitration"
)

// Validity periods. A child never outlives its issuer: its NotAfter is
// clamped to the issuer's.
const (
	RootValidity  = 20 * 365 * 24 * time.Hour
	OrgCAValidity = 10 * 365 * 24 * time.Hour
	TSAValidity   = 5 * 365 * 24 * time.Hour

	// backdate is subtracted from "now" for NotBefore, so that a peer whose
	// clock runs a little behind still accepts a fresh certificate.
	backdate = 5 * time.Minute
)

var (
	// OIDExtKeyUsage is the extended key usage extension (RFC 5280 §4.2.1.12).
	OIDExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
	// OIDTimeStamping is id-kp-timeStamping (RFC 5280 §4.2.1.12).
	OIDTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

// Authority is a CA: certificate and its signer.
type Authority struct {
	Cert   *x509.Certificate
	Signer crypto.Signer
	// Chain holds Cert's issuers up to and including the root; it is empty
	// for a root. Certificates issued by this Authority get Chain with Cert
	// prepended as their own chain.
	Chain []*x509.Certificate
}

// Leaf is an end-entity certificate, its signer and its chain up to (and
// including) the root. Chain does not contain Cert itself: Chain[0] is Cert's
// issuer and the last element is the root.
type Leaf struct {
	Cert   *x509.Certificate
	Signer crypto.Signer
	Chain  []*x509.Certificate
}

// NewRoot creates a self-signed consortium root CA of SuiteECDSA, valid for
// 20 years from now, that allows one level of CAs below it (MaxPathLen 1).
func NewRoot(commonName string, now time.Time) (*Authority, error) {
	return NewSuiteRoot(SuiteECDSA, commonName, now)
}

// NewSuiteRoot is NewRoot with a key of suite. The CAs, TSAs and notaries
// the root (and the CAs below it) issue get keys of the same suite.
func NewSuiteRoot(suite Suite, commonName string, now time.Time) (*Authority, error) {
	if commonName == "" {
		return nil, fmt.Errorf("certs: root: empty common name")
	}
	key, err := NewSuiteKey(suite)
	if err != nil {
		return nil, err
	}
	tmpl, err := caTemplate(pkix.Name{CommonName: commonName}, now, now.Add(RootValidity), 1)
	if err != nil {
		return nil, err
	}
	cert, err := create(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, Signer: key}, nil
}

// NewOrgCA issues the CA of a member organization: O=name, OU=kind,
// MaxPathLen 0 (it issues only end-entity certificates), valid for 10 years,
// with a new key of a's suite.
func (a *Authority) NewOrgCA(kind, name string, now time.Time) (*Authority, error) {
	if kind != KindCourt && kind != KindNotary && kind != KindArbitration {
		return nil, fmt.Errorf("%w: %q", ErrKind, kind)
	}
	if name == "" {
		return nil, fmt.Errorf("certs: organization CA: empty name")
	}
	if !a.Cert.IsCA || a.Cert.MaxPathLenZero || a.Cert.MaxPathLen == 0 {
		return nil, fmt.Errorf("%w: %q may not issue CA certificates", ErrNotCA, a.Cert.Subject)
	}
	key, err := NewSuiteKey(a.suite())
	if err != nil {
		return nil, err
	}
	tmpl, err := caTemplate(orgSubject(kind, name), now, a.clamp(now.Add(OrgCAValidity)), 0)
	if err != nil {
		return nil, err
	}
	cert, err := create(tmpl, a.Cert, key.Public(), a.Signer)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, Signer: key, Chain: a.chainBelow()}, nil
}

// IssueTSA issues an RFC 3161 time-stamping certificate named name (its
// subject CN), valid for 5 years (never beyond the issuer), for a new key of
// the issuer's suite.
//
// RFC 3161 §2.3: the certificate carries exactly one extended key usage,
// id-kp-timeStamping, in a critical extension. Go's ExtKeyUsage would emit it
// non-critical, which OpenSSL's `ts -verify` refuses, so the extension is
// built by hand in ExtraExtensions. Key usage is digitalSignature only.
func (a *Authority) IssueTSA(name string, now time.Time) (*Leaf, error) {
	if name == "" {
		return nil, fmt.Errorf("certs: TSA: empty name")
	}
	if !a.Cert.IsCA {
		return nil, fmt.Errorf("%w: %q is not a CA", ErrNotCA, a.Cert.Subject)
	}
	key, err := NewSuiteKey(a.suite())
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{OIDTimeStamping})
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{
		CommonName:         name,
		Organization:       a.Cert.Subject.Organization,
		OrganizationalUnit: a.Cert.Subject.OrganizationalUnit,
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             now.Add(-backdate).UTC(),
		NotAfter:              a.clamp(now.Add(TSAValidity)).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		ExtraExtensions:       []pkix.Extension{{Id: OIDExtKeyUsage, Critical: true, Value: eku}},
	}
	cert, err := create(tmpl, a.Cert, key.Public(), a.Signer)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: cert, Signer: key, Chain: a.chainBelow()}, nil
}

// CheckTSA reports whether cert is fit to sign RFC 3161 time-stamps:
// RFC 3161 §2.3 requires exactly one extended key usage extension, marked
// critical, whose only purpose is id-kp-timeStamping. The error wraps
// ErrNotTSA.
func CheckTSA(cert *x509.Certificate) error {
	var found *pkix.Extension
	for i, ext := range cert.Extensions {
		if !ext.Id.Equal(OIDExtKeyUsage) {
			continue
		}
		if found != nil {
			return fmt.Errorf("%w: two extended key usage extensions", ErrNotTSA)
		}
		found = &cert.Extensions[i]
	}
	if found == nil {
		return fmt.Errorf("%w: no extended key usage extension", ErrNotTSA)
	}
	if !found.Critical {
		return fmt.Errorf("%w: extended key usage is not critical", ErrNotTSA)
	}
	var purposes []asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(found.Value, &purposes); err != nil || len(rest) != 0 {
		return fmt.Errorf("%w: malformed extended key usage", ErrNotTSA)
	}
	if len(purposes) != 1 || !purposes[0].Equal(OIDTimeStamping) {
		return fmt.Errorf("%w: extended key usage %v, want only %v", ErrNotTSA, purposes, OIDTimeStamping)
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Errorf("%w: key usage forbids signatures", ErrNotTSA)
	}
	return nil
}

// chainBelow is the chain of a certificate issued by a.
func (a *Authority) chainBelow() []*x509.Certificate {
	return append([]*x509.Certificate{a.Cert}, a.Chain...)
}

// clamp keeps notAfter within the issuer's validity.
func (a *Authority) clamp(notAfter time.Time) time.Time {
	if notAfter.After(a.Cert.NotAfter) {
		return a.Cert.NotAfter
	}
	return notAfter
}

func caTemplate(subject pkix.Name, now, notAfter time.Time, maxPathLen int) (*x509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             now.Add(-backdate).UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            maxPathLen,
		MaxPathLenZero:        maxPathLen == 0,
	}, nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: generate key: %w", err)
	}
	return key, nil
}

// newSerial returns a random positive 128-bit serial number (RFC 5280
// §4.1.2.2 allows up to 20 octets).
func newSerial() (*big.Int, error) {
	max := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return nil, fmt.Errorf("certs: serial: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// SameKey reports whether signer holds the private half of cert's key.
func SameKey(cert *x509.Certificate, signer crypto.Signer) bool {
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}
