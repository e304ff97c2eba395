package certs

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"slices"
	"time"
)

// The links of a chain of either suite, for checks that cannot use
// x509.Verify because crypto/x509 knows no SM2 (internal/rfc3161 for
// time-stamp tokens, notary/pdf for certificate PDFs). Each caller walks
// its chain and adds the checks of its purpose (extended key usage).

// FindIssuer returns the first of candidates that issued c: its subject is
// c's issuer, its key signed c (CheckSignatureFrom), and may, when not nil,
// accepts it. When none does, it returns the error of the last candidate
// named as c's issuer, or none if no candidate is.
func FindIssuer(c *x509.Certificate, candidates []*x509.Certificate, may func(*x509.Certificate) error, none error) (*x509.Certificate, error) {
	last := none
	for _, p := range candidates {
		if p == c || !bytes.Equal(p.RawSubject, c.RawIssuer) {
			continue
		}
		if err := CheckSignatureFrom(c, p); err != nil {
			last = fmt.Errorf("%q is not signed by %q: %w", c.Subject, p.Subject, err)
			continue
		}
		if may != nil {
			if err := may(p); err != nil {
				last = err
				continue
			}
		}
		return p, nil
	}
	return nil, last
}

// MayIssue checks that p may be the CA of a chain with below CA
// certificates under it (RFC 5280 §4.2.1.9, §4.2.1.3): a CA by its basic
// constraints, keyCertSign when key usage is present, within its path
// length.
func MayIssue(p *x509.Certificate, below int) error {
	switch {
	case !p.BasicConstraintsValid || !p.IsCA:
		return fmt.Errorf("%q is not a CA", p.Subject)
	case p.KeyUsage != 0 && p.KeyUsage&x509.KeyUsageCertSign == 0:
		return fmt.Errorf("%q may not sign certificates (key usage)", p.Subject)
	case p.MaxPathLen >= 0 && below > p.MaxPathLen: // -1: no limit
		return fmt.Errorf("%q allows %d CAs below it, not %d", p.Subject, p.MaxPathLen, below)
	}
	return nil
}

// UsableAt checks c's validity at at and that it has no critical
// extension left unhandled.
func UsableAt(c *x509.Certificate, at time.Time) error {
	if at.Before(c.NotBefore) || at.After(c.NotAfter) {
		return fmt.Errorf("%q is valid from %s to %s, not at %s", c.Subject,
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if len(c.UnhandledCriticalExtensions) > 0 {
		return fmt.Errorf("%q has an unhandled critical extension %v", c.Subject, c.UnhandledCriticalExtensions[0])
	}
	return nil
}

// InPool reports whether roots trusts c itself. A CertPool cannot be
// listed; crypto/x509 verifies a certificate the pool holds as a chain of
// that certificate alone, checking no signature (so an SM2 root passes),
// and any other certificate only through signatures it knows, which an SM2
// certificate never is.
func InPool(roots *x509.CertPool, c *x509.Certificate, at time.Time) bool {
	_, err := c.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}

// CheckNodeChain checks, for either suite, the chain of a node certificate
// issued by one of cas under root, as x509.Verify would for a chain of
// three but with CheckSignatureFrom (an SM2-with-SM3 signature included):
// leaf issued by one of cas that may issue, that CA issued by root, which
// may issue one CA below it, every certificate usable at at, and usage
// allowed by the extended key usage of leaf and of the CA (when they list
// any). It returns the organization CA that issued leaf.
//
// The leaf must be parsed with ParseCertificate: crypto/x509 alone leaves
// an SM2-with-SM3 signature's algorithm unknown.
func CheckNodeChain(leaf *x509.Certificate, cas []*x509.Certificate, root *x509.Certificate, at time.Time, usage x509.ExtKeyUsage) (*x509.Certificate, error) {
	org, err := FindIssuer(leaf, cas, func(p *x509.Certificate) error { return MayIssue(p, 0) },
		fmt.Errorf("%q is issued by %q, not a known organization CA", leaf.Subject, leaf.Issuer))
	if err != nil {
		return nil, err
	}
	if _, err := FindIssuer(org, []*x509.Certificate{root}, func(p *x509.Certificate) error { return MayIssue(p, 1) },
		fmt.Errorf("%q is not issued by the root %q", org.Subject, root.Subject)); err != nil {
		return nil, err
	}
	for _, c := range []*x509.Certificate{leaf, org, root} {
		if err := UsableAt(c, at); err != nil {
			return nil, err
		}
	}
	for _, c := range []*x509.Certificate{leaf, org} {
		if len(c.ExtKeyUsage) > 0 && !slices.Contains(c.ExtKeyUsage, usage) && !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) {
			return nil, fmt.Errorf("%q does not allow the extended key usage %v", c.Subject, usage)
		}
	}
	return org, nil
}
