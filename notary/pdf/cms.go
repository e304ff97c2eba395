package pdf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sort"

	"github.com/custos-project/custos/internal/oids"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDs of RFC 5652, RFC 5035, RFC 3161 and RFC 5758.
var (
	oidData            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData      = oids.SignedData
	oidContentType     = oids.ContentType
	oidMessageDigest   = oids.MessageDigest
	oidSigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertV2   = oids.SigningCertV2
	oidTimeStampToken  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidSHA256          = oids.SHA256
	oidSHA384          = oids.SHA384
	oidSHA512          = oids.SHA512
	oidECDSAWithSHA256 = oids.ECDSAWithSHA256
	oidECDSAWithSHA384 = oids.ECDSAWithSHA384
	oidECDSAWithSHA512 = oids.ECDSAWithSHA512
	oidSHA256WithRSA   = oids.SHA256WithRSA
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	tagSignedAttrs     = cbasn1.Tag(0).Constructed().ContextSpecific()
	tagUnsignedAttrs   = cbasn1.Tag(1).Constructed().ContextSpecific()
)

// algorithm is a digest and signature algorithm pair of a key.
type algorithm struct {
	hash   crypto.Hash
	digest asn1.ObjectIdentifier
	sig    asn1.ObjectIdentifier
	null   bool // RSA AlgorithmIdentifiers carry NULL parameters
	x509   x509.SignatureAlgorithm
}

var algorithms = []algorithm{
	{crypto.SHA256, oidSHA256, oidECDSAWithSHA256, false, x509.ECDSAWithSHA256},
	{crypto.SHA384, oidSHA384, oidECDSAWithSHA384, false, x509.ECDSAWithSHA384},
	{crypto.SHA512, oidSHA512, oidECDSAWithSHA512, false, x509.ECDSAWithSHA512},
	{crypto.SHA256, oidSHA256, oidSHA256WithRSA, true, x509.SHA256WithRSA},
	{crypto.SHA384, oidSHA384, oidSHA384WithRSA, true, x509.SHA384WithRSA},
	{crypto.SHA512, oidSHA512, oidSHA512WithRSA, true, x509.SHA512WithRSA},
}

// algorithmFor picks the algorithms of a key: SHA-256 for P-256 and RSA,
// SHA-384 for P-384, SHA-512 for P-521 (as notary.TSA does).
func algorithmFor(pub crypto.PublicKey) (algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
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
	for _, a := range algorithms {
		if a.digest.Equal(digest) && (a.sig.Equal(sig) || a.null && sig.Equal(oidRSAEncryption)) {
			return a, true
		}
	}
	return algorithm{}, false
}

func addAlgorithmID(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if null {
			b.AddASN1NULL()
		}
	})
}

// signedAttributes encodes the signed attributes of a PAdES baseline
// signature (ETSI EN 319 142-1 §5.2.1, §6.3): content-type id-data,
// message-digest and signing-certificate-v2, as the DER SET OF that is
// signed (RFC 5652 §5.4). signing-time is left out: PAdES puts the claimed
// time in the signature dictionary's /M instead.
func signedAttributes(digest []byte, cert *x509.Certificate) ([]byte, error) {
	attrs := [][]byte{
		attribute(oidContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }),
		attribute(oidMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }),
		attribute(oidSigningCertV2, func(b *cryptobyte.Builder) { addSigningCertificateV2(b, cert) }),
	}
	// DER sorts the elements of a SET OF by their encodings (X.690 §11.6).
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
	return b.Bytes()
}

// attribute encodes Attribute ::= SEQUENCE { attrType, attrValues SET OF }
// with one value.
func attribute(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		b.AddASN1(cbasn1.SET, value)
	})
	return b.BytesOrPanic()
}

// addSigningCertificateV2 encodes RFC 5035 §3:
//
//	SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
//	ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256 (omitted),
//	   certHash OCTET STRING, issuerSerial IssuerSerial }
//	IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }
func addSigningCertificateV2(b *cryptobyte.Builder, cert *x509.Certificate) {
	h := sha256.Sum256(cert.Raw)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(h[:])
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						// GeneralName directoryName [4] EXPLICIT Name
						b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddBytes(cert.RawIssuer)
						})
					})
					b.AddASN1BigInt(cert.SerialNumber)
				})
			})
		})
	})
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
	h := alg.hash.New()
	h.Write(attrs)
	sig, err := signer.Sign(rand.Reader, h.Sum(nil), alg.hash)
	if err != nil {
		return nil, fmt.Errorf("pdf: sign: %w", err)
	}
	return &signerInput{alg: alg, cert: cert, certs: append([]*x509.Certificate{cert}, chain...), attrs: attrs, sig: sig}, nil
}

// encode encodes RFC 5652 ContentInfo of a detached SignedData with one
// SignerInfo carrying token (a DER TimeStampToken) as the unsigned
// id-aa-timeStampToken attribute (RFC 3161 Appendix A).
func (s *signerInput) encode(token []byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				// version 1: issuerAndSerialNumber sid, id-data content,
				// no attribute certificates (RFC 5652 §5.1).
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithmID(b, s.alg.digest, false) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range s.certs {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { s.addSignerInfo(b, token) })
			})
		})
	})
	return b.Bytes()
}

// addSignerInfo encodes RFC 5652 §5.3 SignerInfo.
func (s *signerInput) addSignerInfo(b *cryptobyte.Builder, token []byte) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(s.cert.RawIssuer)
			b.AddASN1BigInt(s.cert.SerialNumber)
		})
		addAlgorithmID(b, s.alg.digest, false)
		// signedAttrs [0] IMPLICIT: the SET's contents under tag [0].
		b.AddASN1(tagSignedAttrs, func(b *cryptobyte.Builder) { b.AddBytes(setContents(s.attrs)) })
		addAlgorithmID(b, s.alg.sig, s.alg.null)
		b.AddASN1OctetString(s.sig)
		b.AddASN1(tagUnsignedAttrs, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidTimeStampToken)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(token) })
			})
		})
	})
}

// setContents strips the tag and length of a DER SET built here.
func setContents(set []byte) []byte {
	s := cryptobyte.String(set)
	var out cryptobyte.String
	if !s.ReadASN1(&out, cbasn1.SET) {
		panic("pdf: signed attributes are not a SET")
	}
	return out
}

// signedData is a parsed CMS SignedData with one SignerInfo.
type signedData struct {
	certs    []*x509.Certificate
	issuer   []byte // sid: the signer's issuer Name, DER
	serial   *big.Int
	alg      algorithm
	attrs    []byte // signed attributes re-tagged as the SET OF that was signed
	sig      []byte
	signed   map[string][]cryptobyte.String // signed attribute OID → values
	unsigned map[string][]cryptobyte.String
}
