package pdfcheck

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"hash"
	"math/big"

	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
)

// DERData is the DER eContentType of a PAdES signature: id-data.
var DERData = cms.MustOID(oids.Data)

// Algorithm is a digest and signature algorithm pair of a key.
type Algorithm struct {
	Hash   crypto.Hash
	Digest asn1.ObjectIdentifier
	Sig    asn1.ObjectIdentifier
	Null   bool // RSA AlgorithmIdentifiers carry NULL parameters
	x509   x509.SignatureAlgorithm
	SM     bool // the sm suite: SM3 digests, SM2-with-SM3 signature (hash and x509 unset)
}

// SMAlgorithm is the sm suite's pair (certs.SuiteSM; docs/security.md,
// "SM2 and SM3"): digestAlgorithm SM3 (1.2.156.10197.1.401) and
// signatureAlgorithm SM2-with-SM3 (1.2.156.10197.1.501), both with absent
// parameters, as the built-in TSA writes its tokens.
var SMAlgorithm = Algorithm{Digest: oids.SM3, Sig: oids.SM2WithSM3, SM: true}

// NewHash returns the digest algorithm's hash: SM3 in the sm suite.
func (a Algorithm) NewHash() hash.Hash {
	if a.SM {
		return sm3.New()
	}
	return a.Hash.New()
}

// Algorithms are the pairs of the ecdsa and rsa suites: ECDSA and RSA
// (PKCS #1 v1.5) with SHA-256, SHA-384 and SHA-512.
var Algorithms = []Algorithm{
	{crypto.SHA256, oids.SHA256, oids.ECDSAWithSHA256, false, x509.ECDSAWithSHA256, false},
	{crypto.SHA384, oids.SHA384, oids.ECDSAWithSHA384, false, x509.ECDSAWithSHA384, false},
	{crypto.SHA512, oids.SHA512, oids.ECDSAWithSHA512, false, x509.ECDSAWithSHA512, false},
	{crypto.SHA256, oids.SHA256, oids.SHA256WithRSA, true, x509.SHA256WithRSA, false},
	{crypto.SHA384, oids.SHA384, oids.SHA384WithRSA, true, x509.SHA384WithRSA, false},
	{crypto.SHA512, oids.SHA512, oids.SHA512WithRSA, true, x509.SHA512WithRSA, false},
}

// signatureAlgorithm maps a CMS signatureAlgorithm, with the digest
// algorithm of its SignerInfo, to an x509 algorithm (RFC 5754 §3).
func signatureAlgorithm(digest, sig asn1.ObjectIdentifier) (Algorithm, bool) {
	if digest.Equal(SMAlgorithm.Digest) && sig.Equal(SMAlgorithm.Sig) {
		return SMAlgorithm, true
	}
	for _, a := range Algorithms {
		if a.Digest.Equal(digest) && (a.Sig.Equal(sig) || a.Null && sig.Equal(oids.RSAEncryption)) {
			return a, true
		}
	}
	return Algorithm{}, false
}

// signedData is a parsed PAdES CMS SignedData with one SignerInfo.
type signedData struct {
	certs         []*x509.Certificate
	issuer        []byte // sid: the signer's issuer Name, DER
	serial        *big.Int
	alg           Algorithm
	attrs         []byte // signed attributes as the SET OF that was signed
	sig           []byte
	signedAttrs   cms.Attributes
	unsignedAttrs cms.Attributes
}

// parseSignedData parses the /Contents of a PAdES signature strictly: a
// DER ContentInfo holding a detached SignedData (RFC 5652 §5.1) with exactly
// one SignerInfo identified by issuer and serial number, whose signed
// attributes are present. The /Contents placeholder is padded with zero
// bytes after the DER, and only zeros may follow it.
func parseSignedData(contents []byte) (*signedData, error) {
	der, err := trimPadding(contents)
	if err != nil {
		return nil, err
	}
	sd, err := cms.Decode(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCMS, err)
	}
	if sd.Version != 1 {
		return nil, fmt.Errorf("%w: SignedData version %d, want 1", ErrCMS, sd.Version)
	}
	// ETSI.CAdES.detached: eContentType id-data, eContent absent.
	if !bytes.Equal(sd.ContentType, DERData) || sd.Content != nil {
		return nil, fmt.Errorf("%w: encapsulated content is not detached id-data", ErrCMS)
	}
	out := &signedData{}
	// certs.ParseCertificate: crypto/x509's result, or smx509's for the
	// SM2 certificates of the sm suite.
	if out.certs, err = sd.ParseCertificatesWith(certs.ParseCertificate); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCMS, err)
	}
	if err := out.parseSignerInfo(&sd.Signer); err != nil {
		return nil, err
	}
	return out, nil
}

// TrimPadding returns the DER element at the start of contents, and
// whether nothing but zero bytes follows it.
func trimPadding(contents []byte) ([]byte, error) {
	der, rest, err := cms.SplitElement(contents)
	if err != nil {
		return nil, fmt.Errorf("%w: not a ContentInfo of a SignedData", ErrCMS)
	}
	for _, c := range rest {
		if c != 0 {
			return nil, fmt.Errorf("%w: data after the ContentInfo", ErrCMS)
		}
	}
	return der, nil
}

// parseSignerInfo checks the RFC 5652 §5.3 SignerInfo of a PAdES
// signature: version 1, with signed attributes, and algorithms this
// package verifies.
func (s *signedData) parseSignerInfo(info *cms.SignerInfo) error {
	var err error
	if info.Version == 1 {
		s.issuer, s.serial, err = cms.DecodeIssuerAndSerial(info.SID)
	}
	if info.Version != 1 || err != nil {
		return fmt.Errorf("%w: SignerInfo is not version 1 with an issuer and serial number", ErrCMS)
	}
	if info.SignedAttrs == nil {
		return fmt.Errorf("%w: SignerInfo without signed attributes", ErrCMS)
	}
	digestOID, err := cms.AlgorithmOID(info.DigestAlgorithm)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCMS, err)
	}
	sigOID, err := cms.AlgorithmOID(info.SignatureAlgorithm)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCMS, err)
	}
	alg, ok := signatureAlgorithm(digestOID, sigOID)
	if !ok {
		return fmt.Errorf("%w: unsupported algorithms %v with %v", ErrCMS, sigOID, digestOID)
	}
	s.alg, s.sig, s.attrs = alg, info.Signature, info.SignedAttrs
	if s.signedAttrs, err = cms.DecodeAttributes(info.SignedAttrs); err != nil {
		return fmt.Errorf("%w: %w", ErrCMS, err)
	}
	if info.UnsignedAttrs != nil {
		if s.unsignedAttrs, err = cms.DecodeAttributes(info.UnsignedAttrs); err != nil {
			return fmt.Errorf("%w: %w", ErrCMS, err)
		}
	}
	return nil
}

// single returns the one value of attribute oid.
func single(attrs cms.Attributes, oid asn1.ObjectIdentifier) ([]byte, error) {
	v, err := attrs.Single(oid)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCMS, err)
	}
	return v, nil
}
