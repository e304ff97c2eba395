package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Suite is the signature suite of a consortium's PKI: the algorithm of
// the root and organization CA keys, and of the TSA and notary keys they
// issue.
//
// Only those keys follow the suite. Node (CometBFT validator) keys stay
// Ed25519, and also sign node-to-node TLS, and governance keys stay ECDSA
// P-256, in both suites: CometBFT signs consensus with Ed25519 only, and
// Go's crypto/tls knows no SM2. In the sm suite the organization CA (an
// SM2 key) still certifies those keys, with an SM2-with-SM3 signature.
type Suite string

const (
	// SuiteECDSA is ECDSA P-256 with SHA-256, the default.
	SuiteECDSA Suite = "ecdsa"
	// SuiteSM is SM2 with SM3 (GM/T 0003, GB/T 32918), signatures computed
	// over SM3(Z_A ‖ message) with the default user ID 1234567812345678
	// of GM/T 0009.
	SuiteSM Suite = "sm"
)

// ParseSuite parses the name of a suite; "" is SuiteECDSA.
func ParseSuite(s string) (Suite, error) {
	switch Suite(s) {
	case "", SuiteECDSA:
		return SuiteECDSA, nil
	case SuiteSM:
		return SuiteSM, nil
	}
	return "", fmt.Errorf("%w: %q (want %s or %s)", ErrSuite, s, SuiteECDSA, SuiteSM)
}

// KeySuite is the suite of a public key: SuiteSM for an SM2 key,
// SuiteECDSA for any other.
func KeySuite(pub crypto.PublicKey) Suite {
	if sm2.IsSM2PublicKey(pub) {
		return SuiteSM
	}
	return SuiteECDSA
}

// suite is the suite of the authority's key: its certificates issue keys of
// the same suite.
func (a *Authority) suite() Suite { return KeySuite(a.Cert.PublicKey) }

// NewSuiteKey makes a new key of suite: ECDSA P-256 or SM2.
func NewSuiteKey(suite Suite) (crypto.Signer, error) {
	switch suite {
	case "", SuiteECDSA:
		return newKey()
	case SuiteSM:
		key, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("certs: generate SM2 key: %w", err)
		}
		return key, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrSuite, suite)
}

// create signs tmpl as parent with signer and returns the certificate
// parsed. An SM2 signer signs SM2-with-SM3 through smx509 (Go's x509 knows
// no SM2); any other signs through crypto/x509, as before suites existed.
func create(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	if !sm2.IsSM2PublicKey(signer.Public()) && !sm2.IsSM2PublicKey(pub) {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			return nil, fmt.Errorf("certs: create %q: %w", tmpl.Subject, err)
		}
		return x509.ParseCertificate(der)
	}
	// smx509 also serves an ECDSA signer certifying an SM2 key (a CA of
	// the ecdsa suite signing an outside SM2 TSA), which crypto/x509
	// cannot marshal.
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("certs: create %q: %w", tmpl.Subject, err)
	}
	return ParseCertificate(der)
}

// ParseCertificate parses one DER certificate, SM2 or not. Go's
// x509.ParseCertificate refuses SM2 keys (an unknown curve); smx509 parses
// them into the same x509.Certificate, whose PublicKey is an
// *ecdsa.PublicKey on the SM2 curve. Every other certificate is parsed by
// crypto/x509 itself.
//
// A certificate with another key but an SM2-with-SM3 signature (an Ed25519
// node certificate an sm organization CA issued) parses in crypto/x509 with
// an unknown signature algorithm; it is parsed by smx509 too, so that
// CheckSignatureFrom knows its algorithm.
func ParseCertificate(der []byte) (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err == nil && c.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return c, nil
	}
	sc, smErr := smx509.ParseCertificate(der)
	if smErr != nil || !sm2.IsSM2PublicKey(sc.PublicKey) && sc.SignatureAlgorithm != smx509.SM2WithSM3 {
		return c, err
	}
	return (*x509.Certificate)(sc), nil
}

// CheckSignatureFrom is child.CheckSignatureFrom(parent) for both suites:
// an SM2 parent's SM2-with-SM3 signature (GM/T 0003, default user ID) is
// checked by smx509, any other by crypto/x509.
func CheckSignatureFrom(child, parent *x509.Certificate) error {
	if !sm2.IsSM2PublicKey(parent.PublicKey) {
		return child.CheckSignatureFrom(parent)
	}
	return (*smx509.Certificate)(child).CheckSignatureFrom((*smx509.Certificate)(parent))
}

// marshalPKCS8 encodes key as PKCS#8: an SM2 key with the SM2 curve OID
// (1.2.156.10197.1.301) through smx509, any other through crypto/x509.
func marshalPKCS8(key crypto.Signer) ([]byte, error) {
	if sm2.IsSM2PublicKey(key.Public()) {
		return smx509.MarshalPKCS8PrivateKey(key)
	}
	return x509.MarshalPKCS8PrivateKey(key)
}

// parsePKCS8 decodes a PKCS#8 key; one crypto/x509 refuses is tried as an
// SM2 key, and only an SM2 key is accepted that way.
func parsePKCS8(der []byte) (any, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err == nil {
		return key, nil
	}
	smKey, smErr := smx509.ParsePKCS8PrivateKey(der)
	if smErr != nil {
		return nil, err
	}
	switch k := smKey.(type) {
	case *sm2.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		if sm2.IsSM2PublicKey(&k.PublicKey) {
			return new(sm2.PrivateKey).FromECPrivateKey(k)
		}
	}
	return nil, err
}

// Sign signs message with signer in the suite of its key, as a
// certificate's issuer signs: ECDSA P-256 over SHA-256(message), or SM2
// over SM3(Z_A ‖ message) with the default user ID (GM/T 0009). The
// signature is ASN.1 (r, s), as CheckSignature takes it. Other keys are
// refused with ErrKey.
func Sign(signer crypto.Signer, message []byte) ([]byte, error) {
	pub := signer.Public()
	if sm2.IsSM2PublicKey(pub) {
		return signer.Sign(rand.Reader, message, sm2.NewSM2SignerOption(true, nil))
	}
	if k, ok := pub.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: a %T key signs no message here (ECDSA P-256 or SM2)", ErrKey, pub)
	}
	digest := sha256.Sum256(message)
	return signer.Sign(rand.Reader, digest[:], crypto.SHA256)
}

// CheckSignature checks sig, an ASN.1 signature of message by cert's key
// (Sign's): SM2 with SM3 for an SM2 key (smx509), ECDSA with SHA-256 for
// an ECDSA P-256 key (crypto/x509), as CheckSignatureFrom checks a
// certificate's. Any other key is refused.
func CheckSignature(cert *x509.Certificate, message, sig []byte) error {
	if sm2.IsSM2PublicKey(cert.PublicKey) {
		return (*smx509.Certificate)(cert).CheckSignature(smx509.SM2WithSM3, message, sig)
	}
	if k, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		return fmt.Errorf("%w: %q has a %T key (want ECDSA P-256 or SM2)", ErrKey, cert.Subject, cert.PublicKey)
	}
	return cert.CheckSignature(x509.ECDSAWithSHA256, message, sig)
}
