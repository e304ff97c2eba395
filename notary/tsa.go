package notary

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
	"github.com/custos-project/custos/internal/rfc3161"
	"github.com/digitorus/timestamp"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// DefaultPolicy is the TSA policy (RFC 3161 §2.1, §2.4.2 policy) under which
// the built-in TSA issues tokens unless TSAConfig.Policy says otherwise:
// 1.3.6.1.4.1.32473.3161.1, that is {enterprise 32473} custos-tsa(3161)
// policy-v1(1).
//
// Enterprise number 32473 is the one IANA reserves for documentation
// (RFC 5612), so this OID clashes with no registered one; it names the
// policy of a development or single-organization deployment. A consortium
// should register its own enterprise number and set TSAConfig.Policy to an
// OID under it, described in its practice statement.
var DefaultPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 3161, 1}

// Token is one RFC 3161 time-stamp as kept with an evidence record
// (rfc3161.Token, which notary/pdf takes without importing this package).
type Token = rfc3161.Token

// TSAConfig configures the built-in TSA.
type TSAConfig struct {
	// Cert is the TSA certificate. RFC 3161 §2.3: its only extended key
	// usage is id-kp-timeStamping, in a critical extension.
	Cert *x509.Certificate
	// Chain holds the intermediates and root, issuer first, embedded in
	// tokens alongside Cert when the query asks for certificates.
	Chain []*x509.Certificate
	// Signer holds the private key of Cert: an ECDSA (P-256, P-384 or P-521),
	// RSA or SM2 key, in memory, an HSM or a KMS. An SM2 signer (the sm
	// suite, certs.SuiteSM) must sign as gmsm's sm2.PrivateKey does given
	// sm2.SM2SignerOption: the message itself, hashed with its Z_A.
	Signer crypto.Signer
	// Policy is the TSA policy OID put in every token. Default:
	// DefaultPolicy.
	Policy asn1.ObjectIdentifier
	// Accuracy is the accuracy of genTime (RFC 3161 §2.4.2). It also sets
	// genTime's precision: whole seconds for 1s and more, milliseconds
	// below. Default: 1s.
	Accuracy time.Duration
	// Now is the TSA's clock. Default: time.Now.
	Now func() time.Time
}

// TSA is a built-in RFC 3161 time-stamping authority. Everything about its
// certificate that goes into a token is encoded once by NewTSA, so issuing a
// token costs one hash, one signature and a few appends. A TSA is safe for
// concurrent use.
type TSA struct {
	name       string
	cert       *x509.Certificate
	signer     crypto.Signer
	signHash   crypto.Hash // CMS digest algorithm, fixed by the key; 0 for SM2 (SM3)
	signRand   io.Reader   // nil: deterministic ECDSA (RFC 6979), see signatureRandom
	policy     asn1.ObjectIdentifier
	now        func() time.Time
	precision  time.Duration
	notBefore  time.Time // latest NotBefore in the chain
	notAfter   time.Time // earliest NotAfter in the chain
	policyDER  []byte
	accuracy   []byte // DER Accuracy, or nil
	tsaName    []byte // DER [0] GeneralName (directoryName) of the TSA
	digestAlg  []byte // DER AlgorithmIdentifier of signHash
	sigAlg     []byte // DER signatureAlgorithm
	sid        []byte // DER IssuerAndSerialNumber of cert
	essAttr    []byte // DER signingCertificateV2 attribute
	certs      []byte // DER certificates: cert then chain
	rejections map[timestamp.FailureInfo][]byte
}

