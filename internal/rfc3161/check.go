package rfc3161

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
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
// Tokens and chains of the sm suite (SM2 with SM3) are checked by the
// steps of sm.go, which crypto/x509 and digitorus/pkcs7 cannot make.
//
// Failures wrap ErrBadReply (steps 1–2), ErrMismatch (3) or ErrUntrusted (4).
// It returns the parsed token.
func Check(reply []byte, h crypto.Hash, digest []byte, roots *x509.CertPool, intermediates []*x509.Certificate) (*timestamp.Timestamp, error) {
	return checkSteps(reply, h, digest, intermediates, nil, func(signer *x509.Certificate, ts *timestamp.Timestamp) error {
		return CheckChain(signer, ts, roots, intermediates)
	})
}

// checkSteps runs the checks of Check in order; chain is the last step
// (Checker supplies a caching one).
func checkSteps(reply []byte, h crypto.Hash, digest []byte, intermediates []*x509.Certificate, certs *certCache,
	chain func(*x509.Certificate, *timestamp.Timestamp) error) (*timestamp.Timestamp, error) {
	token, err := CheckStatus(reply)
	if err != nil {
		return nil, err
	}
	ts, signer, err := checkSignatureCached(token, intermediates, certs)
	if err != nil {
		return nil, err
	}
	if err := CheckImprint(ts, h, digest); err != nil {
		return nil, err
	}
	if err := chain(signer, ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// StatusInfo is RFC 3161 §2.4.2 PKIStatusInfo.
type StatusInfo = cms.StatusInfo

// CheckStatus parses RFC 3161 §2.4.2 TimeStampResp strictly and returns
// the DER TimeStampToken of a granted one.
func CheckStatus(reply []byte) ([]byte, error) {
	status, token, err := cms.SplitResponse(reply)
	if err != nil {
		return nil, fmt.Errorf("%w: not a DER TimeStampResp", ErrBadReply)
	}
	st, err := cms.DecodeStatus(status)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed PKIStatusInfo", ErrBadReply)
	}
	// Status granted (0) or grantedWithMods (1) carry a token (§2.4.2).
	if s := timestamp.Status(st.Status); s != timestamp.Granted && s != timestamp.GrantedWithMods {
		return nil, fmt.Errorf("%w: status %d (%v), failInfo %s, %q", ErrBadReply, s, s, failInfo(st.FailInfo), st.StatusString)
	}
	if token == nil {
		return nil, fmt.Errorf("%w: granted reply without a token", ErrBadReply)
	}
	return token, nil
}

func failInfo(bs asn1.BitString) string {
	for i := 0; i < bs.BitLength; i++ {
		if bs.At(i) == 1 {
			return fmt.Sprintf("%d (%v)", i, timestamp.FailureInfo(i))
		}
	}
	return "none"
}

// CheckSignature verifies the token's CMS signature and returns the parsed
// token with its signer certificate. It parses the token once: it makes
// the checks timestamp.Parse makes (the CMS signature when the token embeds
// certificates, then the TSTInfo) on the same pkcs7.PKCS7, and for a token
// without certificates looks the signer up in intermediates and verifies
// the signature here. check_ref_test.go keeps the two-parse version it
// replaced and checks that both agree.
func CheckSignature(token []byte, intermediates []*x509.Certificate) (*timestamp.Timestamp, *x509.Certificate, error) {
	return checkSignatureCached(token, intermediates, nil)
}

// checkSignatureCached is checkSignature with the token's certificates
// parsed through certs (nil: parsed every time) on the DER fast path.
func checkSignatureCached(token []byte, intermediates []*x509.Certificate, certs *certCache) (*timestamp.Timestamp, *x509.Certificate, error) {
	if ts, signer, ok := CheckSignatureDER(token, intermediates, certs); ok {
		return ts, signer, nil
	}
	if sd, ok := smSignedData(token); ok {
		return checkSignatureSM(token, sd, intermediates, certs)
	}
	return checkSignaturePKCS7(token, intermediates)
}

// checkSignaturePKCS7 is checkSignature through digitorus/pkcs7, which
// reads BER too: the path of every token the DER fast path leaves.
func checkSignaturePKCS7(token []byte, intermediates []*x509.Certificate) (*timestamp.Timestamp, *x509.Certificate, error) {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: token: %w", ErrBadReply, err)
	}
	if err := CheckContentType(token, p7.UnmarshalSignedAttribute); err != nil {
		return nil, nil, err
	}
	ts, err := parseTimestamp(token, p7)
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
	if err := CheckSigningCert(p7.UnmarshalSignedAttribute, signer); err != nil {
		return nil, nil, err
	}
	return ts, signer, nil
}

