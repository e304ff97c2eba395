package receipt

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/internal/rfc3161"
)

// checkTimestamp checks each RFC 3161 token of r: its SHA-256 is the hash
// the created event recorded at the same position, and the Verifier's
// rfc3161.Checker (rfc3161.Check, with the TSA chains it has verified
// remembered) verifies it offline at its own genTime (RFC 3161 §2.4.2): a granted
// reply, a valid CMS signature, a message imprint of SHA-256 and the
// evidence digest, and a TSA certificate (critical id-kp-timeStamping,
// §2.3) chaining to the trusted root. A further token (i > 0, from an
// external TSA) whose TSA chains to no trusted root is reported as
// unverified rather than failing the receipt; any other fault fails it.
func (v *Verifier) checkTimestamp(r *Receipt, created *custody.Event) ([]TimestampResult, error) {
	digest, err := hex.DecodeString(r.Evidence.SHA256)
	if err != nil { // r.check ruled this out
		return nil, &VerifyError{Step: StepFormat, Err: fmt.Errorf("%w: sha256: %v", ErrMalformed, err)}
	}
	out := make([]TimestampResult, len(r.Timestamps))
	for i, t := range r.Timestamps {
		reply, err := base64.StdEncoding.DecodeString(t) // r.check ruled out any but canonical base64
		if err != nil {
			return nil, fail(StepFormat, ErrMalformed, "", "", "timestamps[%d]: %v", i, err)
		}
		sum := sha256.Sum256(reply)
		h := hex.EncodeToString(sum[:])
		if h != created.Tokens[i] {
			return nil, fail(StepTimestamp, ErrTimestamp, "SHA-256 "+created.Tokens[i]+" (recorded in the created event)", "SHA-256 "+h,
				"token %d is not the token recorded in the custody chain", i)
		}
		ts, err := v.checker().Check(reply, crypto.SHA256, digest, v.intermediates)
		if i > 0 && errors.Is(err, rfc3161.ErrUntrusted) {
			// An external TSA the bundle does not name: the token is the
			// one the anchored created event recorded, but nothing here
			// vouches for its TSA. Say so; the built-in token decides.
			out[i] = TimestampResult{Hash: h, Unverified: untrustedReason(err)}
			continue
		}
		if err != nil {
			return nil, &VerifyError{Step: StepTimestamp,
				Want: "a token over SHA-256 " + r.Evidence.SHA256 + " from a TSA under the consortium root",
				Got:  err.Error(),
				Err:  fmt.Errorf("%w: token %d: %w", ErrTimestamp, i, err)}
		}
		out[i] = TimestampResult{Time: ts.Time.UTC(), TSA: v.tsaName(ts.Certificates), Hash: h}
		if ts.SerialNumber != nil {
			out[i].Serial = ts.SerialNumber.String()
		}
	}
	return out, nil
}

// checker returns v's rfc3161.Checker: a Verifier checks each TSA chain (two
// P-256 signatures) once, and then only each token's own signature.
// untrustedReason says why a further token whose chain check failed
// (rfc3161.ErrUntrusted) is not checked: its TSA chains to no root of the
// bundle, or its certificate, though under the bundle's roots perhaps,
// does not check at the token's time (expired, or without the critical
// timeStamping extended key usage). Either way the token is reported, not
// failed: a node records an external TSA's token without checking its
// chain when it has no CA file for it (notary.Client.Roots), so a receipt
// issued validly may carry one.
func untrustedReason(err error) string {
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return "its TSA chains to no root in the trust bundle (add it to tsa_roots_pem to check it)"
	}
	return "its TSA certificate does not check at the token's time under the trust bundle: " + err.Error()
}

func (v *Verifier) checker() *rfc3161.Checker { return v.tsaChecker }

// tsaName names the TSA for display: the subject CN of the first
// time-stamping certificate in the token, else in the trust bundle's TSA
// chain. The Checker has already established which certificate signed.
func (v *Verifier) tsaName(embedded []*x509.Certificate) string {
	for _, list := range [][]*x509.Certificate{embedded, v.intermediates} {
		for _, c := range list {
			if certs.CheckTSA(c) == nil {
				return c.Subject.CommonName
			}
		}
	}
	return ""
}
