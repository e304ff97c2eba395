package rfc3161

import "errors"

// The errors of a failed check. Their texts keep the words the notary
// package has always printed ("notary: ..."), since verdicts quote them;
// the notary package re-exports these same values.
var (
	// ErrBadReply reports a time-stamp reply that is malformed, not granted,
	// badly signed, or does not answer the request it was sent for.
	ErrBadReply = errors.New("notary: bad time-stamp reply")

	// ErrMismatch reports a token whose message imprint or nonce differs
	// from the one requested or checked.
	ErrMismatch = errors.New("notary: time-stamp does not match")

	// ErrUntrusted reports a token whose signer does not chain to the
	// trusted roots at the token's time, or is not a TSA certificate.
	ErrUntrusted = errors.New("notary: time-stamp signer not trusted")
)
