package receipt

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/rfc3161"
)

// A receipt may carry tokens of external TSAs beside the built-in one.
func TestExternalTokens(t *testing.T) {
	t.Run("untrusted external token is reported, not failed", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{external: true})
		res, err := Verify(f.receipt, bytes.NewReader(f.artifact), f.trust, Options{})
		if err != nil {
			t.Fatalf("Verify = %v, want valid", err)
		}
		if len(res.Timestamps) != 2 || res.Timestamps[0].Unverified != "" || res.Timestamps[1].Unverified == "" {
			t.Errorf("timestamps = %+v; want the second reported unverified", res.Timestamps)
		}
	})
	t.Run("trusted through tsa_roots_pem", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{external: true})
		f.trust.TSARootsPEM = string(certs.EncodePEM(f.externalRoot))
		res, err := Verify(f.receipt, bytes.NewReader(f.artifact), f.trust, Options{})
		if err != nil {
			t.Fatalf("Verify = %v, want valid", err)
		}
		if res.Timestamps[1].Unverified != "" || res.Timestamps[1].TSA != "Independent TSA" {
			t.Errorf("second token = %+v; want verified, from Independent TSA", res.Timestamps[1])
		}
	})
	t.Run("the first token must verify", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{external: true, externalFirst: true})
		_, err := Verify(f.receipt, bytes.NewReader(f.artifact), f.trust, Options{})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Step != StepTimestamp {
			t.Errorf("Verify with an untrusted first token = %v, want a failure at the timestamp step", err)
		}
	})
	t.Run("a forged external token still fails", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{external: true})
		f.receipt.Timestamps[1] = f.receipt.Timestamps[0] // not the token the created event recorded
		_, err := Verify(f.receipt, bytes.NewReader(f.artifact), f.trust, Options{})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Step != StepTimestamp {
			t.Errorf("Verify with a swapped external token = %v, want a failure at the timestamp step", err)
		}
	})
}

// TestUntrustedReason: a further token that fails only its chain check is
// reported unverified with the reason that holds: chaining to no root of
// the bundle, or a certificate the bundle's roots do vouch for but that
// does not check at the token's time (expired, or not a TSA's).
func TestUntrustedReason(t *testing.T) {
	for _, c := range []struct {
		err   error
		words string
	}{
		{fmt.Errorf("%w: at 2026: %w", rfc3161.ErrUntrusted, x509.UnknownAuthorityError{}), "chains to no root in the trust bundle"},
		{fmt.Errorf("%w: at 2026: %w", rfc3161.ErrUntrusted, x509.CertificateInvalidError{Reason: x509.Expired}), "does not check at the token's time"},
		{fmt.Errorf("%w: %w", rfc3161.ErrUntrusted, errors.New("certs: not a time-stamping certificate")), "not a time-stamping certificate"},
	} {
		if got := untrustedReason(c.err); !strings.Contains(got, c.words) {
			t.Errorf("untrustedReason(%v) = %q, want it to say %q", c.err, got, c.words)
		}
	}
}
