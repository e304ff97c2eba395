package rfc3161

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The decoders below fill the structures CheckSignatureDER declares
// (cmsSignedData, tstInfo) without reflection. They are an accelerator of
// encoding/asn1 and nothing more: each accepts only the strict shape a TSA
// writes (DER, the fields present that a token carries, no trailing
// elements, non-negative integers, no high tag numbers), and when it
// accepts, the value is the one asn1.Unmarshal gives for the same bytes
// (FuzzFastDecoders checks this). On anything else it reports !ok and the
// caller decodes with encoding/asn1 as before, so no verdict depends on
// which of the two decoded.

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

// fastContentInfo decodes a ContentInfo holding a SignedData, as
// CheckSignatureDER's asn1.Unmarshal calls do. signedAttrs is the DER SET
// OF the signer's authenticated attributes that asn1.Marshal would write
// for them, when it can tell that the token's own bytes are that encoding
// (attributes in DER order, each exactly a type and a value), else nil.
func fastContentInfo(token []byte) (sd cmsSignedData, signedAttrs []byte, ok bool) {
	s := cryptobyte.String(token)
	_, ci, ok := element(&s, cbasn1.SEQUENCE)
	if !ok || !s.Empty() {
		return sd, nil, false
	}
	typ, ok := readOID(&ci)
	if !ok || !typ.Equal(oidSignedData) {
		return sd, nil, false
	}
	_, wrapped, ok := element(&ci, cbasn1.Tag(0).Constructed().ContextSpecific())
	if !ok || !ci.Empty() {
		return sd, nil, false
	}
	body, v, ok := versioned(&wrapped)
	if !ok || !wrapped.Empty() {
		return sd, nil, false
	}
	sd.Version = v
	_, algs, ok := element(&body, cbasn1.SET)
	if !ok {
		return sd, nil, false
	}
	sd.DigestAlgorithmIdentifiers = make([]pkix.AlgorithmIdentifier, 0, 1)
	for !algs.Empty() {
		var a pkix.AlgorithmIdentifier
		if a.Algorithm, a.Parameters, ok = readAlgorithm(&algs); !ok {
			return sd, nil, false
		}
		sd.DigestAlgorithmIdentifiers = append(sd.DigestAlgorithmIdentifiers, a)
	}
	_, encap, ok := element(&body, cbasn1.SEQUENCE)
	if !ok {
		return sd, nil, false
	}
	if sd.ContentInfo.ContentType, ok = readOID(&encap); !ok {
		return sd, nil, false
	}
	if !encap.Empty() { // [0] EXPLICIT: asn1 keeps the wrapper as the RawValue
		if sd.ContentInfo.Content, ok = rawValue(&encap); !ok || !encap.Empty() ||
			sd.ContentInfo.Content.Class != asn1.ClassContextSpecific || sd.ContentInfo.Content.Tag != 0 || !sd.ContentInfo.Content.IsCompound ||
			len(sd.ContentInfo.Content.Bytes) == 0 {
			return sd, nil, false
		}
	}
	certsTag := cbasn1.Tag(0).Constructed().ContextSpecific()
	if body.PeekASN1Tag(certsTag) {
		full, _, ok := element(&body, certsTag)
		if !ok {
			return sd, nil, false
		}
		sd.Certificates.Raw = asn1.RawContent(full)
	}
	if body.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) { // CRLs: left to asn1
		return sd, nil, false
	}
	_, infos, ok := element(&body, cbasn1.SET)
	if !ok || !body.Empty() {
		return sd, nil, false
	}
	sd.SignerInfos = make([]cmsSignerInfo, 0, 1)
	for !infos.Empty() {
		var si cmsSignerInfo
		if si, signedAttrs, ok = fastSignerInfo(&infos); !ok {
			return sd, nil, false
		}
		sd.SignerInfos = append(sd.SignerInfos, si)
	}
	if len(sd.SignerInfos) != 1 {
		signedAttrs = nil
	}
	return sd, signedAttrs, true
}

func fastSignerInfo(s *cryptobyte.String) (si cmsSignerInfo, signedAttrs []byte, ok bool) {
	body, v, ok := versioned(s)
	if !ok {
		return si, nil, false
	}
	si.Version = v
	_, ias, ok := element(&body, cbasn1.SEQUENCE)
	if !ok {
		return si, nil, false
	}
	if si.IssuerAndSerialNumber.IssuerName, ok = rawValue(&ias); !ok {
		return si, nil, false
	}
	if si.IssuerAndSerialNumber.SerialNumber, ok = readBigInt(&ias); !ok || !ias.Empty() {
		return si, nil, false
	}
	if si.DigestAlgorithm.Algorithm, si.DigestAlgorithm.Parameters, ok = readAlgorithm(&body); !ok {
		return si, nil, false
	}
	attrsTag := cbasn1.Tag(0).Constructed().ContextSpecific()
	if body.PeekASN1Tag(attrsTag) {
		full, attrs, ok := element(&body, attrsTag)
		if !ok {
			return si, nil, false
		}
		si.AuthenticatedAttributes = make([]cmsAttribute, 0, 4)
		var prev []byte
		canonical := true
		for !attrs.Empty() {
			a, ok := rawValue(&attrs)
			if !ok || a.Class != asn1.ClassUniversal || a.Tag != asn1.TagSequence || !a.IsCompound {
				return si, nil, false
			}
			in := cryptobyte.String(a.Bytes)
			var attr cmsAttribute
			if attr.Type, ok = readOID(&in); !ok {
				return si, nil, false
			}
			if attr.Value, ok = rawValue(&in); !ok || !in.Empty() {
				return si, nil, false
			}
			if prev != nil && bytes.Compare(prev, a.FullBytes) > 0 {
				canonical = false // asn1.Marshal sorts a SET OF
			}
			prev = a.FullBytes
			si.AuthenticatedAttributes = append(si.AuthenticatedAttributes, attr)
		}
		if canonical {
			signedAttrs = bytes.Clone(full)
			signedAttrs[0] = byte(cbasn1.SET) // the same length: [0] IMPLICIT becomes SET
		}
	}
	if si.DigestEncryptionAlgorithm.Algorithm, si.DigestEncryptionAlgorithm.Parameters, ok = readAlgorithm(&body); !ok {
		return si, nil, false
	}
	_, sig, ok := element(&body, cbasn1.OCTET_STRING)
	if !ok || !body.Empty() { // unauthenticated attributes: left to asn1
		return si, nil, false
	}
	si.EncryptedDigest = sig
	return si, signedAttrs, true
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
	_, imprint, ok := element(&body, cbasn1.SEQUENCE)
	if !ok {
		return inf, false
	}
	mi := &inf.MessageImprint
	if mi.HashAlgorithm.Algorithm, mi.HashAlgorithm.Parameters, ok = readAlgorithm(&imprint); !ok {
		return inf, false
	}
	_, hashed, ok := element(&imprint, cbasn1.OCTET_STRING)
	if !ok || !imprint.Empty() {
		return inf, false
	}
	mi.HashedMessage = hashed
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

// fastAttribute is asn1.Unmarshal(b, out) for the attribute values read
// most (an OBJECT IDENTIFIER, an OCTET STRING); false leaves it to asn1.
func fastAttribute(b []byte, out any) bool {
	s := cryptobyte.String(b)
	switch out := out.(type) {
	case *asn1.ObjectIdentifier:
		v, ok := readOID(&s)
		if ok {
			*out = v
		}
		return ok
	case *[]byte:
		_, v, ok := element(&s, cbasn1.OCTET_STRING)
		if ok {
			*out = bytes.Clone(v)
		}
		return ok
	}
	return false
}
