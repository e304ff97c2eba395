package rfc3161

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
)

// The DER fast path. pkcs7.Parse first re-encodes the token with ber2der,
// which costs more than the rest of the parse; a token that is already in
// the form ber2der writes (definite, minimal lengths, every constructed
// element exactly filled by its children) comes out of it unchanged. For such
// a token, CheckSignatureDER decodes it with the project's CMS codec
// (cms.Decode, which reads DER only) and makes the checks of the pkcs7 path
// (pkcs7.Verify, timestamp.Parse, GetOnlySigner, checkContentType,
// checkSigningCert), limited to what a TSA writes: one signer identified by
// issuer and serial, signed attributes in DER order (the order in which
// pkcs7 re-encodes them before it checks their signature), no unsigned
// attributes, an ECDSA or RSA signature over SHA-256, -384 or -512. It only
// ever accepts: on anything else, or any failure, it reports !ok and
// checkSignature runs the pkcs7 path, which says what is wrong in its own
// words. check_ref_test.go and FuzzCheckSignatureDER check that both paths
// agree.

// derTSTInfoOID is the DER eContentType and content-type attribute value of
// a time-stamp token (RFC 3161 §2.4.2).
var derTSTInfoOID = cms.MustOID(oidTSTInfo)

// The keys of cms.Attributes the fast path reads, computed once.
var (
	keyContentType   = oidContentType.String()
	keyMessageDigest = oidMessageDigest.String()
	keySigningTime   = oidSigningTime.String()
)

// fastSigner is what the fast path reads from the token's SignerInfo.
type fastSigner struct {
	issuer    []byte   // DER Name of the IssuerAndSerialNumber
	serial    *big.Int // non-negative
	hash      crypto.Hash
	sigAlg    x509.SignatureAlgorithm
	sm        bool   // SM3 digest, SM2-with-SM3 signature (sm.go), never on this path
	signed    []byte // the DER SET OF signed attributes, as signed
	signature []byte
	attrs     cms.Attributes
}

// CheckSignatureDER is checkSignature for a token in DER; see above.
func CheckSignatureDER(token []byte, intermediates []*x509.Certificate, cache *certCache) (*timestamp.Timestamp, *x509.Certificate, bool) {
	if !BERIdentity(token) {
		return nil, nil, false
	}
	sd, err := cms.Decode(token)
	if err != nil || !bytes.Equal(sd.ContentType, derTSTInfoOID) || len(sd.Content) == 0 {
		return nil, nil, false
	}
	si, ok := decodeFastSigner(&sd.Signer)
	if !ok || !digestAlgorithmsOK(sd.DigestAlgorithms) {
		return nil, nil, false
	}
	if v, ok := si.single(keyContentType); !ok || !bytes.Equal(v, derTSTInfoOID) {
		return nil, nil, false
	}
	var certs []*x509.Certificate
	if len(sd.Certificates) != 0 {
		if certs, err = cache.parse(sd.Certificates); err != nil {
			return nil, nil, false
		}
	}
	// timestamp.Parse: the signature first when certificates are embedded,
	// then TSTInfo; else the signature with intermediates.
	if len(certs) > 0 && !si.verify(sd.Content, certs) {
		return nil, nil, false
	}
	ts, err := newTimestamp(token, sd.Content, certs)
	if err != nil {
		return nil, nil, false
	}
	if len(certs) == 0 {
		certs = intermediates
		if !si.verify(sd.Content, certs) {
			return nil, nil, false
		}
	}
	signer := si.cert(certs)
	if signer == nil || checkSigningCert(si.signedAttr, signer, cache) != nil {
		return nil, nil, false
	}
	return ts, signer, true
}

// decodeFastSigner reads the parts of a SignerInfo the fast path checks,
// refusing any shape it leaves to pkcs7.
func decodeFastSigner(info *cms.SignerInfo) (*fastSigner, bool) {
	if info.SignedAttrs == nil || info.UnsignedAttrs != nil || !cms.SortedSet(info.SignedAttrs) {
		return nil, false
	}
	issuer, serial, err := cms.DecodeIssuerAndSerial(info.SID)
	if err != nil || serial.Sign() < 0 {
		return nil, false
	}
	digestOID, err := cms.AlgorithmOID(info.DigestAlgorithm)
	if err != nil {
		return nil, false
	}
	sigOID, err := cms.AlgorithmOID(info.SignatureAlgorithm)
	if err != nil {
		return nil, false
	}
	attrs, err := cms.DecodeAttributes(info.SignedAttrs)
	if err != nil {
		return nil, false
	}
	si := &fastSigner{issuer: issuer, serial: serial, hash: hashForOID(digestOID), signed: info.SignedAttrs,
		signature: info.Signature, attrs: attrs}
	switch {
	case sigOID.Equal(oidECDSAWithSHA256):
		si.sigAlg = x509.ECDSAWithSHA256
	case sigOID.Equal(oidECDSAWithSHA384):
		si.sigAlg = x509.ECDSAWithSHA384
	case sigOID.Equal(oidECDSAWithSHA512):
		si.sigAlg = x509.ECDSAWithSHA512
	case sigOID.Equal(oidSHA256WithRSA) && si.hash == crypto.SHA256:
		si.sigAlg = x509.SHA256WithRSA
	case sigOID.Equal(oids.SM2WithSM3) && digestOID.Equal(oids.SM3):
		si.sm = true // for checkSignatureSM; refused below
	}
	// SHA-256, -384 or -512 only, and a signature algorithm named above.
	return si, si.hash != 0 && si.sigAlg != x509.UnknownSignatureAlgorithm
}

