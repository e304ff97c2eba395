package rfc3161

import (
	"crypto/x509"
	"errors"

	"github.com/digitorus/timestamp"
)

// Prime verifies the chain of a TSA certificate through intermediates to
// the Checker's roots, as checking one of its tokens would, and keeps it:
// the TSA's first token then finds its chain verified. The chain is
// checked at the start of the window in which all of signer and
// intermediates are valid, and the cache serves it only at times within
// the chain's own window (cached), so a token's result is the same primed
// or not. A verifier that knows its TSA ahead of the first token (a trust
// bundle's tsa_chain_pem) primes it while it waits for the token.
func (c *Checker) Prime(signer *x509.Certificate, intermediates []*x509.Certificate) error {
	at := signer.NotBefore
	for _, cert := range intermediates {
		if cert.NotBefore.After(at) {
			at = cert.NotBefore
		}
	}
	for _, cert := range append([]*x509.Certificate{signer}, intermediates...) {
		if at.After(cert.NotAfter) {
			return errors.New("rfc3161: the certificates are never valid at once")
		}
	}
	return c.checkChain(signer, &timestamp.Timestamp{Time: at}, intermediates)
}
