package evidence

import (
	"errors"

	"github.com/custos-project/custos/internal/text"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound means no evidence record has the given ID.
	ErrNotFound = errors.New("evidence: not found")
	// ErrEmpty means the upload had no bytes.
	ErrEmpty = errors.New("evidence: empty upload")
	// ErrTooLarge means the upload exceeded the configured size limit.
	ErrTooLarge = errors.New("evidence: upload exceeds the size limit")
	// ErrBadMetadata means the upload's metadata failed validation.
	ErrBadMetadata = errors.New("evidence: invalid metadata")
	// ErrUnavailable means a dependency (object store, external TSA) failed;
	// nothing was committed and the client may retry.
	ErrUnavailable = errors.New("evidence: a dependency is unavailable")
	// ErrTSAFailed means a time-stamping authority answered, but with a
	// token that cannot be used (refused, mismatched, untrusted); nothing was
	// committed. Retrying will not help until the TSA or its configuration
	// is fixed.
	ErrTSAFailed = errors.New("evidence: a time-stamping authority returned no usable token")
	// ErrNotStored means the record is committed but its blob is still being
	// promoted to its final key (retried in the background).
	ErrNotStored = errors.New("evidence: content not yet in its final location")
	// ErrBadDigest means a digest is not 64 lowercase hex digits.
	ErrBadDigest = errors.New("evidence: a SHA-256 digest is 64 lowercase hex digits")
	// ErrUploadState means an Upload method was called out of order.
	ErrUploadState = errors.New("evidence: upload used out of order")
)

// MetadataError lists the metadata fields that failed validation, with a
// message a person can act on. It matches ErrBadMetadata with errors.Is.
type MetadataError struct {
	Fields []FieldError
}

// FieldError is one invalid metadata field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`

	char *text.Error // the refused character, when that is what is wrong
}

func (e *MetadataError) Error() string {
	if len(e.Fields) == 0 {
		return ErrBadMetadata.Error()
	}
	return ErrBadMetadata.Error() + ": " + e.Fields[0].Field + ": " + e.Fields[0].Message
}

// Is makes errors.Is(err, ErrBadMetadata) true.
func (e *MetadataError) Is(target error) bool { return target == ErrBadMetadata }

// Unwrap returns the *text.Error of the first field that holds an
// invisible, direction-changing or control character (named as the field
// is, for example "file[0].file_name"), or nil when none does.
func (e *MetadataError) Unwrap() error {
	for _, f := range e.Fields {
		if f.char != nil {
			c := *f.char
			c.Field = f.Field
			return &c
		}
	}
	return nil
}

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