// NewTSA validates cfg once and precomputes the constant parts of tokens.
func NewTSA(cfg TSAConfig) (*TSA, error) {
	if cfg.Cert == nil || cfg.Signer == nil {
		return nil, fmt.Errorf("%w: Cert and Signer are required", ErrConfig)
	}
	if err := certs.CheckTSA(cfg.Cert); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if !certs.SameKey(cfg.Cert, cfg.Signer) {
		return nil, fmt.Errorf("%w: Signer does not hold the key of Cert", ErrConfig)
	}
	if err := checkChainLinks(cfg.Cert, cfg.Chain); err != nil {
		return nil, err
	}
	t := &TSA{
		name:   cfg.Cert.Subject.CommonName,
		cert:   cfg.Cert,
		signer: cfg.Signer,
		policy: slices.Clone(cfg.Policy),
		now:    cfg.Now,
	}
	if t.name == "" {
		t.name = cfg.Cert.Subject.String()
	}
	if t.policy == nil {
		t.policy = slices.Clone(DefaultPolicy)
	}
	if t.now == nil {
		t.now = time.Now
	}
	if err := t.setAccuracy(cfg.Accuracy); err != nil {
		return nil, err
	}
	if err := t.setAlgorithms(); err != nil {
		return nil, err
	}
	policyDER, err := asn1.Marshal(t.policy)
	if err != nil {
		return nil, fmt.Errorf("%w: policy: %w", ErrConfig, err)
	}
	t.policyDER = policyDER
	t.setChain(cfg.Cert, cfg.Chain)
	if err := t.setSignerIdentity(); err != nil {
		return nil, err
	}
	t.rejections = rejectionReplies()
	return t, nil
}

// checkChainLinks checks that each certificate of chain issued the one
// before it, once here instead of on every token.
func checkChainLinks(cert *x509.Certificate, chain []*x509.Certificate) error {
	child := cert
	for _, parent := range chain {
		if err := certs.CheckSignatureFrom(child, parent); err != nil {
			return fmt.Errorf("%w: chain: %q is not issued by %q: %w", ErrConfig, child.Subject, parent.Subject, err)
		}
		child = parent
	}
	return nil
}

func (t *TSA) setAccuracy(acc time.Duration) error {
	switch {
	case acc < 0:
		return fmt.Errorf("%w: negative accuracy", ErrConfig)
	case acc == 0:
		acc = time.Second
	}
	// Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL,
	//   millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }
	acc = max(acc.Round(time.Microsecond), time.Microsecond)
	var parts [][]byte
	if s := int64(acc / time.Second); s > 0 {
		parts = append(parts, cms.Uint(big.NewInt(s).Bytes()))
	}
	if ms := int64(acc % time.Second / time.Millisecond); ms > 0 {
		b := cms.Uint(big.NewInt(ms).Bytes())
		b[0] = 0x80 // [0] IMPLICIT
		parts = append(parts, b)
	}
	if us := int64(acc % time.Millisecond / time.Microsecond); us > 0 {
		b := cms.Uint(big.NewInt(us).Bytes())
		b[0] = 0x81 // [1] IMPLICIT
		parts = append(parts, b)
	}
	t.accuracy = cms.TLV(cms.TagSequence, parts...)
	switch {
	case acc >= time.Second:
		t.precision = time.Second
	case acc >= time.Millisecond:
		t.precision = time.Millisecond
	default:
		t.precision = time.Microsecond
	}
	return nil
}

// setAlgorithms picks the CMS digest and signature algorithms matching the
// key: SHA-256 for P-256 and RSA, SHA-384 for P-384, SHA-512 for P-521,
// SM3 for SM2 (setSM).
func (t *TSA) setAlgorithms() error {
	var sigOID asn1.ObjectIdentifier
	var null bool
	switch pub := t.cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if sm2.IsSM2PublicKey(pub) {
			t.setSM()
			return nil
		}
		switch pub.Curve {
		case elliptic.P256():
			t.signHash, sigOID = crypto.SHA256, oidECDSAWithSHA256
		case elliptic.P384():
			t.signHash, sigOID = crypto.SHA384, oidECDSAWithSHA384
		case elliptic.P521():
			t.signHash, sigOID = crypto.SHA512, oidECDSAWithSHA512
		default:
			return fmt.Errorf("%w: unsupported curve %v", ErrConfig, pub.Curve.Params().Name)
		}
	case *rsa.PublicKey:
		t.signHash, sigOID, null = crypto.SHA256, oidSHA256WithRSA, true
	default:
		return fmt.Errorf("%w: unsupported key type %T", ErrConfig, pub)
	}
	t.sigAlg = cms.AlgorithmID(sigOID, null)
	t.signRand = signatureRandom(t.signer)
	// RFC 5754 §2: digest AlgorithmIdentifier parameters SHOULD be absent.
	t.digestAlg = cms.AlgorithmID(cms.HashOID(t.signHash), false)
	return nil
}

