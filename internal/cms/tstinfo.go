package cms

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"math"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TSTInfo is RFC 3161 §2.4.2
//
//	TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy TSAPolicyId,
//	   messageImprint MessageImprint, serialNumber INTEGER,
//	   genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
//	   ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
//	   tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
//	MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier,
//	   hashedMessage OCTET STRING }
//
// declared as digitorus/timestamp declares it, so that DecodeTSTInfo
// accepts and refuses exactly what timestamp.Parse does, with the same
// errors: encoding/asn1 writes the type names (tstInfo, messageImprint,
// accuracy) into its errors, and verdicts quote them, so TSTInfo is an
// alias of a type with digitorus' name.
type TSTInfo = tstInfo

// MessageImprint is the messageImprint of a TSTInfo or a TimeStampReq
// (RFC 3161 §2.4.1), under digitorus' name: see TSTInfo.
type MessageImprint = messageImprint

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	Time           time.Time        `asn1:"generalized"`
	Accuracy       accuracy         `asn1:"optional"`
	Ordering       bool             `asn1:"optional,default:false"`
	Nonce          *big.Int         `asn1:"optional"`
	TSA            asn1.RawValue    `asn1:"tag:0,optional"`
	Extensions     []pkix.Extension `asn1:"tag:1,optional"`
}

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type accuracy struct {
	Seconds      int64 `asn1:"optional"`
	Milliseconds int64 `asn1:"tag:0,optional"`
	Microseconds int64 `asn1:"tag:1,optional"`
}

// DecodeTSTInfo decodes the DER TSTInfo of a time-stamp token's eContent
// as digitorus/timestamp's Parse does: with encoding/asn1, whose errors it
// returns as they are, and which ignores bytes after the TSTInfo.
//
// The strict shape a TSA writes (DER, the fields present that a token
// carries, no trailing elements, non-negative integers, no high tag
// numbers) is decoded without reflection by fastTSTInfo, an accelerator of
// encoding/asn1 and nothing more: when it accepts, the value is the one
// asn1.Unmarshal gives for the same bytes (FuzzFastTSTInfo checks this).
// On anything else encoding/asn1 decodes, so no verdict depends on which
// of the two decoded.
func DecodeTSTInfo(der []byte) (TSTInfo, error) {
	if inf, ok := fastTSTInfo(der); ok {
		return inf, nil
	}
	var inf TSTInfo
	_, err := asn1.Unmarshal(der, &inf)
	return inf, err
}

// element reads the next element of s, which must have tag, and returns it
// whole and its contents.
func element(s *cryptobyte.String, tag cbasn1.Tag) (full, body cryptobyte.String, ok bool) {
	if !s.ReadASN1Element(&full, tag) {
		return nil, nil, false
	}
	b := full
	if !b.ReadASN1(&body, tag) {
		return nil, nil, false
	}
	return full, body, true
}

// rawValue reads the next element of s, whatever its tag, as asn1.RawValue.
func rawValue(s *cryptobyte.String) (asn1.RawValue, bool) {
	var full, body cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1Element(&full, &tag) || tag&0x1f == 0x1f {
		return asn1.RawValue{}, false
	}
	b := full
	if !b.ReadASN1(&body, tag) {
		return asn1.RawValue{}, false
	}
	return asn1.RawValue{Class: int(tag >> 6), Tag: int(tag & 0x1f), IsCompound: tag&0x20 != 0, Bytes: body, FullBytes: full}, true
}

