package pdfcheck

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/rfc3161"
)

// The sm suite (certs.SuiteSM; docs/security.md, "SM2 and SM3"). A
// signature whose SignerInfo names SM3 and SM2-with-SM3 is verified by
// gmsm, since crypto/x509 knows neither:
//
//   - digest: the message-digest attribute is SM3 of the byte ranges;
//   - signature: SM2 over SM3(Z_A ‖ DER signed attributes), Z_A with the
//     default user ID 1234567812345678 (GM/T 0009); the
//     signing-certificate-v2 attribute names the signer by SHA-256, as in
//     the TSA's tokens;
//   - timestamp: the token's imprint is SM3 of the signature value (or
//     SHA-2 from a TSA that takes no SM3), checked by rfc3161.Check, which
//     checks SM2 tokens on a path of its own;
//   - chain: checkChainSM.

// checkSignatureSM verifies the SM2 signature over the signed attributes
// with signer's key. A signer of the sm suite signs with the sm
// algorithms only, and only an SM2 key signs with them: crypto/x509 would
// accept a plain ECDSA signature over the SM2 curve, which no GM/T
// verifier would.
func checkSignatureSM(signer *x509.Certificate, alg Algorithm, attrs, sig []byte) error {
	pub, ok := signer.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) || !alg.SM {
		return fmt.Errorf("%w: signer %q (SM2 key: %v) with signature algorithm %v", ErrSignature, signer.Subject, ok && sm2.IsSM2PublicKey(pub), alg.Sig)
	}
	// A nil user ID is the default one, 1234567812345678.
	if !sm2.VerifyASN1WithSM2(pub, nil, attrs, sig) {
		return fmt.Errorf("%w: the SM2 signature does not verify", ErrSignature)
	}
	return nil
}

// checkTimestampSM is checkTimestamp in the sm suite: the imprint may be
// SM3, which digitorus/timestamp does not know, so its hash is read from
// the TSTInfo here.
func checkTimestampSM(token []byte, signed *signedData, roots *x509.CertPool) (*timestamp.Timestamp, error) {
	fail := func(err error) (*timestamp.Timestamp, error) {
		return nil, &VerifyError{Step: "timestamp", Err: fmt.Errorf("%w: %w", ErrTimestamp, err)}
	}
	sd, err := cms.Decode(token)
	if err != nil {
		return fail(err)
	}
	inf, err := cms.DecodeTSTInfo(sd.Content)
	if err != nil {
		return fail(err)
	}
	var digest []byte
	h := cms.ImprintHash(inf.MessageImprint.HashAlgorithm.Algorithm)
	switch h {
	case cms.SM3:
		d := sm3.Sum(signed.sig)
		digest = d[:]
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
		d := h.New()
		d.Write(signed.sig)
		digest = d.Sum(nil)
	default:
		return fail(fmt.Errorf("imprint hash %v", inf.MessageImprint.HashAlgorithm.Algorithm))
	}
	checked, err := rfc3161.Check(cms.EncodeReply(token), h, digest, roots, signed.certs)
	if err != nil {
		return fail(err)
	}
	return checked, nil
}

// isSM reports whether c is of the sm suite: an SM2 key or an
// SM2-with-SM3 signature, which crypto/x509 cannot verify.
func isSM(c *x509.Certificate) bool {
	return sm2.IsSM2PublicKey(c.PublicKey) || c.SignatureAlgorithm == smx509.SM2WithSM3
}

// maxChainSM bounds the chains checkChainSM builds: root, organization CA,
// notary, and room for one more CA.
const maxChainSM = 4

// checkChainSM is checkChain's x509.Verify for the sm suite. It builds the
// chain from signer up through the embedded certificates and checks at
// time at each link as RFC 5280 §6.1 would for this PKI: validity, no
// unhandled critical extension (certs.UsableAt), the issuer's name and SM2
// (or ECDSA) signature (certs.FindIssuer), the issuer is a CA that may
// sign certificates, within its path length (certs.MayIssue), and every
// extended key usage on the way allows emailProtection (as NSS requires of
// a PDF signer). The chain ends at a certificate roots holds; since a
// CertPool cannot be listed, that root must be embedded too, as Sign
// embeds the notary's whole chain (certs.Leaf.Chain ends at the root).
func checkChainSM(signer *x509.Certificate, embedded []*x509.Certificate, roots *x509.CertPool, at time.Time) ([]*x509.Certificate, error) {
	chain := []*x509.Certificate{signer}
	for cur := signer; ; {
		if err := certs.UsableAt(cur, at); err != nil {
			return nil, err
		}
		if !allowsEmailProtection(cur) {
			return nil, fmt.Errorf("%q's extended key usage excludes emailProtection", cur.Subject)
		}
		if len(chain) > 1 && certs.InPool(roots, cur, at) {
			return chain, nil
		}
		if len(chain) == maxChainSM {
			return nil, fmt.Errorf("no trusted root within %d certificates of %q", maxChainSM, signer.Subject)
		}
		below := len(chain) - 1
		parent, err := certs.FindIssuer(cur, embedded, func(p *x509.Certificate) error { return certs.MayIssue(p, below) },
			fmt.Errorf("no issuer of %q among the embedded certificates", cur.Subject))
		if err != nil {
			return nil, err
		}
		chain, cur = append(chain, parent), parent
	}
}

// allowsEmailProtection reports whether c has no extended key usage, or
// one that includes emailProtection or any.
func allowsEmailProtection(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageEmailProtection) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}