// digestAlgorithmsOK reports whether the SignedData's digestAlgorithms SET
// holds only AlgorithmIdentifiers, as pkcs7 decodes them.
func digestAlgorithmsOK(set []byte) bool {
	for len(set) > 0 {
		alg, rest, err := cms.SplitElement(set)
		if err != nil {
			return false
		}
		if _, err := cms.AlgorithmOID(alg); err != nil {
			return false
		}
		set = rest
	}
	return true
}

// signedAttr is digitorus/pkcs7's UnmarshalSignedAttribute: the first
// value of the signed attribute oid, decoded into out by encoding/asn1.
func (si *fastSigner) signedAttr(oid asn1.ObjectIdentifier, out any) error {
	values := si.attrs[oid.String()]
	if len(values) == 0 {
		return ErrBadReply // any error: the caller only tests for one
	}
	_, err := asn1.Unmarshal(values[0], out)
	return err
}

// verify is digitorus/pkcs7's verifySignature without a trust store, for
// signed attributes and the algorithms a TSA uses; false means "not
// verified here", not "invalid".
func (si *fastSigner) verify(content []byte, certs []*x509.Certificate) bool {
	ee := si.cert(certs)
	if ee == nil {
		return false
	}
	v, ok := si.single(keyMessageDigest)
	if !ok {
		return false
	}
	digest, err := cms.DecodeOctetString(v)
	if err != nil {
		return false
	}
	w := si.hash.New()
	w.Write(content)
	if !bytes.Equal(digest, w.Sum(nil)) {
		return false
	}
	if values, ok := si.attrs[keySigningTime]; ok {
		// pkcs7 checks the signing time only when it decodes.
		if len(values) != 1 {
			return false
		}
		var signingTime time.Time
		if _, err := asn1.Unmarshal(values[0], &signingTime); err == nil && (signingTime.After(ee.NotAfter) || signingTime.Before(ee.NotBefore)) {
			return false
		}
	}
	return ee.CheckSignature(si.sigAlg, si.signed, si.signature) == nil
}

// single is the one value of the signed attribute whose key (dotted OID)
// is key.
func (si *fastSigner) single(key string) ([]byte, bool) {
	values := si.attrs[key]
	if len(values) != 1 {
		return nil, false
	}
	return values[0], true
}

// cert is digitorus/pkcs7's getCertFromCertsByIssuerAndSerial.
func (si *fastSigner) cert(certs []*x509.Certificate) *x509.Certificate {
	for _, c := range certs {
		if c.SerialNumber.Cmp(si.serial) == 0 && bytes.Equal(c.RawIssuer, si.issuer) {
			return c
		}
	}
	return nil
}

// BERIdentity reports whether digitorus/pkcs7's ber2der would return b
// unchanged: b is one element, every length is definite and written as
// ber2der writes it (short form below 128, else the fewest octets), and the
// children of every constructed element fill it exactly. Nesting deeper
// than ber2der allows, or than a token needs, is refused.
func BERIdentity(b []byte) bool {
	n, ok := BERElement(b, 0)
	return ok && n == len(b)
}

// BERElement checks the element at the start of b and returns its length.
func BERElement(b []byte, depth int) (int, bool) {
	if depth > 64 || len(b) < 2 {
		return 0, false
	}
	constructed := b[0]&0x20 != 0
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number: ber2der copies the tag octets
		for i < len(b) && b[i] >= 0x80 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	l := int(b[i])
	i++
	if l >= 0x80 {
		k := l & 0x7f
		if k == 0 || k > 3 || i+k > len(b) || b[i] == 0 {
			return 0, false
		}
		l = 0
		for j := 0; j < k; j++ {
			l = l<<8 | int(b[i+j])
		}
		i += k
		if l < 0x80 || l < 1<<(8*(k-1)) { // not the shortest form
			return 0, false
		}
	}
	if l > len(b)-i {
		return 0, false
	}
	end := i + l
	if constructed {
		for i < end {
			n, ok := BERElement(b[i:end], depth+1)
			if !ok {
				return 0, false
			}
			i += n
		}
	}
	return end, true
}
