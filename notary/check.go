package notary

import (
	"crypto"
	"crypto/x509"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/rfc3161"
)

// Check verifies a stored reply against a digest, offline: the reply's
// status, the token's signature, its imprint, and the signer's chain to
// roots at the token's own genTime (rfc3161.Check, which the receipt
// verifier uses too). Failures wrap ErrBadReply, ErrMismatch or
// ErrUntrusted. It returns the parsed token.
func Check(reply []byte, h crypto.Hash, digest []byte, roots *x509.CertPool, intermediates []*x509.Certificate) (*timestamp.Timestamp, error) {
	return rfc3161.Check(reply, h, digest, roots, intermediates)
}

// The steps of Check, which the Client runs with a nonce check between.
var (
	checkStatus    = rfc3161.CheckStatus
	checkSignature = rfc3161.CheckSignature
	checkImprint   = rfc3161.CheckImprint
	checkChain     = rfc3161.CheckChain
	checkTSACert   = rfc3161.CheckTSACert
	splitSequence  = cms.SplitSequence
)
