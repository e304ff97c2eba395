package cms

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"

	"github.com/custos-project/custos/internal/oids"
)

// SignedData is a ContentInfo holding a SignedData with one signer
// (RFC 5652 §3, §5.1):
//
//	ContentInfo ::= SEQUENCE { contentType id-signedData,
//	   content [0] EXPLICIT SignedData }
//	SignedData ::= SEQUENCE { version CMSVersion,
//	   digestAlgorithms SET OF DigestAlgorithmIdentifier,
//	   encapContentInfo EncapsulatedContentInfo,
//	   certificates [0] IMPLICIT CertificateSet OPTIONAL,
//	   signerInfos SET OF SignerInfo }                  -- exactly one here
//	EncapsulatedContentInfo ::= SEQUENCE { eContentType,
//	   eContent [0] EXPLICIT OCTET STRING OPTIONAL }
//
// The parts a caller computes once (algorithms, the certificates) are kept
// as DER, so that encoding a token copies them and re-encodes nothing.
type SignedData struct {
	Version int64
	// DigestAlgorithms is the contents of the digestAlgorithms SET OF:
	// DER AlgorithmIdentifiers, one after the other.
	DigestAlgorithms []byte
	// ContentType is the DER OBJECT IDENTIFIER eContentType.
	ContentType []byte
	// Content is the octets of eContent; nil when the content is
	// detached (absent), as in a PAdES signature.
	Content []byte
	// Certificates is the contents of certificates [0] IMPLICIT: DER
	// certificates, one after the other; nil when the field is absent.
	Certificates []byte
	Signer       SignerInfo
}

// SignerInfo is RFC 5652 §5.3:
//
//	SignerInfo ::= SEQUENCE { version CMSVersion, sid SignerIdentifier,
//	   digestAlgorithm, signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
//	   signatureAlgorithm, signature OCTET STRING,
//	   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
type SignerInfo struct {
	Version int64
	// SID is the DER SignerIdentifier: an IssuerAndSerialNumber SEQUENCE
	// (version 1) or a [0] subjectKeyIdentifier (version 3).
	SID []byte
	// DigestAlgorithm and SignatureAlgorithm are DER
	// AlgorithmIdentifiers.
	DigestAlgorithm []byte
	// SignedAttrs is the DER SET OF Attribute with the SET tag, the bytes
	// the signature covers (RFC 5652 §5.4); it is written under the
	// IMPLICIT [0]. Nil when absent.
	SignedAttrs        []byte
	SignatureAlgorithm []byte
	Signature          []byte
	// UnsignedAttrs is the DER SET OF Attribute with the SET tag, written
	// under the IMPLICIT [1]. Nil when absent.
	UnsignedAttrs []byte
}

var (
	derSignedDataOID    = MustOID(oids.SignedData)
	derMessageDigestOID = MustOID(oids.MessageDigest)
	// derStatusGranted is PKIStatusInfo { status granted(0) }.
	derStatusGranted = []byte{TagSequence, 3, TagInteger, 1, 0}
)

// Encode returns the DER ContentInfo.
func (sd *SignedData) Encode() []byte {
	return sd.Append(make([]byte, 0, sd.Size()))
}

// EncodeReply returns the DER of the granted RFC 3161 §2.4.2
//
//	TimeStampResp ::= SEQUENCE { status PKIStatusInfo,
//	   timeStampToken TimeStampToken OPTIONAL }
//
// whose token is sd, written in one pass into one buffer.
func (sd *SignedData) EncodeReply() []byte {
	n := len(derStatusGranted) + sd.Size()
	b := make([]byte, 0, Size(n))
	b = AppendTLV(b, TagSequence, n, derStatusGranted)
	return sd.Append(b)
}

// EncodeReply returns the granted TimeStampResp around token, a DER
// TimeStampToken (a ContentInfo).
func EncodeReply(token []byte) []byte {
	return TLV(TagSequence, derStatusGranted, token)
}

// Size is the length of the DER ContentInfo.
func (sd *SignedData) Size() int {
	_, _, _, contentInfo := sd.sizes()
	return Size(contentInfo)
}

// sizes computes the lengths of the contents of the nested elements, from
// the inside out.
func (sd *SignedData) sizes() (encap, signer, signedData, contentInfo int) {
	encap = len(sd.ContentType)
	if sd.Content != nil {
		encap += Size(Size(len(sd.Content)))
	}
	signer = sd.Signer.size()
	signedData = intSize(sd.Version) + Size(len(sd.DigestAlgorithms)) + Size(encap) + Size(Size(signer))
	if sd.Certificates != nil {
		signedData += Size(len(sd.Certificates))
	}
	contentInfo = len(derSignedDataOID) + Size(Size(signedData))
	return encap, signer, signedData, contentInfo
}

