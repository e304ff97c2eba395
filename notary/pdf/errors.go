package pdf

import "errors"

var (
	// ErrFont reports a font file that cannot be read or used: not
	// TrueType, a face index out of range, or a truncated table directory.
	ErrFont = errors.New("pdf: unusable font")

	// ErrDocument reports a Document that cannot be rendered, such as one
	// without a title or with two attachments of the same name.
	ErrDocument = errors.New("pdf: invalid document")

	// ErrSignOptions reports invalid SignOptions.
	ErrSignOptions = errors.New("pdf: invalid sign options")

	// ErrCertifiedNoChange reports, from Sign, a document certified with
	// DocMDP permission 1, no change permitted: a further signature is an
	// incremental update that the certification forbids, and Verify would
	// refuse the result (ErrCertificationViolated).
	ErrCertifiedNoChange = errors.New("pdf: the document is certified with no change permitted (DocMDP P=1): it cannot be signed again")
)
