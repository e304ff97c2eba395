package pdf

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// parseSignedData parses the /Contents of a PAdES signature strictly: a
// DER ContentInfo holding a detached SignedData (RFC 5652 §5.1) with exactly
// one SignerInfo identified by issuer and serial number, whose signed
// attributes are present. The /Contents placeholder is padded with zero
// bytes after the DER, and only zeros may follow it.
func parseSignedData(contents []byte) (*signedData, error) {
	in := cryptobyte.String(contents)
	var ci, sd cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ct) || !ct.Equal(oidSignedData) ||
		!ci.ReadASN1(&sd, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() {
		return nil, fmt.Errorf("%w: not a ContentInfo of a SignedData", ErrCMS)
	}
	for _, c := range in {
		if c != 0 {
			return nil, fmt.Errorf("%w: data after the ContentInfo", ErrCMS)
		}
	}
	var body, digestAlgs, encap cryptobyte.String
	var version int64
	if !sd.ReadASN1(&body, cbasn1.SEQUENCE) || !sd.Empty() || !body.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) ||
		!body.ReadASN1(&digestAlgs, cbasn1.SET) || !body.ReadASN1(&encap, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: malformed SignedData", ErrCMS)
	}
	if version != 1 {
		return nil, fmt.Errorf("%w: SignedData version %d, want 1", ErrCMS, version)
	}
	// ETSI.CAdES.detached: eContentType id-data, eContent absent.
	var ect asn1.ObjectIdentifier
	if !encap.ReadASN1ObjectIdentifier(&ect) || !ect.Equal(oidData) || !encap.Empty() {
		return nil, fmt.Errorf("%w: encapsulated content is not detached id-data", ErrCMS)
	}
	out := &signedData{}
	var certs cryptobyte.String
	var hasCerts bool
	if !body.ReadOptionalASN1(&certs, &hasCerts, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, fmt.Errorf("%w: malformed certificates", ErrCMS)
	}
	for !certs.Empty() {
		var raw cryptobyte.String
		if !certs.ReadASN1Element(&raw, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: malformed certificate", ErrCMS)
		}
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate: %w", ErrCMS, err)
		}
		out.certs = append(out.certs, c)
	}
	if body.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, fmt.Errorf("%w: revocation information belongs in the DSS, not the SignedData", ErrCMS)
	}
	var infos, info cryptobyte.String
	if !body.ReadASN1(&infos, cbasn1.SET) || !body.Empty() || !infos.ReadASN1(&info, cbasn1.SEQUENCE) || !infos.Empty() {
		return nil, fmt.Errorf("%w: want exactly one SignerInfo", ErrCMS)
	}
	if err := out.parseSignerInfo(info); err != nil {
		return nil, err
	}
	return out, nil
}

// parseSignerInfo parses RFC 5652 §5.3 SignerInfo, version 1.
func (s *signedData) parseSignerInfo(info cryptobyte.String) error {
	var version int64
	var sid, issuer, digestAlg, attrs, sigAlg, sig cryptobyte.String
	s.serial = new(big.Int)
	if !info.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) || version != 1 ||
		!info.ReadASN1(&sid, cbasn1.SEQUENCE) || !sid.ReadASN1Element(&issuer, cbasn1.SEQUENCE) ||
		!sid.ReadASN1Integer(s.serial) || !sid.Empty() {
		return fmt.Errorf("%w: SignerInfo is not version 1 with an issuer and serial number", ErrCMS)
	}
	s.issuer = issuer
	if !info.ReadASN1Element(&digestAlg, cbasn1.SEQUENCE) || !info.ReadASN1Element(&attrs, tagSignedAttrs) {
		return fmt.Errorf("%w: SignerInfo without signed attributes", ErrCMS)
	}
	if !info.ReadASN1Element(&sigAlg, cbasn1.SEQUENCE) || !info.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return fmt.Errorf("%w: malformed SignerInfo", ErrCMS)
	}
	digestOID, err := algorithmOID(digestAlg)
	if err != nil {
		return err
	}
	sigOID, err := algorithmOID(sigAlg)
	if err != nil {
		return err
	}
	alg, ok := signatureAlgorithm(digestOID, sigOID)
	if !ok {
		return fmt.Errorf("%w: unsupported algorithms %v with %v", ErrCMS, sigOID, digestOID)
	}
	s.alg, s.sig = alg, sig
	// RFC 5652 §5.4: the signature covers the DER of the attributes with
	// an EXPLICIT SET OF tag instead of the IMPLICIT [0].
	s.attrs = append([]byte{0x31}, attrs[1:]...)
	if s.signed, err = parseAttributes(attrs, tagSignedAttrs); err != nil {
		return err
	}
	var unsigned cryptobyte.String
	hasUnsigned := info.PeekASN1Tag(tagUnsignedAttrs)
	if hasUnsigned && !info.ReadASN1Element(&unsigned, tagUnsignedAttrs) || !info.Empty() {
		return fmt.Errorf("%w: data after the signature value", ErrCMS)
	}
	if hasUnsigned {
		if s.unsigned, err = parseAttributes(unsigned, tagUnsignedAttrs); err != nil {
			return err
		}
	}
	return nil
}

// algorithmOID reads an AlgorithmIdentifier whose parameters are absent or
// NULL.
func algorithmOID(der cryptobyte.String) (asn1.ObjectIdentifier, error) {
	var seq cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !der.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&oid) {
		return nil, fmt.Errorf("%w: malformed AlgorithmIdentifier", ErrCMS)
	}
	if !seq.Empty() {
		var null cryptobyte.String
		if !seq.ReadASN1(&null, cbasn1.NULL) || !null.Empty() || !seq.Empty() {
			return nil, fmt.Errorf("%w: unexpected parameters of %v", ErrCMS, oid)
		}
	}
	return oid, nil
}

// parseAttributes parses a SET OF Attribute under tag into OID → values;
// an attribute type may appear only once (RFC 5652 §5.3).
func parseAttributes(der cryptobyte.String, tag cbasn1.Tag) (map[string][]cryptobyte.String, error) {
	var set cryptobyte.String
	if !der.ReadASN1(&set, tag) {
		return nil, fmt.Errorf("%w: malformed attributes", ErrCMS)
	}
	out := map[string][]cryptobyte.String{}
	for !set.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !set.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) ||
			!attr.ReadASN1(&values, cbasn1.SET) || !attr.Empty() {
			return nil, fmt.Errorf("%w: malformed attribute", ErrCMS)
		}
		if _, dup := out[oid.String()]; dup {
			return nil, fmt.Errorf("%w: attribute %v twice", ErrCMS, oid)
		}
		var list []cryptobyte.String
		for !values.Empty() {
			var v cryptobyte.String
			var t cbasn1.Tag
			if !values.ReadAnyASN1Element(&v, &t) {
				return nil, fmt.Errorf("%w: malformed value of attribute %v", ErrCMS, oid)
			}
			list = append(list, v)
		}
		out[oid.String()] = list
	}
	return out, nil
}

// single returns the one value of attribute oid.
func single(attrs map[string][]cryptobyte.String, oid asn1.ObjectIdentifier) (cryptobyte.String, error) {
	v, ok := attrs[oid.String()]
	if !ok {
		return nil, fmt.Errorf("%w: no attribute %v", ErrCMS, oid)
	}
	if len(v) != 1 {
		return nil, fmt.Errorf("%w: attribute %v has %d values, want 1", ErrCMS, oid, len(v))
	}
	return v[0], nil
}
