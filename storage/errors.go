package storage

import "errors"

var (
	// ErrNotFound is returned when a key (or, for Promote, a staged blob
	// that was never promoted) does not exist.
	ErrNotFound = errors.New("storage: not found")

	// ErrConflict is returned by Promote when the key already holds a blob
	// of a different size: the content address does not match the content.
	ErrConflict = errors.New("storage: key holds different content")

	// ErrBadKey is returned for a key that is not "sha256/<64 hex>" or
	// "sm3/<64 hex>", or a staged name outside [A-Za-z0-9_-]{1,64}.
	ErrBadKey = errors.New("storage: bad key or name")

	// ErrNoObjectLock is returned by NewS3 when the bucket exists but was
	// created without Object Lock, which cannot be enabled afterwards on
	// every S3 implementation.
	ErrNoObjectLock = errors.New("storage: bucket has no object lock")

	// ErrUnavailable wraps object-store failures that are expected to be
	// transient: connection refused or reset, timeouts, 5xx answers. The
	// API answers them with 503 and Retry-After.
	ErrUnavailable = errors.New("storage: object store unavailable")
)
