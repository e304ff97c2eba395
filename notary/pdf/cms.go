package pdf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"hash"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
)

// derData is the DER eContentType of a PAdES signature: id-data.
var derData = cms.MustOID(oids.Data)

// algorithm is a digest and signature algorithm pair of a key.
type algorithm struct {
	hash   crypto.Hash
	digest asn1.ObjectIdentifier
	sig    asn1.ObjectIdentifier
	null   bool // RSA AlgorithmIdentifiers carry NULL parameters
	x509   x509.SignatureAlgorithm
	sm     bool // the sm suite: SM3 digests, SM2-with-SM3 signature (hash and x509 unset)
}

// smAlgorithm is the sm suite's pair (certs.SuiteSM; docs/security.md,
// "SM2 and SM3"): digestAlgorithm SM3 (1.2.156.10197.1.401) and
// signatureAlgorithm SM2-with-SM3 (1.2.156.10197.1.501), both with absent
// parameters, as the built-in TSA writes its tokens.
var smAlgorithm = algorithm{digest: oids.SM3, sig: oids.SM2WithSM3, sm: true}

// newHash returns the digest algorithm's hash: SM3 in the sm suite.
func (a algorithm) newHash() hash.Hash {
	if a.sm {
		return sm3.New()
	}
	return a.hash.New()
}

var algorithms = []algorithm{
	{crypto.SHA256, oids.SHA256, oids.ECDSAWithSHA256, false, x509.ECDSAWithSHA256, false},
	{crypto.SHA384, oids.SHA384, oids.ECDSAWithSHA384, false, x509.ECDSAWithSHA384, false},
	{crypto.SHA512, oids.SHA512, oids.ECDSAWithSHA512, false, x509.ECDSAWithSHA512, false},
	{crypto.SHA256, oids.SHA256, oids.SHA256WithRSA, true, x509.SHA256WithRSA, false},
	{crypto.SHA384, oids.SHA384, oids.SHA384WithRSA, true, x509.SHA384WithRSA, false},
	{crypto.SHA512, oids.SHA512, oids.SHA512WithRSA, true, x509.SHA512WithRSA, false},
}

// algorithmFor picks the algorithms of a key: SHA-256 for P-256 and RSA,
// SHA-384 for P-384, SHA-512 for P-521, SM3 with SM2 for an SM2 key (as
// notary.TSA does).
func algorithmFor(pub crypto.PublicKey) (algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if sm2.IsSM2PublicKey(k) {
			return smAlgorithm, nil
		}
		switch k.Curve {
		case elliptic.P256():
			return algorithms[0], nil
		case elliptic.P384():
			return algorithms[1], nil
		case elliptic.P521():
			return algorithms[2], nil
		}
	case *rsa.PublicKey:
		return algorithms[3], nil
	}
	return algorithm{}, fmt.Errorf("%w: unsupported key type %T", ErrSignOptions, pub)
}

// signatureAlgorithm maps a CMS signatureAlgorithm, with the digest
// algorithm of its SignerInfo, to an x509 algorithm (RFC 5754 §3).
func signatureAlgorithm(digest, sig asn1.ObjectIdentifier) (algorithm, bool) {
	if digest.Equal(smAlgorithm.digest) && sig.Equal(smAlgorithm.sig) {
		return smAlgorithm, true
	}
	for _, a := range algorithms {
		if a.digest.Equal(digest) && (a.sig.Equal(sig) || a.null && sig.Equal(oids.RSAEncryption)) {
			return a, true
		}
	}
	return algorithm{}, false
}

// signedAttributes encodes the signed attributes of a PAdES baseline
// signature (ETSI EN 319 142-1 §5.2.1, §6.3): content-type id-data,
// message-digest and signing-certificate-v2, as the DER SET OF that is
// signed (RFC 5652 §5.4). signing-time is left out: PAdES puts the claimed
// time in the signature dictionary's /M instead.
func signedAttributes(digest []byte, cert *x509.Certificate) ([]byte, error) {
	ess, err := cms.SigningCertificateV2Attribute(cert)
	if err != nil {
		return nil, err
	}
	return cms.SignedAttributes(cms.ContentTypeAttribute(derData), cms.MessageDigestAttribute(digest), ess), nil
}

// signerInput is what a CMS signature is made of, before its time-stamp.
type signerInput struct {
	alg   algorithm
	cert  *x509.Certificate
	certs []*x509.Certificate // cert and its chain, embedded
	attrs []byte              // DER SET OF signed attributes
	sig   []byte
}

// sign signs the byte ranges' digest and returns the parts of the CMS.
func sign(signer crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, digest []byte, alg algorithm) (*signerInput, error) {
	attrs, err := signedAttributes(digest, cert)
	if err != nil {
		return nil, err
	}
	sig, err := signAttributes(signer, attrs, alg)
	if err != nil {
		return nil, fmt.Errorf("pdf: sign: %w", err)
	}
	return &signerInput{alg: alg, cert: cert, certs: append([]*x509.Certificate{cert}, chain...), attrs: attrs, sig: sig}, nil
}

// signAttributes signs the DER signed attributes. In the sm suite the
// signer is given the attributes themselves with sm2.SM2SignerOption and
// the default user ID, and signs SM3(Z_A ‖ attributes) (GM/T 0003, GM/T
// 0009), as gmsm's *sm2.PrivateKey does; an HSM or KMS behind
// crypto.Signer must do the same (as for notary.TSAConfig.Signer).
func signAttributes(signer crypto.Signer, attrs []byte, alg algorithm) ([]byte, error) {
	if alg.sm {
		return signer.Sign(rand.Reader, attrs, sm2.NewSM2SignerOption(true, nil))
	}
	h := alg.hash.New()
	h.Write(attrs)
	return signer.Sign(rand.Reader, h.Sum(nil), alg.hash)
}

// encode encodes RFC 5652 ContentInfo of a detached SignedData with one
// SignerInfo carrying token (a DER TimeStampToken) as the unsigned
// id-aa-timeStampToken attribute (RFC 3161 Appendix A). Version 1:
// issuerAndSerialNumber sid, id-data content, no attribute certificates
// (RFC 5652 §5.1).
func (s *signerInput) encode(token []byte) ([]byte, error) {
	sid, err := cms.IssuerAndSerial(s.cert)
	if err != nil {
		return nil, err
	}
	var certs []byte
	for _, c := range s.certs {
		certs = append(certs, c.Raw...)
	}
	digestAlg := cms.AlgorithmID(s.alg.digest, false)
	sd := cms.SignedData{
		Version:          1,
		DigestAlgorithms: digestAlg,
		ContentType:      derData,
		Certificates:     certs,
		Signer: cms.SignerInfo{
			Version:            1,
			SID:                sid,
			DigestAlgorithm:    digestAlg,
			SignedAttrs:        s.attrs,
			SignatureAlgorithm: cms.AlgorithmID(s.alg.sig, s.alg.null),
			Signature:          s.sig,
			UnsignedAttrs:      cms.TLV(cms.TagSet, cms.Attribute(oids.TimeStampToken, token)),
		},
	}
	return sd.Encode(), nil
}

// signedData is a parsed PAdES CMS SignedData with one SignerInfo.
type signedData struct {
	certs         []*x509.Certificate
	issuer        []byte // sid: the signer's issuer Name, DER
	serial        *big.Int
	alg           algorithm
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
	if !bytes.Equal(sd.ContentType, derData) || sd.Content != nil {
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

// trimPadding returns the DER element at the start of contents, and
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
