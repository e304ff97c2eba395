package webhooks

import "errors"

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound means the organization has no webhook with this ID.
	ErrNotFound = errors.New("webhooks: not found")
	// ErrBadInput means a webhook's URL or events are not acceptable; the
	// wrapping error says which and why.
	ErrBadInput = errors.New("webhooks: invalid input")
	// ErrPrivateAddress means a connection to a non-public address was
	// refused (see Config.AllowPrivate).
	ErrPrivateAddress = errors.New("webhooks: refusing to connect to a non-public address")

	// ErrSignatureHeader means a Custos-Signature header is malformed.
	ErrSignatureHeader = errors.New("webhooks: malformed signature header")
	// ErrSignature means no signature in the header matches the body.
	ErrSignature = errors.New("webhooks: signature does not match")
	// ErrTimestamp means the signature's time is outside the tolerance: a
	// replay, or clocks far apart.
	ErrTimestamp = errors.New("webhooks: signature time outside tolerance")
)
