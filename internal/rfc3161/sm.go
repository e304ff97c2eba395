package rfc3161

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
)

// The sm suite (certs.SuiteSM): tokens signed SM2 with SM3 and chains of
// SM2-with-SM3 certificates. Neither digitorus/pkcs7 nor crypto/x509 knows
// SM2, so these tokens take a path of their own, which reads DER only (the
// TSA of this project writes DER) and says which check failed:
//
//   - the SignerInfo's digestAlgorithm is SM3 (1.2.156.10197.1.401) and its
//     signatureAlgorithm SM2-with-SM3 (1.2.156.10197.1.501);
//   - the signed messageDigest attribute is SM3 of the TSTInfo;
//   - the signature verifies over SM3(Z_A ‖ DER signed attributes), Z_A
//     with the GM/T 0009 default user ID 1234567812345678;
//   - the ESS signing-certificate attribute names the signer, as for every
//     token (checkSigningCert).
//
// The chain is checked by checkChainSM, certificate by certificate.

// smSignedData decodes token when its signer signs SM2 with SM3, the sm
// suite; false for any other token, which the other paths check.
func smSignedData(token []byte) (*cms.SignedData, bool) {
	sd, err := cms.Decode(token)
	if err != nil {
		return nil, false
	}
	alg, err := cms.AlgorithmOID(sd.Signer.SignatureAlgorithm)
	return sd, err == nil && alg.Equal(oids.SM2WithSM3)
}

// checkSignatureSM is checkSignature for a token of the sm suite, decoded
// as sd.
func checkSignatureSM(token []byte, sd *cms.SignedData, intermediates []*x509.Certificate, cache *certCache) (*timestamp.Timestamp, *x509.Certificate, error) {
	fail := func(format string, a ...any) (*timestamp.Timestamp, *x509.Certificate, error) {
		return nil, nil, fmt.Errorf("%w: SM2 token: "+format, append([]any{ErrBadReply}, a...)...)
	}
	if !bytes.Equal(sd.ContentType, derTSTInfoOID) || len(sd.Content) == 0 {
		return fail("content is not a TSTInfo")
	}
	// decodeFastSigner refuses an sm signer (ok false) but reads it.
	si, _ := decodeFastSigner(&sd.Signer)
	if si == nil || !si.sm || !digestAlgorithmsOK(sd.DigestAlgorithms) {
		return fail("SignerInfo is not SM3 digest with SM2-with-SM3 signature, one signer by issuer and serial, sorted signed attributes")
	}
	if v, ok := si.single(keyContentType); !ok || !bytes.Equal(v, derTSTInfoOID) {
		return fail("signed contentType attribute is not id-ct-TSTInfo")
	}
	var embedded []*x509.Certificate
	if len(sd.Certificates) != 0 {
		var err error
		if embedded, err = cache.parse(sd.Certificates); err != nil {
			return fail("certificates: %v", err)
		}
	}
	ts, err := newTimestamp(token, sd.Content, embedded)
	if err != nil {
		return fail("%v", err)
	}
	candidates := embedded
	if len(candidates) == 0 {
		candidates = intermediates
	}
	signer := si.cert(candidates)
	if signer == nil {
		return fail("no certificate of the signer (issuer and serial) in the token or the intermediates")
	}
	if err := si.verifySM(sd.Content, signer); err != nil {
		return fail("%v", err)
	}
	if err := checkSigningCert(si.signedAttr, signer, cache); err != nil {
		return nil, nil, err
	}
	return ts, signer, nil
}

// verifySM checks the messageDigest attribute (SM3 of content) and the SM2
// signature of the signed attributes by signer's key.
func (si *fastSigner) verifySM(content []byte, signer *x509.Certificate) error {
	v, ok := si.single(keyMessageDigest)
	if !ok {
		return errors.New("no single messageDigest attribute")
	}
	digest, err := cms.DecodeOctetString(v)
	if err != nil {
		return errors.New("malformed messageDigest attribute")
	}
	if sum := sm3.Sum(content); !bytes.Equal(digest, sum[:]) {
		return fmt.Errorf("messageDigest %x is not the SM3 of the TSTInfo, %x", digest, sum)
	}
	pub, ok := signer.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return fmt.Errorf("signer %q has no SM2 key", signer.Subject)
	}
	// A nil user ID is the default one, 1234567812345678 (GM/T 0009).
	if !sm2.VerifyASN1WithSM2(pub, nil, si.signed, si.signature) {
		return errors.New("the SM2 signature does not verify")
	}
	return nil
}

