package receipt

import (
	"bytes"
	"errors"
	"testing"

	"github.com/custos-project/custos/certs"
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