// setSM sets the algorithms of the sm suite: SM3 digests (GM/T 0010
// digestAlgorithm 1.2.156.10197.1.401) and the SM2-with-SM3 signature
// (1.2.156.10197.1.501, as in the certificates), both with absent
// parameters. The signature is over SM3(Z_A ‖ signed attributes), Z_A with
// the default user ID of GM/T 0009 (1234567812345678).
func (t *TSA) setSM() {
	t.signHash = 0
	t.sigAlg = cms.AlgorithmID(oids.SM2WithSM3, false)
	t.digestAlg = cms.AlgorithmID(oids.SM3, false)
	// SM2 signing draws its nonce from the reader (gmsm mixes it with the
	// key and the digest); it has no deterministic mode.
	t.signRand = rand.Reader
}

// setChain precomputes the certificate set (RFC 5652 §5.1) and the validity
// window in which every certificate of the chain is valid.
func (t *TSA) setChain(cert *x509.Certificate, chain []*x509.Certificate) {
	all := append([]*x509.Certificate{cert}, chain...)
	var raw [][]byte
	t.notBefore, t.notAfter = cert.NotBefore, cert.NotAfter
	for _, c := range all {
		raw = append(raw, c.Raw)
		if c.NotBefore.After(t.notBefore) {
			t.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(t.notAfter) {
			t.notAfter = c.NotAfter
		}
	}
	t.certs = bytes.Join(raw, nil)
}

// setSignerIdentity precomputes the TSA name, the SignerIdentifier and the
// ESS signing-certificate attribute, which all depend only on the cert.
func (t *TSA) setSignerIdentity() error {
	// RFC 3161 §2.4.2 tsa [0] GeneralName: directoryName [4] Name. Both tags
	// are explicit, since GeneralName and Name are CHOICEs.
	t.tsaName = cms.TLV(cms.TagContext0, cms.TLV(cms.TagContext4, t.cert.RawSubject))
	// RFC 5652 §5.3: sid IssuerAndSerialNumber.
	sid, err := cms.IssuerAndSerial(t.cert)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// RFC 3161 §2.4.1 requires the ESS SigningCertificate attribute, here
	// in its v2 form (RFC 5816, RFC 5035 §5.4).
	ess, err := cms.SigningCertificateV2Attribute(t.cert)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	t.sid, t.essAttr = sid, ess
	return nil
}

// Name is the TSA's display name: its certificate's subject CN.
func (t *TSA) Name() string { return t.name }

// Policy is the TSA policy OID of the tokens.
func (t *TSA) Policy() asn1.ObjectIdentifier { return slices.Clone(t.policy) }

// Stamp time-stamps digest, a hash h (SHA-256, SHA-384, SHA-512 or SM3) of
// the evidence. The token embeds the TSA certificate and its chain, so it
// verifies with nothing but the root.
func (t *TSA) Stamp(ctx context.Context, h crypto.Hash, digest []byte) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, ok := hashes[h]; !ok {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedHash, h)
	}
	if n := cms.ImprintSize(h); len(digest) != n {
		return nil, fmt.Errorf("%w: %d bytes for %s, want %d", ErrDigestSize, len(digest), cms.HashName(h), n)
	}
	return t.issue(cms.ImprintOf(h, digest), nil, true)
}

