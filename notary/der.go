package notary

import (
	"crypto"
	"encoding/asn1"
	"fmt"

	"github.com/custos-project/custos/internal/oids"
)

// DER tags used by the hand-written encoder.
const (
	tagBoolean     = 0x01
	tagInteger     = 0x02
	tagBitString   = 0x03
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagUTF8String  = 0x0c
	tagGenTime     = 0x18
	tagSequence    = 0x30
	tagSet         = 0x31
	tagContext0    = 0xa0 // [0] constructed
	tagContext4    = 0xa4 // [4] constructed
)

// OIDs, RFC 3161, RFC 5652, RFC 5035 and RFC 5758.
var (
	oidSignedData       = oids.SignedData
	oidTSTInfo          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType      = oids.ContentType
	oidMessageDigest    = oids.MessageDigest
	oidSigningCert      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSigningCertV2    = oids.SigningCertV2
	oidSHA256           = oids.SHA256
	oidSHA384           = oids.SHA384
	oidSHA512           = oids.SHA512
	oidECDSAWithSHA256  = oids.ECDSAWithSHA256
	oidECDSAWithSHA384  = oids.ECDSAWithSHA384
	oidECDSAWithSHA512  = oids.ECDSAWithSHA512
	oidSHA256WithRSA    = oids.SHA256WithRSA
	derSHA256Imprint    = algorithmID(oidSHA256, true)
	derSHA384Imprint    = algorithmID(oidSHA384, true)
	derSHA512Imprint    = algorithmID(oidSHA512, true)
	derSignedDataOID    = mustOID(oidSignedData)
	derTSTInfoOID       = mustOID(oidTSTInfo)
	derMessageDigestOID = mustOID(oidMessageDigest)
	// contentType attribute of a time-stamp token (RFC 3161 §2.4.2,
	// RFC 5652 §11.1): the eContentType, id-ct-TSTInfo.
	derContentTypeAttr = tlv(tagSequence, mustOID(oidContentType), tlv(tagSet, derTSTInfoOID))
	derVersion1        = []byte{tagInteger, 1, 1}
	derVersion3        = []byte{tagInteger, 1, 3}
	derStatusGranted   = []byte{tagSequence, 3, tagInteger, 1, 0}
)

// hashes are the imprint hash functions the TSA accepts, with their
// AlgorithmIdentifier (parameters NULL, as OpenSSL writes them).
var hashes = map[crypto.Hash][]byte{
	crypto.SHA256: derSHA256Imprint,
	crypto.SHA384: derSHA384Imprint,
	crypto.SHA512: derSHA512Imprint,
}

// hashForOID maps an imprint hash OID to its function, 0 if unsupported.
func hashForOID(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256
	case oid.Equal(oidSHA384):
		return crypto.SHA384
	case oid.Equal(oidSHA512):
		return crypto.SHA512
	}
	return 0
}

// tlv appends the DER encoding of one element (tag, definite length,
// concatenated contents) to a fresh slice.
func tlv(tag byte, contents ...[]byte) []byte {
	n := 0
	for _, c := range contents {
		n += len(c)
	}
	out := make([]byte, 0, tlvSize(n))
	return appendTLV(out, tag, n, contents...)
}

func appendTLV(dst []byte, tag byte, n int, contents ...[]byte) []byte {
	dst = append(dst, tag)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xff:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	for _, c := range contents {
		dst = append(dst, c...)
	}
	return dst
}

// tlvSize is the size of the DER encoding of an element with n bytes of
// contents.
func tlvSize(n int) int { return 1 + lengthSize(n) + n }

func lengthSize(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	}
	return 4
}

// uintBytes is the DER INTEGER encoding of the unsigned big-endian b.
func uintBytes(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > 0 && b[0]&0x80 != 0 {
		return tlv(tagInteger, []byte{0}, b)
	}
	if len(b) == 0 {
		b = []byte{0}
	}
	return tlv(tagInteger, b)
}

// bitFlag is the DER named BIT STRING with only bit i set (trailing zero
// bits removed, X.690 §11.2.2), as PKIFailureInfo needs.
func bitFlag(i int) []byte {
	octets := make([]byte, i/8+1)
	octets[i/8] = 0x80 >> (i % 8)
	return tlv(tagBitString, []byte{byte(7 - i%8)}, octets)
}

func algorithmID(oid asn1.ObjectIdentifier, null bool) []byte {
	if null {
		return tlv(tagSequence, mustOID(oid), []byte{tagNull, 0})
	}
	return tlv(tagSequence, mustOID(oid))
}

func mustOID(oid asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(oid)
	if err != nil {
		panic(fmt.Sprintf("notary: bad built-in OID %v: %v", oid, err))
	}
	return b
}