// oid is asn1's parseObjectIdentifier over the contents of an OBJECT
// IDENTIFIER: minimal base-128 components, each at most MaxInt32.
func oid(b []byte) (asn1.ObjectIdentifier, bool) {
	if len(b) == 0 {
		return nil, false
	}
	out := make(asn1.ObjectIdentifier, 0, len(b)+1)
	for i := 0; i < len(b); {
		v, n := 0, 0
		for {
			if i >= len(b) || n == 5 || (n == 0 && b[i] == 0x80) {
				return nil, false
			}
			v = v<<7 | int(b[i]&0x7f)
			n++
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
		if v > math.MaxInt32 {
			return nil, false
		}
		if len(out) == 0 {
			if v < 80 {
				out = append(out, v/40, v%40)
			} else {
				out = append(out, 2, v-80)
			}
			continue
		}
		out = append(out, v)
	}
	return out, true
}

func readOID(s *cryptobyte.String) (asn1.ObjectIdentifier, bool) {
	_, body, ok := element(s, cbasn1.OBJECT_IDENTIFIER)
	if !ok {
		return nil, false
	}
	return oid(body)
}

// minimalInt reports whether b is a minimally encoded INTEGER (asn1's
// checkInteger).
func minimalInt(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	return len(b) == 1 || !(b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 == 0x80)
}

// int64Body is asn1's parseInt64 over the contents of an INTEGER.
func int64Body(b []byte) (int64, bool) {
	if !minimalInt(b) || len(b) > 8 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	v <<= 64 - uint8(len(b))*8 // sign-extend
	v >>= 64 - uint8(len(b))*8
	return v, true
}

func readInt(s *cryptobyte.String, tag cbasn1.Tag) (int64, bool) {
	_, body, ok := element(s, tag)
	if !ok {
		return 0, false
	}
	return int64Body(body)
}

// versioned reads a SEQUENCE that starts with an INTEGER version (a
// SignedData, a SignerInfo, a TSTInfo) and returns the rest of its
// contents and the version.
func versioned(s *cryptobyte.String) (body cryptobyte.String, version int, ok bool) {
	if _, body, ok = element(s, cbasn1.SEQUENCE); !ok {
		return nil, 0, false
	}
	v, ok := readInt(&body, cbasn1.INTEGER)
	return body, int(v), ok
}

// readBigInt reads a non-negative INTEGER (a negative one is left to asn1).
func readBigInt(s *cryptobyte.String) (*big.Int, bool) {
	_, body, ok := element(s, cbasn1.INTEGER)
	if !ok || !minimalInt(body) || body[0]&0x80 != 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(body), true
}

// readAlgorithm reads a pkix.AlgorithmIdentifier: an OID and at most one
// parameter element.
func readAlgorithm(s *cryptobyte.String) (oid asn1.ObjectIdentifier, params asn1.RawValue, ok bool) {
	_, body, ok := element(s, cbasn1.SEQUENCE)
	if !ok {
		return nil, params, false
	}
	if oid, ok = readOID(&body); !ok {
		return nil, params, false
	}
	if !body.Empty() {
		if params, ok = rawValue(&body); !ok || !body.Empty() {
			return nil, params, false
		}
	}
	return oid, params, true
}

// derVersion1 is the DER INTEGER 1, the version of a TSTInfo.
var derVersion1 = Int(1)

// EncodeTSTInfo encodes a version 1 TSTInfo from the DER of its parts: the
// policy OBJECT IDENTIFIER, the MessageImprint, the Accuracy (nil if
// absent), the nonce INTEGER (nil if absent) and the tsa [0] GeneralName
// (nil if absent). serial is the unsigned big-endian serial number, with
// no leading zero octet and its top bit clear; ordering is false (left
// out, as DER leaves out a DEFAULT), and there are no extensions.
func EncodeTSTInfo(policy, imprint, serial []byte, genTime time.Time, accuracy, nonce, tsa []byte) []byte {
	return TLV(TagSequence, derVersion1, policy, imprint,
		TLV(TagInteger, serial), GeneralizedTime(genTime), accuracy, nonce, tsa)
}

// GeneralizedTime encodes t, which must be in UTC, as RFC 3161 §2.4.2
// wants it: "Z", fraction of seconds only when non-zero and without
// trailing zeros.
func GeneralizedTime(t time.Time) []byte {
	var buf [32]byte
	b := t.AppendFormat(buf[:0], "20060102150405.999999999")
	b = append(b, 'Z')
	return TLV(TagGenTime, b)
}

// readImprint reads an RFC 3161 §2.4.1 MessageImprint, returning it whole
// and decoded, its hash algorithm's parameters being any one element or
// none:
//
//	MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier,
//	   hashedMessage OCTET STRING }
func readImprint(s *cryptobyte.String) (full []byte, mi MessageImprint, ok bool) {
	full, imprint, ok := element(s, cbasn1.SEQUENCE)
	if !ok {
		return nil, mi, false
	}
	if mi.HashAlgorithm.Algorithm, mi.HashAlgorithm.Parameters, ok = readAlgorithm(&imprint); !ok {
		return nil, mi, false
	}
	_, hashed, ok := element(&imprint, cbasn1.OCTET_STRING)
	if !ok || !imprint.Empty() {
		return nil, mi, false
	}
	mi.HashedMessage = hashed
	return full, mi, true
}

// fastTSTInfo decodes a TSTInfo as asn1.Unmarshal into tstInfo does, for
// the fields a TSA writes: no ordering, no extensions.
func fastTSTInfo(content []byte) (inf tstInfo, ok bool) {
	s := cryptobyte.String(content)
	body, v, ok := versioned(&s)
	if !ok || !s.Empty() {
		return inf, false
	}
	inf.Version = v
	if inf.Policy, ok = readOID(&body); !ok {
		return inf, false
	}
	if _, inf.MessageImprint, ok = readImprint(&body); !ok {
		return inf, false
	}
	if inf.SerialNumber, ok = readBigInt(&body); !ok {
		return inf, false
	}
	_, gt, ok := element(&body, cbasn1.GeneralizedTime)
	if !ok {
		return inf, false
	}
	// asn1's parseGeneralizedTime.
	const layout = "20060102150405.999999999Z0700"
	t, err := time.Parse(layout, string(gt))
	if err != nil || t.Format(layout) != string(gt) {
		return inf, false
	}
	inf.Time = t
	if body.PeekASN1Tag(cbasn1.SEQUENCE) {
		_, acc, ok := element(&body, cbasn1.SEQUENCE)
		if !ok {
			return inf, false
		}
		for _, f := range []struct {
			tag cbasn1.Tag
			out *int64
		}{{cbasn1.INTEGER, &inf.Accuracy.Seconds}, {cbasn1.Tag(0).ContextSpecific(), &inf.Accuracy.Milliseconds}, {cbasn1.Tag(1).ContextSpecific(), &inf.Accuracy.Microseconds}} {
			if acc.PeekASN1Tag(f.tag) {
				if *f.out, ok = readInt(&acc, f.tag); !ok {
					return inf, false
				}
			}
		}
		if !acc.Empty() {
			return inf, false
		}
	}
	if body.PeekASN1Tag(cbasn1.BOOLEAN) { // ordering: left to asn1
		return inf, false
	}
	if body.PeekASN1Tag(cbasn1.INTEGER) {
		if inf.Nonce, ok = readBigInt(&body); !ok {
			return inf, false
		}
	}
	tsaTag := cbasn1.Tag(0).Constructed().ContextSpecific()
	if body.PeekASN1Tag(tsaTag) {
		if inf.TSA, ok = rawValue(&body); !ok {
			return inf, false
		}
	}
	if !body.Empty() { // extensions, or anything else: left to asn1
		return inf, false
	}
	return inf, true
}