// Respond answers an RFC 3161 §2.4.1 TimeStampReq (DER) with an RFC 3161
// §2.4.2 TimeStampResp (DER). A query that is not a DER TimeStampReq is an
// error wrapping ErrBadQuery. A well-formed query the TSA declines gets a
// rejection reply: an unsupported hash (badAlg), a wrong-sized imprint
// (badDataFormat), a reqPolicy other than the TSA's (unacceptedPolicy) or a
// critical extension (unacceptedExtension).
func (t *TSA) Respond(query []byte) ([]byte, error) {
	q, err := parseQuery(query)
	var rej *rejection
	switch {
	case errors.As(err, &rej):
		return t.reject(rej.info), nil
	case err != nil:
		return nil, err
	}
	// RFC 3161 §2.4.1 reqPolicy: "If the TSA does not support the policy
	// requested, it rejects the request with unacceptedPolicy".
	if q.policy != nil && !q.policy.Equal(t.policy) {
		return t.reject(timestamp.UnacceptedPolicy), nil
	}
	// RFC 3161 §2.4.1 certReq: the certificates go in only when asked for.
	tok, err := t.issue(q.imprint, q.nonce, q.certReq)
	if errors.Is(err, ErrCertValidity) {
		return t.reject(timestamp.SystemFailure), nil
	}
	if err != nil {
		return nil, err
	}
	return tok.Reply, nil
}

// reject returns a copy of the precomputed rejection reply for info.
func (t *TSA) reject(info timestamp.FailureInfo) []byte {
	return bytes.Clone(t.rejections[info])
}

// issue builds, signs and wraps one TSTInfo. imprint is a DER
// MessageImprint, nonce a DER INTEGER or nil.
func (t *TSA) issue(imprint, nonce []byte, withCerts bool) (*Token, error) {
	now := t.now().UTC()
	if now.Before(t.notBefore) || now.After(t.notAfter) {
		return nil, fmt.Errorf("%w: %v is outside %v .. %v", ErrCertValidity, now, t.notBefore, t.notAfter)
	}
	genTime := now.Truncate(t.precision)
	var serial [16]byte
	if _, err := rand.Read(serial[:]); err != nil {
		return nil, fmt.Errorf("notary: serial: %w", err)
	}
	// A positive 127-bit serial with no leading zero octet: RFC 3161
	// §2.4.2 requires it unique, and allows up to 160 bits.
	serial[0] = serial[0]&0x7f | 0x40
	tstInfo := t.tstInfo(imprint, serial[:], genTime, nonce)
	signerInfo, err := t.signerInfo(tstInfo)
	if err != nil {
		return nil, err
	}
	// RFC 3161 §2.4.2 TimeStampResp, whose token is RFC 5652 §5.1
	// SignedData version 3 (eContentType is not id-data) holding
	// eContent TSTInfo.
	sd := cms.SignedData{Version: 3, DigestAlgorithms: t.digestAlg, ContentType: derTSTInfoOID, Content: tstInfo,
		Signer: signerInfo}
	if withCerts {
		sd.Certificates = t.certs
	}
	return &Token{
		TSA:    t.name,
		Time:   genTime,
		Serial: new(big.Int).SetBytes(serial[:]).String(),
		Reply:  sd.EncodeReply(),
	}, nil
}

// tstInfo encodes the TSTInfo of a token (cms.EncodeTSTInfo): imprint is
// the query's, byte for byte, as §2.4.2 requires; the nonce is echoed when
// present.
func (t *TSA) tstInfo(imprint, serial []byte, genTime time.Time, nonce []byte) []byte {
	return cms.EncodeTSTInfo(t.policyDER, imprint, serial, genTime, t.accuracy, nonce, t.tsaName)
}

