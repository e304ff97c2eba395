package notary

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/custos-project/custos/certs"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// Check verifies a stored reply against a digest, offline, in this order:
//
//  1. checkStatus: the reply is a DER TimeStampResp whose status is granted
//     (RFC 3161 §2.4.2);
//  2. checkSignature: the token is a SignedData of a TSTInfo (RFC 3161
//     §2.4.2), its CMS signature verifies with the signer certificate found
//     in the token or in intermediates, and its ESS signing-certificate
//     attribute names that certificate (RFC 3161 §2.4.1, RFC 5035);
//  3. checkImprint: the message imprint is h and digest;
//  4. checkChain: the signer certificate chains to roots through the
//     certificates of the token and intermediates, AT THE TOKEN'S OWN genTime,
//     so an old token still verifies after its certificates expire, and it
//     has the critical timeStamping extended key usage (RFC 3161 §2.3).
//
// Failures wrap ErrBadReply (steps 1–2), ErrMismatch (3) or ErrUntrusted (4).
// It returns the parsed token.
func Check(reply []byte, h crypto.Hash, digest []byte, roots *x509.CertPool, intermediates []*x509.Certificate) (*timestamp.Timestamp, error) {
	return checkSteps(reply, h, digest, intermediates, func(signer *x509.Certificate, ts *timestamp.Timestamp) error {
		return checkChain(signer, ts, roots, intermediates)
	})
}

