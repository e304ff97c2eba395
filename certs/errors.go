package certs

import "errors"

var (
	// ErrKind reports an organization kind other than KindCourt, KindNotary
	// or KindArbitration.
	ErrKind = errors.New("certs: unknown organization kind")

	// ErrNotCA reports an Authority whose certificate may not issue the
	// requested certificate (not a CA, or its path length forbids it).
	ErrNotCA = errors.New("certs: issuer cannot issue this certificate")

	// ErrSuite reports an unknown signature suite name.
	ErrSuite = errors.New("certs: unknown signature suite")

	// ErrPEM reports malformed PEM: a block of the wrong type, trailing
	// garbage, or no block at all.
	ErrPEM = errors.New("certs: malformed PEM")

	// ErrKey reports a private key that cannot be parsed, is not a signer,
	// or does not match its certificate.
	ErrKey = errors.New("certs: bad private key")

	// ErrNotTSA reports a certificate that lacks what RFC 3161 §2.3 demands
	// of a TSA certificate: exactly one, critical, extended key usage
	// extension holding only id-kp-timeStamping.
	ErrNotTSA = errors.New("certs: not a time-stamping certificate")

	// ErrIncomplete reports a development PKI directory holding some, but
	// not all, of its files outside of an interrupted creation. It is never
	// repaired automatically: a PKI that issued tokens must not be replaced
	// silently.
	ErrIncomplete = errors.New("certs: incomplete PKI directory")

	// ErrChain reports stored certificates that do not form the chain
	// root → organization CA → TSA.
	ErrChain = errors.New("certs: broken certificate chain")

	// ErrPurpose reports a certificate purpose other than PurposeTSA or
	// PurposeNotary.
	ErrPurpose = errors.New("certs: unknown certificate purpose")

	// ErrNotNotary reports a certificate that may not sign documents.
	ErrNotNotary = errors.New("certs: not a document-signing certificate")

	// ErrValidity reports a certificate outside its validity period.
	ErrValidity = errors.New("certs: certificate not valid now")
)

// ErrNotGovernance reports a certificate that is not a governance
// certificate: not ECDSA P-256, or not for digital signatures, or without
// the critical extended key usage holding only oids.GovernanceKey.
var ErrNotGovernance = errors.New("certs: not a governance certificate")