// Append appends the DER ContentInfo to dst. Each AppendTLV writes a
// header with the element's whole length and then only its first parts;
// the rest follow in order.
func (sd *SignedData) Append(dst []byte) []byte {
	encap, signer, signedData, contentInfo := sd.sizes()
	b := AppendTLV(dst, TagSequence, contentInfo, derSignedDataOID)
	b = AppendTLV(b, TagContext0, Size(signedData))
	b = AppendTLV(b, TagSequence, signedData)
	b = appendInt(b, sd.Version)
	b = AppendTLV(b, TagSet, len(sd.DigestAlgorithms), sd.DigestAlgorithms)
	b = AppendTLV(b, TagSequence, encap, sd.ContentType)
	if sd.Content != nil {
		b = AppendTLV(b, TagContext0, Size(len(sd.Content)))
		b = AppendTLV(b, TagOctetString, len(sd.Content), sd.Content)
	}
	if sd.Certificates != nil {
		b = AppendTLV(b, TagContext0, len(sd.Certificates), sd.Certificates)
	}
	b = AppendTLV(b, TagSet, Size(signer))
	return sd.Signer.append(b, signer)
}

// size is the length of the contents of the SignerInfo SEQUENCE.
func (s *SignerInfo) size() int {
	return intSize(s.Version) + len(s.SID) + len(s.DigestAlgorithm) + len(s.SignedAttrs) +
		len(s.SignatureAlgorithm) + Size(len(s.Signature)) + len(s.UnsignedAttrs)
}

func (s *SignerInfo) append(b []byte, size int) []byte {
	b = AppendTLV(b, TagSequence, size)
	b = appendInt(b, s.Version)
	b = append(b, s.SID...)
	b = append(b, s.DigestAlgorithm...)
	b = appendRetagged(b, TagContext0, s.SignedAttrs)
	b = append(b, s.SignatureAlgorithm...)
	b = AppendTLV(b, TagOctetString, len(s.Signature), s.Signature)
	return appendRetagged(b, TagContext1, s.UnsignedAttrs)
}

// appendRetagged appends the DER element der under tag instead of its own
// (an IMPLICIT tag); nothing if der is nil.
func appendRetagged(b []byte, tag byte, der []byte) []byte {
	if der == nil {
		return b
	}
	b = append(b, tag)
	return append(b, der[1:]...)
}

func intSize(v int64) int {
	n := 1
	for x := v; x > 127 || x < -128; x >>= 8 {
		n++
	}
	return 2 + n
}

func appendInt(b []byte, v int64) []byte {
	n := intSize(v) - 2
	b = append(b, TagInteger, byte(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// Int is the DER INTEGER encoding of v (X.690 §8.3: two's complement, in
// the fewest octets).
func Int(v int64) []byte { return appendInt(make([]byte, 0, intSize(v)), v) }

// Attribute encodes RFC 5652 §5.3
//
//	Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER,
//	   attrValues SET OF AttributeValue }
//
// with the given DER values, in the order given.
func Attribute(oid asn1.ObjectIdentifier, values ...[]byte) []byte {
	return TLV(TagSequence, MustOID(oid), TLV(TagSet, values...))
}

// ContentTypeAttribute is the content-type attribute (RFC 5652 §11.1)
// naming the DER OBJECT IDENTIFIER contentType.
func ContentTypeAttribute(contentType []byte) []byte {
	return Attribute(oids.ContentType, contentType)
}

// MessageDigestAttribute is the message-digest attribute (RFC 5652 §11.2).
func MessageDigestAttribute(digest []byte) []byte {
	return TLV(TagSequence, derMessageDigestOID, TLV(TagSet, TLV(TagOctetString, digest)))
}

// SigningCertificateV2Attribute is the ESS signing-certificate-v2
// attribute (RFC 5035 §3) naming cert by its SHA-256 hash:
//
//	SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
//	ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256 (omitted),
//	   certHash OCTET STRING, issuerSerial IssuerSerial }
//	IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }
//
// The issuer is one GeneralName, a directoryName [4], EXPLICIT since Name
// is a CHOICE.
func SigningCertificateV2Attribute(cert *x509.Certificate) ([]byte, error) {
	serial, err := asn1.Marshal(cert.SerialNumber)
	if err != nil {
		return nil, fmt.Errorf("%w: serial: %w", ErrMalformed, err)
	}
	h := sha256.Sum256(cert.Raw)
	issuerSerial := TLV(TagSequence, TLV(TagSequence, TLV(TagContext4, cert.RawIssuer)), serial)
	essCertID := TLV(TagSequence, TLV(TagOctetString, h[:]), issuerSerial)
	return Attribute(oids.SigningCertV2, TLV(TagSequence, TLV(TagSequence, essCertID))), nil
}

// SignedAttributes encodes attrs, DER Attributes, as the DER SET OF that a
// signature covers (RFC 5652 §5.4), sorted as DER sorts the elements of a
// SET OF (X.690 §11.6). It sorts attrs in place.
func SignedAttributes(attrs ...[]byte) []byte {
	slices.SortFunc(attrs, bytes.Compare)
	return TLV(TagSet, attrs...)
}

// IssuerAndSerial is the DER IssuerAndSerialNumber of cert (RFC 5652
// §10.2.4), the SignerIdentifier of a version 1 SignerInfo.
func IssuerAndSerial(cert *x509.Certificate) ([]byte, error) {
	serial, err := asn1.Marshal(cert.SerialNumber)
	if err != nil {
		return nil, fmt.Errorf("%w: serial: %w", ErrMalformed, err)
	}
	return TLV(TagSequence, cert.RawIssuer, serial), nil
}