var (
	oidSHA1         = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidQCStatements = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 3}
)

// parseTimestamp is timestamp.Parse(token) on the already parsed p7: the
// same checks in the same order, with the same errors, and the same
// Timestamp.
func parseTimestamp(token []byte, p7 *pkcs7.PKCS7) (*timestamp.Timestamp, error) {
	embedded := len(p7.Certificates) > 0
	if embedded {
		if err := p7.Verify(); err != nil {
			return nil, err
		}
	}
	return newTimestamp(token, p7.Content, p7.Certificates)
}

// newTimestamp is the rest of timestamp.Parse: TSTInfo decoded from content,
// and the Timestamp built; certs are the token's own certificates.
func newTimestamp(token, content []byte, certs []*x509.Certificate) (*timestamp.Timestamp, error) {
	embedded := len(certs) > 0
	inf, err := cms.DecodeTSTInfo(content)
	if err != nil {
		return nil, err
	}
	if len(inf.MessageImprint.HashedMessage) == 0 {
		return nil, timestamp.ParseError("Time-Stamp response contains no hashed message")
	}
	ts := &timestamp.Timestamp{
		RawToken:      token,
		HashedMessage: inf.MessageImprint.HashedMessage,
		Time:          inf.Time,
		Accuracy: time.Duration((time.Second * time.Duration(inf.Accuracy.Seconds)) +
			(time.Millisecond * time.Duration(inf.Accuracy.Milliseconds)) +
			(time.Microsecond * time.Duration(inf.Accuracy.Microseconds))),
		SerialNumber:      inf.SerialNumber,
		Policy:            inf.Policy,
		Ordering:          inf.Ordering,
		Nonce:             inf.Nonce,
		AddTSACertificate: embedded,
		Extensions:        inf.Extensions,
	}
	if embedded {
		ts.Certificates = certs
	}
	if alg := inf.MessageImprint.HashAlgorithm.Algorithm; alg.Equal(oidSHA1) {
		ts.HashAlgorithm = crypto.SHA1
	} else {
		ts.HashAlgorithm = cms.ImprintHash(alg)
	}
	if ts.HashAlgorithm == 0 {
		return nil, timestamp.ParseError("Time-Stamp response uses unknown hash function")
	}
	for _, e := range inf.Extensions {
		if e.Id.Equal(oidQCStatements) {
			ts.Qualified = true
			break
		}
	}
	return ts, nil
}

// CheckContentType checks that the token is a SignedData whose content is a
// TSTInfo, and that the signed contentType attribute says so too (RFC 3161
// §2.4.2, RFC 5652 §11.1); digitorus checks neither.
func CheckContentType(token []byte, signedAttr func(asn1.ObjectIdentifier, any) error) error {
	signedData, err := cms.SignedDataContent(token)
	if err != nil {
		return fmt.Errorf("%w: token is not a SignedData", ErrBadReply)
	}
	eContentType, err := cms.EContentType(signedData)
	if err != nil {
		return fmt.Errorf("%w: token content is not a TSTInfo", ErrBadReply)
	}
	return checkTSTInfoType(eContentType, signedAttr)
}

// checkTSTInfoType is the end of CheckContentType, given the SignedData's
// eContentType.
func checkTSTInfoType(eContentType asn1.ObjectIdentifier, signedAttr func(asn1.ObjectIdentifier, any) error) error {
	if !eContentType.Equal(oidTSTInfo) {
		return fmt.Errorf("%w: token content is not a TSTInfo", ErrBadReply)
	}
	var attr asn1.ObjectIdentifier
	if err := signedAttr(oidContentType, &attr); err != nil || !attr.Equal(oidTSTInfo) {
		return fmt.Errorf("%w: signed contentType attribute is not id-ct-TSTInfo", ErrBadReply)
	}
	return nil
}

