package ers

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed reports bytes that are not the DER of an EvidenceRecord
	// (RFC 4998 §3), or that are followed by trailing bytes.
	ErrMalformed = errors.New("ers: malformed evidence record")

	// ErrUnsupported reports a well-formed record with a part this package
	// does not handle: cryptoInfos, encryptionInfo or attributes, a digest
	// algorithm other than SHA-256, SHA-384 and SHA-512, or one with
	// parameters.
	ErrUnsupported = errors.New("ers: unsupported evidence record")

	// ErrTooLarge reports a record, or a part of one, beyond the limits of
	// Decode (MaxSize, and the counts in docs/evidence-records.md).
	ErrTooLarge = errors.New("ers: evidence record too large")

	// ErrMismatch reports a hash that a record does not cover: the data
	// object's hash is not in the reduced hash tree, the root is not the
	// time-stamped one, or a renewal does not cover what it renews.
	ErrMismatch = errors.New("ers: evidence record does not match")

	// ErrBadToken reports a time-stamp token that is malformed or badly
	// signed.
	ErrBadToken = errors.New("ers: bad time-stamp token")

	// ErrUntrusted reports a time-stamp token whose signer does not chain
	// to the trusted roots at the time it must be valid.
	ErrUntrusted = errors.New("ers: time-stamp signer not trusted")

	// ErrMissingHash reports a record that uses a hash algorithm for which
	// the caller gave no hash of the data object.
	ErrMissingHash = errors.New("ers: no hash of the data object for an algorithm of the record")

	// ErrInput reports a call with bad arguments: no items, a hash of the
	// wrong size, an unsupported algorithm.
	ErrInput = errors.New("ers: bad input")
)

// VerifyError is a failed step of Verify: which step, on which
// ArchiveTimeStamp (Chain and Index, from 0), and what was expected and
// found. It wraps one of the sentinels above.
type VerifyError struct {
	Step         string // checkStructure, checkDataHash, checkRoot, checkRenewal, checkToken, checkValidity
	Chain, Index int    // the ArchiveTimeStamp; -1 when the step is about the whole record
	Want, Got    string
	Err          error
}

func (e *VerifyError) Error() string {
	where := "record"
	if e.Chain >= 0 {
		where = fmt.Sprintf("chain %d, archive time-stamp %d", e.Chain, e.Index)
	}
	s := fmt.Sprintf("%s: %s: %v", e.Step, where, e.Err)
	if e.Want != "" || e.Got != "" {
		s += fmt.Sprintf(" (want %s, got %s)", e.Want, e.Got)
	}
	return s
}

func (e *VerifyError) Unwrap() error { return e.Err }
