package notary

import (
	"errors"

	"github.com/custos-project/custos/internal/rfc3161"
)

var (
	// ErrBadQuery reports a time-stamp query that is not a DER TimeStampReq
	// (RFC 3161 §2.4.1) at all. The HTTP handler answers it with 400. A query
	// that parses but asks for something unsupported is not an error: it gets
	// a rejection reply (RFC 3161 §2.4.2).
	ErrBadQuery = errors.New("notary: malformed time-stamp query")

	// ErrBadReply reports a time-stamp reply that is malformed, not granted,
	// badly signed, or does not answer the request it was sent for.
	ErrBadReply = rfc3161.ErrBadReply

	// ErrUnavailable reports a time-stamping authority that could not be
	// reached, timed out, or answered with a server error. The request may be
	// retried later; the API answers 503.
	ErrUnavailable = errors.New("notary: time-stamping authority unavailable")

	// ErrMismatch reports a token whose message imprint or nonce differs
	// from the one requested or checked.
	ErrMismatch = rfc3161.ErrMismatch

	// ErrUntrusted reports a token whose signer does not chain to the
	// trusted roots at the token's time, or is not a TSA certificate.
	ErrUntrusted = rfc3161.ErrUntrusted

	// ErrUnsupportedHash reports a hash function other than SHA-256, SHA-384
	// or SHA-512.
	ErrUnsupportedHash = errors.New("notary: unsupported hash function")

	// ErrDigestSize reports a digest whose length is not its hash's size.
	ErrDigestSize = errors.New("notary: digest has the wrong length")

	// ErrCertValidity reports a built-in TSA asked to stamp outside the
	// validity period of its certificate chain.
	ErrCertValidity = errors.New("notary: TSA certificate not valid now")

	// ErrConfig reports an invalid TSAConfig.
	ErrConfig = errors.New("notary: invalid TSA configuration")
)
