package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/custos-project/custos/internal/oids"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// maxSize bounds what Decode reads: AppendTLV writes lengths below 2^24.
const maxSize = 1<<24 - 1

var (
	tagContext0 = cbasn1.Tag(0).Constructed().ContextSpecific()
	tagContext1 = cbasn1.Tag(1).Constructed().ContextSpecific()
	tagSKI      = cbasn1.Tag(0).ContextSpecific() // sid subjectKeyIdentifier [0] IMPLICIT
)

// Decode decodes der, which must be exactly one DER ContentInfo holding a
// SignedData with one SignerInfo. It checks the structure only: the
// caller checks versions, content type and algorithms. Revocation
// information ([1] crls) is refused with ErrUnsupported.
func Decode(der []byte) (*SignedData, error) {
	if len(der) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrUnsupported, len(der))
	}
	in := cryptobyte.String(der)
	var ci, sdOuter, body cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !in.Empty() || !ci.ReadASN1ObjectIdentifier(&ct) ||
		!ct.Equal(oids.SignedData) || !ci.ReadASN1(&sdOuter, tagContext0) || !ci.Empty() ||
		!sdOuter.ReadASN1(&body, cbasn1.SEQUENCE) || !sdOuter.Empty() {
		return nil, fmt.Errorf("%w: not a ContentInfo of a SignedData", ErrMalformed)
	}
	sd := &SignedData{}
	var digestAlgs, encap cryptobyte.String
	if !body.ReadASN1Int64WithTag(&sd.Version, cbasn1.INTEGER) || !body.ReadASN1(&digestAlgs, cbasn1.SET) ||
		!body.ReadASN1(&encap, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: SignedData", ErrMalformed)
	}
	sd.DigestAlgorithms = nonNil(digestAlgs)
	if err := sd.decodeEncap(encap); err != nil {
		return nil, err
	}
	if err := sd.decodeCertificates(&body); err != nil {
		return nil, err
	}
	if body.PeekASN1Tag(tagContext1) {
		return nil, fmt.Errorf("%w: revocation information in the SignedData", ErrUnsupported)
	}
	var infos, info cryptobyte.String
	if !body.ReadASN1(&infos, cbasn1.SET) || !body.Empty() || !infos.ReadASN1(&info, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: signerInfos", ErrMalformed)
	}
	if !infos.Empty() {
		return nil, fmt.Errorf("%w: more than one SignerInfo", ErrUnsupported)
	}
	if err := sd.Signer.decode(info); err != nil {
		return nil, err
	}
	return sd, nil
}

// decodeEncap decodes EncapsulatedContentInfo.
func (sd *SignedData) decodeEncap(encap cryptobyte.String) error {
	var ct, explicit, content cryptobyte.String
	var hasContent bool
	if !encap.ReadASN1Element(&ct, cbasn1.OBJECT_IDENTIFIER) || !encap.ReadOptionalASN1(&explicit, &hasContent, tagContext0) ||
		!encap.Empty() {
		return fmt.Errorf("%w: encapContentInfo", ErrMalformed)
	}
	var oid asn1.ObjectIdentifier
	if check := ct; !check.ReadASN1ObjectIdentifier(&oid) || !check.Empty() {
		return fmt.Errorf("%w: eContentType", ErrMalformed)
	}
	sd.ContentType = ct
	if hasContent {
		if !explicit.ReadASN1(&content, cbasn1.OCTET_STRING) || !explicit.Empty() {
			return fmt.Errorf("%w: eContent", ErrMalformed)
		}
		sd.Content = nonNil(content)
	}
	return nil
}

// decodeCertificates decodes the optional certificates [0] IMPLICIT
// CertificateSet, checking that it holds SEQUENCEs only (no attribute or
// other certificate formats).
func (sd *SignedData) decodeCertificates(body *cryptobyte.String) error {
	var certs cryptobyte.String
	var present bool
	if !body.ReadOptionalASN1(&certs, &present, tagContext0) {
		return fmt.Errorf("%w: certificates", ErrMalformed)
	}
	if !present {
		return nil
	}
	sd.Certificates = nonNil(certs)
	for !certs.Empty() {
		var c cryptobyte.String
		if !certs.ReadASN1Element(&c, cbasn1.SEQUENCE) {
			return fmt.Errorf("%w: certificate", ErrMalformed)
		}
	}
	return nil
}

