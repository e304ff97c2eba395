package evidence

import (
	"errors"
	"fmt"

	"github.com/custos-project/custos/internal/problem"
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
	// ErrRecordPending means the item has no RFC 4998 evidence record yet:
	// it is not final, or the records of its batch are not built yet
	// (evidence/records: records.Keeper.RunBuilds).
	ErrRecordPending = errors.New("evidence: no evidence record yet")
	// ErrNotVisible means the reading organization may not see the item
	// (any more) when its read was to be recorded: the share it read
	// through was revoked or expired since it was checked (AccessAs).
	// It is ErrNotFound to errors.Is: an item an organization may not
	// see is answered as a missing one.
	ErrNotVisible = fmt.Errorf("%w (not visible to the reading organization)", ErrNotFound)
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
	msg  problem.Msg // Message in the catalog, to answer in the client's language
}

// NewFieldError is the error of field with the catalog message id
// ("field.…" in internal/problem) and its parameters; Message is its
// English text.
func NewFieldError(field, id string, kv ...any) FieldError {
	m := problem.M(id, kv...)
	return FieldError{Field: field, Message: m.In(problem.English), msg: m}
}

// Msg is the field's message in the catalog (internal/problem), or the
// zero Msg for a message given only as text.
func (f FieldError) Msg() problem.Msg {
	if f.char != nil {
		return problem.M("field.char", "what", CharMsg(f.char))
	}
	return f.msg
}

// CharMsg names, as a catalog message, the character a *text.Error
// refuses, such as "an invisible or direction-changing character U+202E".
func CharMsg(e *text.Error) problem.Msg {
	switch e.Kind {
	case text.Format:
		return problem.M("char.format", "code", text.CodePoint(e.Rune))
	case text.Control:
		return problem.M("char.control", "code", text.CodePoint(e.Rune))
	case text.Separator:
		return problem.M("char.separator", "code", text.CodePoint(e.Rune))
	}
	return problem.M("char.not-utf8", "offset", e.Offset)
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