// CheckSigningCert checks the ESS signing-certificate attribute that
// RFC 3161 §2.4.1 requires (v1, RFC 2634, or v2, RFC 5035/RFC 5816): its
// first certificate identifier must be the signer's, so a certificate with
// the same key but another name or policy cannot be substituted.
func CheckSigningCert(signedAttr func(asn1.ObjectIdentifier, any) error, signer *x509.Certificate) error {
	return checkSigningCert(signedAttr, signer, nil)
}

// checkSigningCert is CheckSigningCert with the signer's SHA-256 from
// certs (nil: hashed here).
func checkSigningCert(signedAttr func(asn1.ObjectIdentifier, any) error, signer *x509.Certificate, certs *certCache) error {
	ids, v2 := signingCertIDs(signedAttr, oidSigningCertV2), true
	if ids == nil {
		if ids, v2 = signingCertIDs(signedAttr, oidSigningCert), false; ids == nil {
			return fmt.Errorf("%w: no ESS signing-certificate attribute", ErrBadReply)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w: empty ESS signing-certificate attribute", ErrBadReply)
	}
	id, err := cms.DecodeESSCertID(ids[0].FullBytes, v2)
	if err != nil {
		var e *cms.ESSCertIDError
		word := "malformed"
		if errors.As(err, &e) && errors.Is(e.Err, cms.ErrUnsupported) {
			word = "unsupported"
		}
		if e == nil {
			return fmt.Errorf("%w: %w", ErrBadReply, err)
		}
		return fmt.Errorf("%w: %s %s", ErrBadReply, word, e.Part)
	}
	hash, certHash := id.Hash, id.CertHash
	var sum []byte
	switch hash {
	case crypto.SHA1:
		s := sha1.Sum(signer.Raw)
		sum = s[:]
	case crypto.SHA256:
		s := certs.sum256(signer)
		sum = s[:]
	default:
		h := hash.New()
		h.Write(signer.Raw)
		sum = h.Sum(nil)
	}
	if !bytes.Equal(sum, certHash) {
		return fmt.Errorf("%w: ESS signing certificate is not the signer's certificate", ErrBadReply)
	}
	if id.Serial != nil && id.Serial.Cmp(signer.SerialNumber) != 0 {
		return fmt.Errorf("%w: ESS issuer serial is not the signer's", ErrBadReply)
	}
	return nil
}

// signingCertIDs is the certificate identifiers of the signed attribute
// oid, a SigningCertificate or SigningCertificateV2; nil when the
// attribute is absent or is not one (an empty attribute is not nil).
func signingCertIDs(signedAttr func(asn1.ObjectIdentifier, any) error, oid asn1.ObjectIdentifier) []asn1.RawValue {
	var v asn1.RawValue
	if signedAttr(oid, &v) != nil {
		return nil
	}
	ids, err := cms.SigningCertificateIDs(v.FullBytes)
	if err != nil {
		return nil
	}
	if ids == nil {
		ids = []asn1.RawValue{}
	}
	return ids
}

// CheckImprint compares the token's message imprint with h and digest.
func CheckImprint(ts *timestamp.Timestamp, h crypto.Hash, digest []byte) error {
	if ts.HashAlgorithm != h || !bytes.Equal(ts.HashedMessage, digest) {
		return fmt.Errorf("%w: imprint is %s %x, want %s %x", ErrMismatch, cms.HashName(ts.HashAlgorithm), ts.HashedMessage, cms.HashName(h), digest)
	}
	return nil
}

// CheckChain verifies the signer's chain to roots at the token's genTime,
// and its RFC 3161 §2.3 extended key usage.
func CheckChain(signer *x509.Certificate, ts *timestamp.Timestamp, roots *x509.CertPool, intermediates []*x509.Certificate) error {
	if err := CheckTSACert(signer); err != nil {
		return err
	}
	if roots == nil {
		return fmt.Errorf("%w: no trusted roots given", ErrUntrusted)
	}
	if smChain(signer) {
		at := ts.Time
		if at.IsZero() {
			at = time.Now()
		}
		if _, err := checkChainSM(signer, at, roots, append(slices.Clone(ts.Certificates), intermediates...)); err != nil {
			return fmt.Errorf("%w: at %v: %w", ErrUntrusted, ts.Time.UTC(), err)
		}
		return nil
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

// CheckTSACert checks the RFC 3161 §2.3 extended key usage of the signer.
func CheckTSACert(signer *x509.Certificate) error {
	if err := certs.CheckTSA(signer); err != nil {
		return fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	return nil
}