// decode decodes a SignerInfo's contents.
func (s *SignerInfo) decode(info cryptobyte.String) error {
	var sid, digestAlg, signed, sigAlg, sig, unsigned cryptobyte.String
	var hasSigned, hasUnsigned bool
	if !info.ReadASN1Int64WithTag(&s.Version, cbasn1.INTEGER) || !readSID(&info, &sid) ||
		!info.ReadASN1Element(&digestAlg, cbasn1.SEQUENCE) {
		return fmt.Errorf("%w: SignerInfo", ErrMalformed)
	}
	if hasSigned = info.PeekASN1Tag(tagContext0); hasSigned && !info.ReadASN1Element(&signed, tagContext0) {
		return fmt.Errorf("%w: signedAttrs", ErrMalformed)
	}
	if !info.ReadASN1Element(&sigAlg, cbasn1.SEQUENCE) || !info.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return fmt.Errorf("%w: SignerInfo", ErrMalformed)
	}
	if hasUnsigned = info.PeekASN1Tag(tagContext1); hasUnsigned && !info.ReadASN1Element(&unsigned, tagContext1) {
		return fmt.Errorf("%w: unsignedAttrs", ErrMalformed)
	}
	if !info.Empty() {
		return fmt.Errorf("%w: data after the SignerInfo", ErrMalformed)
	}
	s.SID, s.DigestAlgorithm, s.SignatureAlgorithm, s.Signature = sid, digestAlg, sigAlg, nonNil(sig)
	if hasSigned {
		s.SignedAttrs = retag(signed, TagSet)
	}
	if hasUnsigned {
		s.UnsignedAttrs = retag(unsigned, TagSet)
	}
	return nil
}

// readSID reads a SignerIdentifier: IssuerAndSerialNumber or [0]
// SubjectKeyIdentifier.
func readSID(info, sid *cryptobyte.String) bool {
	if info.PeekASN1Tag(tagSKI) {
		return info.ReadASN1Element(sid, tagSKI)
	}
	return info.ReadASN1Element(sid, cbasn1.SEQUENCE)
}

// retag copies the DER element der with its tag replaced: RFC 5652 §5.4,
// the signature covers the signed attributes under an EXPLICIT SET OF tag
// instead of their IMPLICIT [0].
func retag(der []byte, tag byte) []byte {
	return append([]byte{tag}, der[1:]...)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// ParseCertificatesWith parses the certificates of sd with parse for each
// DER certificate, such as x509.ParseCertificate or certs.ParseCertificate,
// which also parses the SM2 certificates of the sm suite; none if the field
// is absent.
func (sd *SignedData) ParseCertificatesWith(parse func([]byte) (*x509.Certificate, error)) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for in := cryptobyte.String(sd.Certificates); !in.Empty(); {
		var raw cryptobyte.String
		if !in.ReadASN1Element(&raw, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: certificate", ErrMalformed)
		}
		c, err := parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate: %w", ErrMalformed, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// DecodeIssuerAndSerial decodes an IssuerAndSerialNumber SignerIdentifier
// into the issuer's DER Name and the serial number.
func DecodeIssuerAndSerial(sid []byte) (issuer []byte, serial *big.Int, err error) {
	in := cryptobyte.String(sid)
	var seq, name cryptobyte.String
	serial = new(big.Int)
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Element(&name, cbasn1.SEQUENCE) ||
		!seq.ReadASN1Integer(serial) || !seq.Empty() {
		return nil, nil, fmt.Errorf("%w: IssuerAndSerialNumber", ErrMalformed)
	}
	return name, serial, nil
}

// AlgorithmOID decodes a DER AlgorithmIdentifier whose parameters are
// absent or NULL, the only ones the digest and signature algorithms used
// here have.
func AlgorithmOID(der []byte) (asn1.ObjectIdentifier, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1ObjectIdentifier(&oid) {
		return nil, fmt.Errorf("%w: AlgorithmIdentifier", ErrMalformed)
	}
	if !seq.Empty() {
		var null cryptobyte.String
		if !seq.ReadASN1(&null, cbasn1.NULL) || !null.Empty() || !seq.Empty() {
			return nil, fmt.Errorf("%w: unexpected parameters of %v", ErrMalformed, oid)
		}
	}
	return oid, nil
}

// Attributes maps an attribute type (its dotted OID) to its DER values.
type Attributes map[string][]cryptobyte.String

// DecodeAttributes decodes a DER SET OF Attribute (with the SET tag, as
// SignerInfo keeps them). An attribute type may appear only once
// (RFC 5652 §5.3).
func DecodeAttributes(der []byte) (Attributes, error) {
	in := cryptobyte.String(der)
	var set cryptobyte.String
	if !in.ReadASN1(&set, cbasn1.SET) || !in.Empty() {
		return nil, fmt.Errorf("%w: attributes", ErrMalformed)
	}
	out := Attributes{}
	for !set.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !set.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) ||
			!attr.ReadASN1(&values, cbasn1.SET) || !attr.Empty() {
			return nil, fmt.Errorf("%w: attribute", ErrMalformed)
		}
		if _, dup := out[oid.String()]; dup {
			return nil, fmt.Errorf("%w: attribute %v twice", ErrMalformed, oid)
		}
		var list []cryptobyte.String
		for !values.Empty() {
			var v cryptobyte.String
			var t cbasn1.Tag
			if !values.ReadAnyASN1Element(&v, &t) {
				return nil, fmt.Errorf("%w: value of attribute %v", ErrMalformed, oid)
			}
			list = append(list, v)
		}
		out[oid.String()] = list
	}
	return out, nil
}