// checkSteps runs the checks of Check in order; chain is the last step
// (Checker supplies a caching one).
func checkSteps(reply []byte, h crypto.Hash, digest []byte, intermediates []*x509.Certificate,
	chain func(*x509.Certificate, *timestamp.Timestamp) error) (*timestamp.Timestamp, error) {
	token, err := checkStatus(reply)
	if err != nil {
		return nil, err
	}
	ts, signer, err := checkSignature(token, intermediates)
	if err != nil {
		return nil, err
	}
	if err := checkImprint(ts, h, digest); err != nil {
		return nil, err
	}
	if err := chain(signer, ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// statusInfo is RFC 3161 §2.4.2 PKIStatusInfo.
type statusInfo struct {
	Status       timestamp.Status
	StatusString []string       `asn1:"optional,utf8"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

// checkStatus parses RFC 3161 §2.4.2 TimeStampResp strictly and returns
// the DER TimeStampToken of a granted one.
func checkStatus(reply []byte) ([]byte, error) {
	elems, err := splitSequence(reply)
	if err != nil || len(elems) < 1 || len(elems) > 2 {
		return nil, fmt.Errorf("%w: not a DER TimeStampResp", ErrBadReply)
	}
	var st statusInfo
	if rest, err := asn1.Unmarshal(elems[0].FullBytes, &st); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: malformed PKIStatusInfo", ErrBadReply)
	}
	// Status granted (0) or grantedWithMods (1) carry a token (§2.4.2).
	if st.Status != timestamp.Granted && st.Status != timestamp.GrantedWithMods {
		return nil, fmt.Errorf("%w: status %d (%v), failInfo %s, %q", ErrBadReply, st.Status, st.Status, failInfo(st.FailInfo), st.StatusString)
	}
	if len(elems) != 2 {
		return nil, fmt.Errorf("%w: granted reply without a token", ErrBadReply)
	}
	return elems[1].FullBytes, nil
}

func failInfo(bs asn1.BitString) string {
	for i := 0; i < bs.BitLength; i++ {
		if bs.At(i) == 1 {
			return fmt.Sprintf("%d (%v)", i, timestamp.FailureInfo(i))
		}
	}
	return "none"
}

// signedDataHead is the start of RFC 5652 §5.1 SignedData, enough to read
// the eContentType.
type signedDataHead struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	Encap            struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
	}
}

// checkSignature verifies the token's CMS signature and returns the parsed
// token with its signer certificate. digitorus' Parse verifies the
// signature only when the token embeds certificates; for a token without,
// the signer is looked up in intermediates and verified here.
func checkSignature(token []byte, intermediates []*x509.Certificate) (*timestamp.Timestamp, *x509.Certificate, error) {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: token: %w", ErrBadReply, err)
	}
	if err := checkContentType(token, p7); err != nil {
		return nil, nil, err
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: token: %w", ErrBadReply, err)
	}
	if len(p7.Certificates) == 0 {
		p7.Certificates = intermediates
		if err := p7.Verify(); err != nil {
			return nil, nil, fmt.Errorf("%w: signature: %w", ErrBadReply, err)
		}
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, nil, fmt.Errorf("%w: token has no single signer with a known certificate", ErrBadReply)
	}
	if err := checkSigningCert(p7, signer); err != nil {
		return nil, nil, err
	}
	return ts, signer, nil
}

// checkContentType checks that the token is a SignedData whose content is a
// TSTInfo, and that the signed contentType attribute says so too (RFC 3161
// §2.4.2, RFC 5652 §11.1); digitorus checks neither.
func checkContentType(token []byte, p7 *pkcs7.PKCS7) error {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(token, &ci); err != nil || !ci.ContentType.Equal(oidSignedData) {
		return fmt.Errorf("%w: token is not a SignedData", ErrBadReply)
	}
	var sd signedDataHead
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || !sd.Encap.ContentType.Equal(oidTSTInfo) {
		return fmt.Errorf("%w: token content is not a TSTInfo", ErrBadReply)
	}
	var attr asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(oidContentType, &attr); err != nil || !attr.Equal(oidTSTInfo) {
		return fmt.Errorf("%w: signed contentType attribute is not id-ct-TSTInfo", ErrBadReply)
	}
	return nil
}

// issuerSerial is RFC 5035 IssuerSerial.
type issuerSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signingCertificate struct {
	Certs    []asn1.RawValue
	Policies asn1.RawValue `asn1:"optional"`
}

// checkSigningCert checks the ESS signing-certificate attribute that
// RFC 3161 §2.4.1 requires (v1, RFC 2634, or v2, RFC 5035/RFC 5816): its
// first certificate identifier must be the signer's, so a certificate with
// the same key but another name or policy cannot be substituted.
func checkSigningCert(p7 *pkcs7.PKCS7, signer *x509.Certificate) error {
	var sc signingCertificate
	hash := crypto.SHA256
	if err := p7.UnmarshalSignedAttribute(oidSigningCertV2, &sc); err != nil {
		if err := p7.UnmarshalSignedAttribute(oidSigningCert, &sc); err != nil {
			return fmt.Errorf("%w: no ESS signing-certificate attribute", ErrBadReply)
		}
		hash = crypto.SHA1
	}
	if len(sc.Certs) == 0 {
		return fmt.Errorf("%w: empty ESS signing-certificate attribute", ErrBadReply)
	}
	// ESSCertID ::= SEQUENCE { certHash, issuerSerial OPTIONAL } and
	// ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash,
	// issuerSerial OPTIONAL }.
	elems, err := splitSequence(sc.Certs[0].FullBytes)
	if err != nil || len(elems) == 0 {
		return fmt.Errorf("%w: malformed ESS certificate identifier", ErrBadReply)
	}
	if elems[0].Tag == asn1.TagSequence && hash == crypto.SHA256 {
		var alg struct{ Algorithm asn1.ObjectIdentifier }
		if _, err := asn1.Unmarshal(elems[0].FullBytes, &alg); err != nil {
			return fmt.Errorf("%w: malformed ESS hash algorithm", ErrBadReply)
		}
		if hash = hashForOID(alg.Algorithm); hash == 0 {
			return fmt.Errorf("%w: unsupported ESS hash algorithm %v", ErrBadReply, alg.Algorithm)
		}
		elems = elems[1:]
	}
	var certHash []byte
	if len(elems) == 0 || unmarshalExact(elems[0].FullBytes, &certHash) != nil {
		return fmt.Errorf("%w: malformed ESS certificate hash", ErrBadReply)
	}
	var is issuerSerial
	if len(elems) > 1 {
		if rest, err := asn1.Unmarshal(elems[1].FullBytes, &is); err != nil || len(rest) != 0 {
			return fmt.Errorf("%w: malformed ESS issuer serial", ErrBadReply)
		}
	}
	var sum []byte
	switch hash {
	case crypto.SHA1:
		s := sha1.Sum(signer.Raw)
		sum = s[:]
	case crypto.SHA256:
		s := sha256.Sum256(signer.Raw)
		sum = s[:]
	default:
		h := hash.New()
		h.Write(signer.Raw)
		sum = h.Sum(nil)
	}
	if !bytes.Equal(sum, certHash) {
		return fmt.Errorf("%w: ESS signing certificate is not the signer's certificate", ErrBadReply)
	}
	if is.Serial != nil && is.Serial.Cmp(signer.SerialNumber) != 0 {
		return fmt.Errorf("%w: ESS issuer serial is not the signer's", ErrBadReply)
	}
	return nil
}

// checkImprint compares the token's message imprint with h and digest.
func checkImprint(ts *timestamp.Timestamp, h crypto.Hash, digest []byte) error {
	if ts.HashAlgorithm != h || !bytes.Equal(ts.HashedMessage, digest) {
		return fmt.Errorf("%w: imprint is %v %x, want %v %x", ErrMismatch, ts.HashAlgorithm, ts.HashedMessage, h, digest)
	}
	return nil
}

// checkChain verifies the signer's chain to roots at the token's genTime,
// and its RFC 3161 §2.3 extended key usage.
func checkChain(signer *x509.Certificate, ts *timestamp.Timestamp, roots *x509.CertPool, intermediates []*x509.Certificate) error {
	if err := checkTSACert(signer); err != nil {
		return err
	}
	if roots == nil {
		return fmt.Errorf("%w: no trusted roots given", ErrUntrusted)
	}
	pool := x509.NewCertPool()
	for _, c := range ts.Certificates {
		pool.AddCert(c)
	}
	for _, c := range intermediates {
		pool.AddCert(c)
	}
	_, err := signer.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: pool,
		CurrentTime:   ts.Time,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	})
	if err != nil {
		return fmt.Errorf("%w: at %v: %w", ErrUntrusted, ts.Time.UTC(), err)
	}
	return nil
}

// checkTSACert checks the RFC 3161 §2.3 extended key usage of the signer.
func checkTSACert(signer *x509.Certificate) error {
	if err := certs.CheckTSA(signer); err != nil {
		return fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	return nil
}
