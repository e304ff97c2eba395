package pdfcheck

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed reports PDF bytes that this package cannot parse: no
	// cross-reference table, a broken object, an unresolved reference.
	ErrMalformed = errors.New("pdf: malformed PDF")

	// ErrUnsupported reports a well-formed PDF that uses a feature this
	// package does not implement, such as encryption.
	ErrUnsupported = errors.New("pdf: unsupported PDF feature")

	// ErrNoSignature reports a PDF with no signature covering the whole
	// file: it is unsigned, or bytes were appended after the signature.
	ErrNoSignature = errors.New("pdf: no signature covers the whole document")

	// ErrAddedAfterSigning reports a PDF whose first part is a signed
	// revision that verifies, followed by bytes no signature covers: an
	// incremental update (ISO 32000-1 §7.5.6) or anything else appended
	// after signing, which can change what a viewer shows (a shadow
	// attack). It comes with ErrNoSignature.
	ErrAddedAfterSigning = errors.New("pdf: content was added after the signature")

	// ErrCertificationViolated reports a document certified with DocMDP
	// permission 1, no change permitted (ISO 32000-1 §12.8.2.2), with
	// bytes added after its certified revision: an incremental update,
	// signed or not, that the certification forbids. A change that a
	// certification with permission 2 or 3 does not permit wraps it too,
	// beside ErrChangeNotPermitted.
	ErrCertificationViolated = errors.New("pdf: the document was changed after a certification that permits no change")

	// ErrChangeNotPermitted reports a document certified with DocMDP
	// permission 2 or 3 (ISO 32000-1 §12.8.2.2) a later revision of which
	// makes a change that the certification does not permit, such as a
	// change of a page's content. It comes with a *ChangeError, and with
	// ErrCertificationViolated.
	ErrChangeNotPermitted = errors.New("pdf: a revision after the certification makes a change that it does not permit")

	// ErrByteRange reports a /ByteRange that does not cover exactly the
	// whole file but the /Contents value.
	ErrByteRange = errors.New("pdf: bad signature byte range")

	// ErrCMS reports a /Contents value that is not a CMS SignedData of the
	// form PAdES baseline signatures use (ETSI EN 319 142-1).
	ErrCMS = errors.New("pdf: bad CMS signature")

	// ErrDigest reports signed bytes whose digest is not the one signed:
	// the document was changed after signing.
	ErrDigest = errors.New("pdf: document digest mismatch")

	// ErrSignature reports a CMS signature value that does not verify
	// with the signer's certificate.
	ErrSignature = errors.New("pdf: invalid signature value")

	// ErrTimestamp reports a missing or invalid signature time-stamp.
	ErrTimestamp = errors.New("pdf: bad signature time-stamp")

	// ErrUntrusted reports a signer certificate that does not chain to the
	// trusted roots at the time of the signature time-stamp, or is not fit
	// for document signing.
	ErrUntrusted = errors.New("pdf: signer not trusted")
)

// VerifyError reports the step of Verify that failed. Err wraps one of the
// sentinel errors above; Want and Got, when set, are the expected and the
// computed values, as a court reads them.
type VerifyError struct {
	Step      string
	Want, Got string
	Err       error
	// Revision, with ErrAddedAfterSigning, is the verified signature of
	// the signed revision: the first Revision.ByteRange[2]+[3] bytes. With
	// ErrCertificationViolated at step certification, it is the verified
	// signature of the certified revision, nil if that does not verify.
	Revision *Signature
}

func (e *VerifyError) Error() string {
	if e.Want != "" || e.Got != "" {
		return fmt.Sprintf("pdf: verify %s: %v: want %s, got %s", e.Step, e.Err, e.Want, e.Got)
	}
	return fmt.Sprintf("pdf: verify %s: %v", e.Step, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// ChangeError reports the first change, in the revisions after a DocMDP
// certification with permission 2 or 3, that the certification does not
// permit (ISO 32000-1 §12.8.2.2). It wraps ErrChangeNotPermitted and
// ErrCertificationViolated.
type ChangeError struct {
	// Level is the certification's permission /P.
	Level int
	// Revision counts the revisions after the certified one, from 1; it
	// is the bytes from Start to End of the file.
	Revision   int
	Start, End int64
	// Object is the number of the object changed; 0 for the trailer or
	// the revision as a whole.
	Object int
	// What says what changed.
	What string
}

func (e *ChangeError) Error() string {
	obj := ""
	if e.Object > 0 {
		obj = fmt.Sprintf(" object %d:", e.Object)
	}
	return fmt.Sprintf("revision %d after the certified one (bytes %d to %d):%s %s, which DocMDP P=%d does not permit",
		e.Revision, e.Start, e.End, obj, e.What, e.Level)
}

func (e *ChangeError) Unwrap() []error {
	return []error{ErrChangeNotPermitted, ErrCertificationViolated}
}

// SignatureError reports, at step signatures, a signature of the document
// that does not verify over the revision it signs (an earlier one than the
// whole file's, the certifying signature among them): which one, and the
// step at which it fails. Err is that step's *VerifyError, which wraps the
// sentinel.
type SignatureError struct {
	// Index counts the signatures in the order of the file, from 1, of
	// Count; Field is its signature field's fully qualified name.
	Index, Count int
	Field        string
	// End is the length of the revision it signs (the end of its
	// /ByteRange); 0 if that cannot be read.
	End int64
	// Certifies: it is the certifying signature (DocMDP).
	Certifies bool
	Err       error
}

// Step is the step at which the signature fails.
func (e *SignatureError) Step() string {
	var ve *VerifyError
	if errors.As(e.Err, &ve) {
		return ve.Step
	}
	return ""
}

func (e *SignatureError) Error() string {
	what := ""
	if e.Certifies {
		what = ", the certifying signature"
	}
	return fmt.Sprintf("signature %d of %d (field %q, the revision of the first %d bytes%s): %v", e.Index, e.Count, e.Field, e.End, what, e.Err)
}

func (e *SignatureError) Unwrap() error { return e.Err }