// signerInfo encodes and signs RFC 5652 §5.3 SignerInfo. The signed
// attributes are contentType, messageDigest and the ESS
// signingCertificateV2 (RFC 3161 §2.4.1), sorted as DER sorts a SET OF.
//
// In the sm suite the messageDigest is SM3 of the TSTInfo and the
// signature SM2 with SM3 (signerInfoSM).
func (t *TSA) signerInfo(tstInfo []byte) (cms.SignerInfo, error) {
	if t.signHash == 0 {
		return t.signerInfoSM(tstInfo)
	}
	h := t.signHash.New()
	h.Write(tstInfo)
	var sum [64]byte
	// The signature covers the attributes with the SET OF tag (RFC 5652 §5.4).
	signedAttrs := cms.SignedAttributes(derContentTypeAttr, cms.MessageDigestAttribute(h.Sum(sum[:0])), t.essAttr)
	h.Reset()
	h.Write(signedAttrs)
	sig, err := t.signer.Sign(t.signRand, h.Sum(sum[:0]), t.signHash)
	if err != nil {
		return cms.SignerInfo{}, fmt.Errorf("notary: sign: %w", err)
	}
	return cms.SignerInfo{Version: 1, SID: t.sid, DigestAlgorithm: t.digestAlg, SignedAttrs: signedAttrs,
		SignatureAlgorithm: t.sigAlg, Signature: sig}, nil
}

// signerInfoSM is signerInfo in the sm suite. The ESS
// signing-certificate-v2 attribute still names the certificate by its
// SHA-256 (the ESSCertIDv2 default): see docs/security.md, "SM2 and SM3".
func (t *TSA) signerInfoSM(tstInfo []byte) (cms.SignerInfo, error) {
	digest := sm3.Sum(tstInfo)
	signedAttrs := cms.SignedAttributes(derContentTypeAttr, cms.MessageDigestAttribute(digest[:]), t.essAttr)
	sig, err := t.signer.Sign(t.signRand, signedAttrs, sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		return cms.SignerInfo{}, fmt.Errorf("notary: sign: %w", err)
	}
	return cms.SignerInfo{Version: 1, SID: t.sid, DigestAlgorithm: t.digestAlg, SignedAttrs: signedAttrs,
		SignatureAlgorithm: t.sigAlg, Signature: sig}, nil
}

// signatureRandom is the randomness the TSA passes to its signer: nil for
// an in-process ECDSA key, so that crypto/ecdsa signs deterministically as
// RFC 6979 (and FIPS 186-5) specify, and crypto/rand for any other signer
// (an RSA key, or a key held elsewhere behind crypto.Signer, which may
// need it).
//
// With a reader, crypto/ecdsa draws the nonce "hedged": an HMAC-SHA-512
// DRBG seeded from the system's randomness, the key and the digest. Without
// one it derives the nonce with HMAC-SHA-256 from the key and the digest
// alone. On this project's machine that takes P-256 signing from about 45
// to about 31 µs, and signing was the largest single cost of a small upload
// (docs/performance.md). The hedge guards against two failures: a broken
// random source (which RFC 6979 does not need at all) and a fault injected
// while the same message is signed twice, which then leaks the key. The
// second needs the same message signed twice; every token's signed
// attributes hold the digest of a TSTInfo with its own serial number and
// time, so the TSA never signs one message twice.
func signatureRandom(signer crypto.Signer) io.Reader {
	if _, ok := signer.(*ecdsa.PrivateKey); ok {
		return nil
	}
	return rand.Reader
}

// rejectionReplies encodes the RFC 3161 §2.4.2 rejection replies once
// (cms.EncodeRejection).
func rejectionReplies() map[timestamp.FailureInfo][]byte {
	texts := map[timestamp.FailureInfo]string{
		timestamp.BadAlgorithm:        "unsupported message imprint hash algorithm",
		timestamp.BadDataFormat:       "malformed request",
		timestamp.UnacceptedPolicy:    "unsupported TSA policy",
		timestamp.UnacceptedExtension: "unsupported critical extension",
		timestamp.SystemFailure:       "TSA certificate not valid now",
	}
	out := make(map[timestamp.FailureInfo][]byte, len(texts))
	for info, text := range texts {
		out[info] = cms.EncodeRejection(int(info), text)
	}
	return out
}
