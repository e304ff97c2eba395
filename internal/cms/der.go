package cms

import (
	"crypto"
	"encoding/asn1"
	"fmt"

	"github.com/custos-project/custos/internal/oids"
)

// DER tags (X.690 §8.1.2) of the elements written here: universal ones,
// and the context-specific constructed [0], [1] and [4].
const (
	TagBoolean     = 0x01
	TagInteger     = 0x02
	TagBitString   = 0x03
	TagOctetString = 0x04
	TagNull        = 0x05
	TagOID         = 0x06
	TagUTF8String  = 0x0c
	TagGenTime     = 0x18
	TagSequence    = 0x30
	TagSet         = 0x31
	TagContext0    = 0xa0 // [0] constructed
	TagContext1    = 0xa1 // [1] constructed
	TagContext4    = 0xa4 // [4] constructed
)

// TLV returns the DER encoding of one element: tag, definite length and
// the concatenated contents.
func TLV(tag byte, contents ...[]byte) []byte {
	n := 0
	for _, c := range contents {
		n += len(c)
	}
	out := make([]byte, 0, Size(n))
	return AppendTLV(out, tag, n, contents...)
}

// AppendTLV appends to dst the header of an element with n bytes of
// contents, then contents. The contents given may be only the first parts
// of the n bytes, so that a large element can be written in one pass once
// its length is known: the caller appends the rest.
func AppendTLV(dst []byte, tag byte, n int, contents ...[]byte) []byte {
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

// Size is the size of the DER encoding of an element with n bytes of
// contents (n < 2^24).
func Size(n int) int { return 1 + lengthSize(n) + n }

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

// Uint is the DER INTEGER encoding of the unsigned big-endian b.
func Uint(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > 0 && b[0]&0x80 != 0 {
		return TLV(TagInteger, []byte{0}, b)
	}
	if len(b) == 0 {
		b = []byte{0}
	}
	return TLV(TagInteger, b)
}

// BitFlag is the DER named BIT STRING with only bit i set (trailing zero
// bits removed, X.690 §11.2.2), as PKIFailureInfo needs.
func BitFlag(i int) []byte {
	octets := make([]byte, i/8+1)
	octets[i/8] = 0x80 >> (i % 8)
	return TLV(TagBitString, []byte{byte(7 - i%8)}, octets)
}

// AlgorithmID is the DER AlgorithmIdentifier (RFC 5280 §4.1.1.2) of oid,
// with NULL parameters if null (RSA, and OpenSSL's imprint hashes) or
// none (RFC 5754 §2, RFC 5758 §3.2).
func AlgorithmID(oid asn1.ObjectIdentifier, null bool) []byte {
	if null {
		return TLV(TagSequence, MustOID(oid), []byte{TagNull, 0})
	}
	return TLV(TagSequence, MustOID(oid))
}

// MustOID is the DER OBJECT IDENTIFIER of a built-in oid; it panics on an
// invalid one, a programming error.
func MustOID(oid asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(oid)
	if err != nil {
		panic(fmt.Sprintf("cms: bad built-in OID %v: %v", oid, err))
	}
	return b
}

// HashFunc maps a SHA-2 digest algorithm OID to its function; 0 if it is
// none of SHA-256, SHA-384 and SHA-512.
func HashFunc(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(oids.SHA256):
		return crypto.SHA256
	case oid.Equal(oids.SHA384):
		return crypto.SHA384
	case oid.Equal(oids.SHA512):
		return crypto.SHA512
	}
	return 0
}

// HashOID is the OID of SHA-256, SHA-384 or SHA-512; nil for any other
// hash.
func HashOID(h crypto.Hash) asn1.ObjectIdentifier {
	switch h {
	case crypto.SHA256:
		return oids.SHA256
	case crypto.SHA384:
		return oids.SHA384
	case crypto.SHA512:
		return oids.SHA512
	}
	return nil
}
