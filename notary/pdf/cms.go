package pdf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	"github.com/emmansun/gmsm/sm2"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"

	"github.com/custos-project/custos/pdfcheck"
)

// algorithmFor picks the algorithms of a key: SHA-256 for P-256 and RSA,
// SHA-384 for P-384, SHA-512 for P-521, SM3 with SM2 for an SM2 key (as
// notary.TSA does).
func algorithmFor(pub crypto.PublicKey) (pdfcheck.Algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if sm2.IsSM2PublicKey(k) {
			return pdfcheck.SMAlgorithm, nil
		}
		switch k.Curve {
		case elliptic.P256():
			return pdfcheck.Algorithms[0], nil
		case elliptic.P384():
			return pdfcheck.Algorithms[1], nil
		case elliptic.P521():
			return pdfcheck.Algorithms[2], nil
		}
	case *rsa.PublicKey:
		return pdfcheck.Algorithms[3], nil
	}
	return pdfcheck.Algorithm{}, fmt.Errorf("%w: unsupported key type %T", ErrSignOptions, pub)
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
	return cms.SignedAttributes(cms.ContentTypeAttribute(pdfcheck.DERData), cms.MessageDigestAttribute(digest), ess), nil
}

// signerInput is what a CMS signature is made of, before its time-stamp.
type signerInput struct {
	alg   pdfcheck.Algorithm
	cert  *x509.Certificate
	certs []*x509.Certificate // cert and its chain, embedded
	attrs []byte              // DER SET OF signed attributes
	sig   []byte
}

// sign signs the byte ranges' digest and returns the parts of the CMS.
func sign(signer crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, digest []byte, alg pdfcheck.Algorithm) (*signerInput, error) {
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
func signAttributes(signer crypto.Signer, attrs []byte, alg pdfcheck.Algorithm) ([]byte, error) {
	if alg.SM {
		return signer.Sign(rand.Reader, attrs, sm2.NewSM2SignerOption(true, nil))
	}
	h := alg.Hash.New()
	h.Write(attrs)
	return signer.Sign(rand.Reader, h.Sum(nil), alg.Hash)
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
	digestAlg := cms.AlgorithmID(s.alg.Digest, false)
	sd := cms.SignedData{
		Version:          1,
		DigestAlgorithms: digestAlg,
		ContentType:      pdfcheck.DERData,
		Certificates:     certs,
		Signer: cms.SignerInfo{
			Version:            1,
			SID:                sid,
			DigestAlgorithm:    digestAlg,
			SignedAttrs:        s.attrs,
			SignatureAlgorithm: cms.AlgorithmID(s.alg.Sig, s.alg.Null),
			Signature:          s.sig,
			UnsignedAttrs:      cms.TLV(cms.TagSet, cms.Attribute(oids.TimeStampToken, token)),
		},
	}
	return sd.Encode(), nil
}
