package cms

import "errors"

var (
	// ErrMalformed reports bytes that are not the DER of the structure
	// asked for, or that are followed by trailing bytes.
	ErrMalformed = errors.New("cms: malformed DER")

	// ErrUnsupported reports a well-formed structure with a part this
	// package does not handle: more than one SignerInfo, revocation
	// information inside the SignedData, an unknown hash.
	ErrUnsupported = errors.New("cms: unsupported")

	// ErrNotGranted reports a TimeStampResp whose status is neither
	// granted nor grantedWithMods (RFC 3161 §2.4.2).
	ErrNotGranted = errors.New("cms: time-stamp not granted")
)