// Has reports whether the attribute oid is present.
func (a Attributes) Has(oid asn1.ObjectIdentifier) bool {
	_, ok := a[oid.String()]
	return ok
}

// Single returns the one DER value of attribute oid.
func (a Attributes) Single(oid asn1.ObjectIdentifier) (cryptobyte.String, error) {
	v, ok := a[oid.String()]
	if !ok {
		return nil, fmt.Errorf("%w: no attribute %v", ErrMalformed, oid)
	}
	if len(v) != 1 {
		return nil, fmt.Errorf("%w: attribute %v has %d values, want 1", ErrMalformed, oid, len(v))
	}
	return v[0], nil
}

// DecodeSigningCertificateV2 decodes the value of a signing-certificate-v2
// attribute (RFC 5035 §3) to the hash and certHash of its first
// ESSCertIDv2, the signer's certificate (SigningCertificateIDs,
// DecodeESSCertID).
func DecodeSigningCertificateV2(v []byte) (crypto.Hash, []byte, error) {
	ids, err := SigningCertificateIDs(v)
	if err != nil {
		return 0, nil, err
	}
	if len(ids) == 0 {
		return 0, nil, fmt.Errorf("%w: signing-certificate-v2 without a certificate", ErrMalformed)
	}
	id, err := DecodeESSCertID(ids[0].FullBytes, true)
	if err != nil {
		return 0, nil, err
	}
	return id.Hash, id.CertHash, nil
}

// DecodeReply returns the timeStampToken, a DER ContentInfo, of a granted
// RFC 3161 §2.4.2 TimeStampResp (SplitResponse, DecodeStatus); a reply
// whose status is neither granted (0) nor grantedWithMods (1) is
// ErrNotGranted.
func DecodeReply(reply []byte) ([]byte, error) {
	status, token, err := SplitResponse(reply)
	if err != nil {
		return nil, err
	}
	st, err := DecodeStatus(status)
	if err != nil {
		return nil, err
	}
	if st.Status != 0 && st.Status != 1 {
		return nil, fmt.Errorf("%w: status %d", ErrNotGranted, st.Status)
	}
	if in := cryptobyte.String(token); token == nil || !in.PeekASN1Tag(cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: granted reply without a token", ErrMalformed)
	}
	return token, nil
}

// DecodeOID decodes a DER OBJECT IDENTIFIER that fills der exactly.
func DecodeOID(der []byte) (asn1.ObjectIdentifier, error) {
	in := cryptobyte.String(der)
	var oid asn1.ObjectIdentifier
	if !in.ReadASN1ObjectIdentifier(&oid) || !in.Empty() {
		return nil, fmt.Errorf("%w: OBJECT IDENTIFIER", ErrMalformed)
	}
	return oid, nil
}

// DecodeOctetString decodes a DER OCTET STRING that fills der exactly.
func DecodeOctetString(der []byte) ([]byte, error) {
	in := cryptobyte.String(der)
	var out cryptobyte.String
	if !in.ReadASN1(&out, cbasn1.OCTET_STRING) || !in.Empty() {
		return nil, fmt.Errorf("%w: OCTET STRING", ErrMalformed)
	}
	return out, nil
}

// SplitElement splits the DER element at the start of b from the bytes
// that follow it.
func SplitElement(b []byte) (elem, rest []byte, err error) {
	in := cryptobyte.String(b)
	var e cryptobyte.String
	var tag cbasn1.Tag
	if !in.ReadAnyASN1Element(&e, &tag) {
		return nil, nil, fmt.Errorf("%w: not a DER element", ErrMalformed)
	}
	return e, in, nil
}

// SortedSet reports whether der, a DER SET OF (with its tag), holds its
// elements in the order DER requires (X.690 §11.6: ascending as octet
// strings), the order in which encoding/asn1 re-encodes a SET OF. It
// reports false for bytes that are not a SET of whole elements.
func SortedSet(der []byte) bool {
	in := cryptobyte.String(der)
	var set cryptobyte.String
	if !in.ReadASN1(&set, cbasn1.SET) || !in.Empty() {
		return false
	}
	var prev cryptobyte.String
	for !set.Empty() {
		var e cryptobyte.String
		var tag cbasn1.Tag
		if !set.ReadAnyASN1Element(&e, &tag) || (prev != nil && bytes.Compare(prev, e) > 0) {
			return false
		}
		prev = e
	}
	return true
}
