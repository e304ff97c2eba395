package receipt

import (
	"errors"
	"fmt"
)

// Step names, as carried by VerifyError.Step and shown to a court.
const (
	StepFormat     = "format"          // the receipt's own encoding and syntax
	StepDigest     = "digest"          // the evidence file against the receipt's digests and size
	StepCustody    = "custody"         // the custody events and their hash chain
	StepComplete   = "completeness"    // the custody head: how many events the item has, and that the receipt accounts for each
	StepTimestamp  = "timestamp"       // the RFC 3161 time-stamp tokens
	StepInclusion  = "inclusion"       // each event's RFC 6962 inclusion proof into the checkpoint's log
	StepCheckpoint = "checkpoint"      // the consortium's signatures on the checkpoint
	StepRecord     = "evidence-record" // the embedded RFC 4998 evidence record (version 5)
)

var (
	// ErrMalformed reports a receipt that is not one canonical receipt
	// document of this version: bad JSON, an unknown field, trailing data, a
	// non-canonical spelling or a field of the wrong form.
	ErrMalformed = errors.New("receipt: malformed receipt")

	// ErrBadTrust reports a trust bundle that cannot be used: bad JSON, an
	// unknown field, no validators, a key that is not 32 bytes, a power that
	// is not positive, or a root certificate that does not parse.
	ErrBadTrust = errors.New("receipt: unusable trust bundle")

	// ErrDigest reports an evidence file whose digest or size differs from
	// the receipt's.
	ErrDigest = errors.New("receipt: the file is not the evidence of this receipt")

	// ErrCustody reports custody events that are malformed, not one
	// unbroken hash chain, or whose first event does not describe the
	// receipt's evidence.
	ErrCustody = errors.New("receipt: custody events do not check")

	// ErrIncomplete reports a receipt whose custody head does not check:
	// the head is malformed, not the one the chain's state holds for the
	// item at the checkpoint, or the receipt's events stop short of it (or
	// leave events out) without proving what they leave out.
	ErrIncomplete = errors.New("receipt: custody completeness does not check")

	// ErrTimestamp reports a time-stamp token that is malformed, is not the
	// one the custody chain recorded, does not stamp the evidence digest, or
	// was not issued by a TSA under the consortium root.
	ErrTimestamp = errors.New("receipt: time-stamp does not check")

	// ErrInclusion reports a custody event that the checkpoint's log does
	// not contain at the stated position.
	ErrInclusion = errors.New("receipt: event not included in the log")

	// ErrCheckpoint reports a checkpoint that is not a block of the trusted
	// chain signed by more than 2/3 of the trusted validators' voting power,
	// or whose AppHash does not commit to the stated log.
	ErrCheckpoint = errors.New("receipt: checkpoint does not check")

	// ErrRecord reports an embedded evidence record (version 5) that does
	// not decode as a strict DER RFC 4998 EvidenceRecord, or that does not
	// prove the evidence's SHA-256 under the trust bundle's TSA roots.
	ErrRecord = errors.New("receipt: evidence record does not check")
)

// VerifyError is the error of a failed verification. Step names the check
// that failed (one of the Step constants). Want is what the receipt or the
// trust bundle says should be, Got what the verifier computed or found;
// either may be empty when it would say nothing. Err wraps one of the
// sentinels above and, where there is one, the underlying cause.
type VerifyError struct {
	Step string
	Want string
	Got  string
	Err  error
}

func (e *VerifyError) Error() string {
	msg := fmt.Sprintf("%s check failed: %v", e.Step, e.Err)
	if e.Want != "" || e.Got != "" {
		msg += fmt.Sprintf(" (expected %s; computed %s)", orNone(e.Want), orNone(e.Got))
	}
	return msg
}

func (e *VerifyError) Unwrap() error { return e.Err }

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// fail builds a VerifyError for step whose Err wraps sentinel, with a plain
// message.
func fail(step string, sentinel error, want, got, format string, args ...any) *VerifyError {
	return &VerifyError{Step: step, Want: want, Got: got, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}