// parseCertificates is x509.ParseCertificates, with certs.ParseCertificate
// for a set crypto/x509 refuses or whose signature algorithm it does not
// know (the SM2 certificates of the sm suite). A set crypto/x509 parses
// with known algorithms is its result, unchanged.
func parseCertificates(der []byte) ([]*x509.Certificate, error) {
	list, err := x509.ParseCertificates(der)
	if err == nil && !anySM(list) {
		return list, nil
	}
	var out []*x509.Certificate
	for rest := der; len(rest) > 0; {
		elem, next, splitErr := cms.SplitElement(rest)
		if splitErr != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out), splitErr)
		}
		c, perr := certs.ParseCertificate(elem)
		if perr != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out), perr)
		}
		out, rest = append(out, c), next
	}
	return out, nil
}

// anySM reports whether a certificate of list is signed with an algorithm
// crypto/x509 does not know, which may be SM2 with SM3.
func anySM(list []*x509.Certificate) bool {
	for _, c := range list {
		if c.SignatureAlgorithm == x509.UnknownSignatureAlgorithm {
			return true
		}
	}
	return false
}

// smChain reports whether signer's chain is for checkChainSM: signer
// carries an SM2 key or an SM2-with-SM3 signature, which crypto/x509
// cannot verify. Only the signer decides, never the other certificates a
// verifier passes (a trust bundle may mix suites): a suite's CAs are all of
// it, so an ecdsa certificate is never issued by an sm CA.
func smChain(signer *x509.Certificate) bool { return isSM(signer) }

func isSM(c *x509.Certificate) bool {
	return c.SignatureAlgorithm == smx509.SM2WithSM3 || sm2.IsSM2PublicKey(c.PublicKey)
}

// maxChainSM bounds the chains checkChainSM builds: root, organization CA,
// TSA, and room for one more intermediate.
const maxChainSM = 4

// checkChainSM is CheckChain's x509.Verify for the sm suite: it builds the
// chain from signer up through the candidates (the token's certificates
// and intermediates) and checks, at time at, each link as RFC 5280 §6.1
// would for this PKI: the issuer's name is the subject's issuer, its
// signature verifies (SM2 with SM3, or ECDSA), it is a CA (basic
// constraints, keyCertSign when key usage is present, path length), its
// extended key usage (if any) allows timeStamping, every certificate is
// valid at at and has no critical extension left unhandled. The chain ends
// at a certificate roots holds. It returns the chain, signer first, root
// last.
//
// Since a CertPool cannot be listed, the root must also be among the
// candidates: the built-in TSA embeds its whole chain, root included, in
// every token that asks for certificates; a Checker made by
// NewCheckerForRoots adds its roots; otherwise a verifier holding a token
// without certificates passes the chain, root included, as intermediates.
func checkChainSM(signer *x509.Certificate, at time.Time, roots *x509.CertPool, candidates []*x509.Certificate) ([]*x509.Certificate, error) {
	chain := []*x509.Certificate{signer}
	for cur := signer; ; {
		if err := usableAt(cur, at); err != nil {
			return nil, err
		}
		if inPool(roots, cur, at) {
			if len(chain) < 2 {
				return nil, fmt.Errorf("the TSA certificate %q is itself a root", cur.Subject)
			}
			return chain, nil
		}
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) && certs.CheckSignatureFrom(cur, cur) == nil {
			return nil, fmt.Errorf("the chain ends at %q, a root that is not trusted", cur.Subject)
		}
		if len(chain) == maxChainSM {
			return nil, fmt.Errorf("no trusted root within %d certificates of %q", maxChainSM, signer.Subject)
		}
		parent, err := findIssuer(cur, candidates, len(chain)-1)
		if err != nil {
			return nil, err
		}
		chain, cur = append(chain, parent), parent
	}
}

// usableAt checks c's validity at at and its critical extensions.
var usableAt = certs.UsableAt

// findIssuer finds among candidates the CA that signed c, which has
// below CA certificates under it before the signer.
func findIssuer(c *x509.Certificate, candidates []*x509.Certificate, below int) (*x509.Certificate, error) {
	return certs.FindIssuer(c, candidates, func(p *x509.Certificate) error { return canIssue(p, below) },
		fmt.Errorf("no issuer of %q among the token's certificates and the intermediates", c.Subject))
}

// canIssue checks that p may be the CA of a chain with below CA
// certificates under it, for a time-stamping certificate.
func canIssue(p *x509.Certificate, below int) error {
	if err := certs.MayIssue(p, below); err != nil {
		return err
	}
	if len(p.ExtKeyUsage) == 0 && len(p.UnknownExtKeyUsage) == 0 {
		return nil
	}
	for _, u := range p.ExtKeyUsage {
		if u == x509.ExtKeyUsageTimeStamping || u == x509.ExtKeyUsageAny {
			return nil
		}
	}
	return fmt.Errorf("%q's extended key usage excludes timeStamping", p.Subject)
}

// inPool reports whether roots trusts c itself (certs.InPool).
var inPool = certs.InPool
