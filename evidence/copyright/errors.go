package copyright

import "errors"

// Copyright registration errors.
var (
	// ErrBadRegistration means a registration names files that cannot be
	// registered: not the organization's own, already registered, or none.
	ErrBadRegistration = errors.New("evidence: invalid copyright registration")
	// ErrNotOwner means an act on a registration that only its current
	// owner organization may perform.
	ErrNotOwner = errors.New("evidence: not the registration's owner")
	// ErrRevoked means the registration is revoked and cannot change hands.
	ErrRevoked = errors.New("evidence: the registration is revoked")
	// ErrBadLang means a certificate was asked for in a language it is not
	// issued in (LangZH and LangEN are).
	ErrBadLang = errors.New("evidence: no registration certificate is issued in the language")
)

// Copyright transfer offer errors.
var (
	// ErrOfferPending means the registration already has a pending
	// transfer offer; it must be settled (accepted, declined, withdrawn or
	// expired) before another is made.
	ErrOfferPending = errors.New("evidence: the registration has a pending transfer offer")
	// ErrNotRecipient means an offer was accepted or declined by the
	// organization that made it: only its recipient may.
	ErrNotRecipient = errors.New("evidence: only the offer's recipient may accept or decline it")
	// ErrNotOfferer means an offer was withdrawn by its recipient: only the
	// organization that made it may.
	ErrNotOfferer = errors.New("evidence: only the organization that made the offer may withdraw it")
	// ErrOfferSettled means the offer was already accepted, declined or
	// withdrawn.
	ErrOfferSettled = errors.New("evidence: the transfer offer is settled")
	// ErrOfferExpired means the offer expired before it was accepted or
	// declined.
	ErrOfferExpired = errors.New("evidence: the transfer offer has expired")
	// ErrBadOffer means an offer's parameters are invalid (the recipient
	// is the owner, or the expiry is out of bounds).
	ErrBadOffer = errors.New("evidence: invalid transfer offer")
)
