package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"slices"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Purposes of a certificate requested from an outside CA.
const (
	PurposeTSA    = "tsa"    // RFC 3161 time-stamping
	PurposeNotary = "notary" // the notary's document signing (PAdES)
)

var (
	// OIDKeyUsage is the key usage extension (RFC 5280 §4.2.1.3).
	OIDKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}
	// OIDEmailProtection is id-kp-emailProtection (RFC 5280 §4.2.1.12).
	OIDEmailProtection = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}
	// OIDDocumentSigning is id-kp-documentSigning (RFC 9336).
	OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
)

// NewRequest makes a PKCS#10 certificate request (RFC 2986), PEM-encoded,
// for subject and the public key of signer, which signs it. signer may be a
// key in a token. The request asks, in its extensionRequest attribute
// (RFC 2985 §5.4.2), for what purpose needs:
//   - PurposeTSA: key usage digitalSignature (critical) and the single
//     extended key usage id-kp-timeStamping, critical (RFC 3161 §2.3);
//   - PurposeNotary: key usage digitalSignature and contentCommitment
//     (critical), extended key usage emailProtection (what NSS, and so
//     pdfsig, demands of a PDF signer) and id-kp-documentSigning (RFC 9336).
//
// The CA decides what the certificate holds; Check tells whether it fits.
func NewRequest(purpose string, subject pkix.Name, signer crypto.Signer) ([]byte, error) {
	if subject.CommonName == "" {
		return nil, fmt.Errorf("certs: request: empty common name")
	}
	var ku x509.KeyUsage
	var ekus []asn1.ObjectIdentifier
	critical := false
	switch purpose {
	case PurposeTSA:
		ku, ekus, critical = x509.KeyUsageDigitalSignature, []asn1.ObjectIdentifier{OIDTimeStamping}, true
	case PurposeNotary:
		ku = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		ekus = []asn1.ObjectIdentifier{OIDEmailProtection, OIDDocumentSigning}
	default:
		return nil, fmt.Errorf("%w: %q (want %s or %s)", ErrPurpose, purpose, PurposeTSA, PurposeNotary)
	}
	kuExt, err := keyUsageExtension(ku)
	if err != nil {
		return nil, err
	}
	ekuDER, err := asn1.Marshal(ekus)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.CertificateRequest{
		Subject: subject,
		ExtraExtensions: []pkix.Extension{kuExt,
			{Id: OIDExtKeyUsage, Critical: critical, Value: ekuDER}},
	}
	der, err := createRequest(tmpl, signer)
	if err != nil {
		return nil, fmt.Errorf("certs: request: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// createRequest signs tmpl with signer as a PKCS#10 request (DER): an SM2
// signer signs SM2-with-SM3 through smx509 (over SM3(Z_A ‖ request), Z_A
// with the default user ID 1234567812345678 of GM/T 0009), any other
// through crypto/x509.
func createRequest(tmpl *x509.CertificateRequest, signer crypto.Signer) ([]byte, error) {
	if sm2.IsSM2PublicKey(signer.Public()) {
		return smx509.CreateCertificateRequest(rand.Reader, tmpl, signer)
	}
	return x509.CreateCertificateRequest(rand.Reader, tmpl, signer)
}

// ParseRequest parses one DER PKCS#10 request, SM2 or not, and checks its
// signature: crypto/x509 parses and checks every request it knows; one it
// refuses (an SM2 key) or whose signature algorithm it does not know
// (SM2-with-SM3) is parsed and checked by smx509, with the default user ID.
func ParseRequest(der []byte) (*x509.CertificateRequest, error) {
	req, err := x509.ParseCertificateRequest(der)
	if err == nil && req.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		if err := req.CheckSignature(); err != nil {
			return nil, fmt.Errorf("its signature does not verify: %w", err)
		}
		return req, nil
	}
	sreq, smErr := smx509.ParseCertificateRequest(der)
	if smErr != nil {
		if err == nil {
			err = smErr
		}
		return nil, err
	}
	if err := sreq.CheckSignature(); err != nil {
		return nil, fmt.Errorf("its signature does not verify: %w", err)
	}
	return sreq.ToX509(), nil
}

// NewKey makes a new ECDSA P-256 key, the kind Custos requests
// certificates for when the key is a file in the ecdsa suite (NewSuiteKey
// makes the key of either suite).
func NewKey() (*ecdsa.PrivateKey, error) { return newKey() }

// keyUsageExtension encodes ku as a critical key usage extension (RFC 5280
// §4.2.1.3): a BIT STRING of the bits set, trailing zero bits dropped.
func keyUsageExtension(ku x509.KeyUsage) (pkix.Extension, error) {
	var b [2]byte
	n := 0
	for i := 0; i < 9; i++ {
		if ku&(1<<i) != 0 {
			b[i/8] |= 0x80 >> (i % 8)
			n = i + 1
		}
	}
	bytes := (n + 7) / 8
	der, err := asn1.Marshal(asn1.BitString{Bytes: b[:bytes], BitLength: n})
	return pkix.Extension{Id: OIDKeyUsage, Critical: true, Value: der}, err
}

// CheckNotary reports whether cert may sign documents: its key usage, if
// any, allows digitalSignature or contentCommitment, and its extended key
// usage, if any, includes emailProtection (NSS verifies a PDF signer as an
// email signer) or anyExtendedKeyUsage. The error wraps ErrNotNotary.
func CheckNotary(cert *x509.Certificate) error {
	if cert.KeyUsage != 0 && cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Errorf("%w: key usage forbids signatures", ErrNotNotary)
	}
	if len(cert.ExtKeyUsage) == 0 && len(cert.UnknownExtKeyUsage) == 0 {
		return nil
	}
	if slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageEmailProtection) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return nil
	}
	return fmt.Errorf("%w: extended key usage lacks emailProtection, which PDF readers (NSS, pdfsig) require of a document signer", ErrNotNotary)
}

// CheckIssued checks a chain an outside CA issued for purpose before it is
// installed: chain[0] certifies pub, is fit for purpose (CheckTSA or
// CheckNotary) and valid at now; each certificate is issued by the next;
// the last is a self-signed root. Every failure says which certificate and
// why.
func CheckIssued(purpose string, chain []*x509.Certificate, pub crypto.PublicKey, now time.Time) error {
	if len(chain) == 0 {
		return fmt.Errorf("%w: no certificate", ErrChain)
	}
	leaf := chain[0]
	if k, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(leaf.PublicKey) {
		return fmt.Errorf("%w: the certificate %q is not for this key (was it issued for another request?)", ErrKey, leaf.Subject)
	}
	switch purpose {
	case PurposeTSA:
		if err := CheckTSA(leaf); err != nil {
			return err
		}
	case PurposeNotary:
		if err := CheckNotary(leaf); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: %q", ErrPurpose, purpose)
	}
	for i, c := range chain {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return fmt.Errorf("%w: %q is valid from %s to %s, not now (%s)", ErrValidity, c.Subject,
				c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		if i+1 < len(chain) {
			if err := CheckSignatureFrom(c, chain[i+1]); err != nil {
				return fmt.Errorf("%w: %q is not issued by %q, the next certificate in the file: %v", ErrChain, c.Subject, chain[i+1].Subject, err)
			}
		}
	}
	root := chain[len(chain)-1]
	if len(chain) == 1 || CheckSignatureFrom(root, root) != nil {
		return fmt.Errorf("%w: the chain ends at %q, which is not a self-signed root; append the CA's intermediates and root, issuer after issued", ErrChain, root.Subject)
	}
	return nil
}
