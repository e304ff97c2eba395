// Package text checks the text that clients give Custos for names, titles,
// file names and descriptions: none of it may hold a character that a
// reader of a page, a certificate or a receipt cannot see, or that changes
// the direction in which the characters around it are shown, because such
// a character can make one name look like another ("invoice\u202Efdp.exe"
// shows as "invoiceexe.pdf").
//
// Refused are: the C0 controls U+0000–U+001F (a multi-line field keeps
// TAB, LF and CR), DEL U+007F and the C1 controls U+0080–U+009F (Unicode
// category Cc); every format character (category Cf), among them the
// bidirectional controls U+200E, U+200F, U+061C, U+202A–U+202E and
// U+2066–U+2069, the zero-width characters U+200B–U+200D and U+2060, the
// byte order mark U+FEFF, the soft hyphen U+00AD and the tag characters
// U+E0000–U+E007F; the line and paragraph separators U+2028 and U+2029;
// and bytes that are not UTF-8 (or their stand-in U+FFFD).
//
// [CheckVisible] and [CheckVisibleText] are the one place the rule lives.
// [RegisterValidation] adds it to a go-playground validator as the tags
// "visible" and "visibletext".
package text

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
)

// ErrInvisible is wrapped by every *Error.
var ErrInvisible = errors.New("text: invisible or direction-changing character")

// Error names the field and the first character of it that is refused.
type Error struct {
	Field  string
	Rune   rune // utf8.RuneError for bytes that are not UTF-8
	Offset int  // byte offset of the character in the field
	Kind   Kind
}

// Kind says what sort of character was refused.
type Kind int

// Kinds of refused characters.
const (
	Format    Kind = iota + 1 // category Cf: bidirectional controls, zero-width and other invisible characters
	Control                   // category Cc: C0, DEL, C1
	Separator                 // U+2028, U+2029
	NotUTF8                   // bytes that are not UTF-8, or U+FFFD
)

func (k Kind) String() string {
	switch k {
	case Format:
		return "an invisible or direction-changing character"
	case Control:
		return "a control character"
	case Separator:
		return "a line or paragraph separator"
	case NotUTF8:
		return "U+FFFD or bytes that are not UTF-8"
	}
	return "a refused character"
}

// Error reads, for example, "file_name contains an invisible or
// direction-changing character U+202E".
func (e *Error) Error() string {
	if e.Kind == NotUTF8 {
		return fmt.Sprintf("%s contains %s (at byte %d)", e.Field, e.Kind, e.Offset)
	}
	return fmt.Sprintf("%s contains %s %s", e.Field, e.Kind, CodePoint(e.Rune))
}

// Message is Error without the field name, for lists of field errors.
func (e *Error) Message() string {
	if e.Kind == NotUTF8 {
		return fmt.Sprintf("contains %s (at byte %d)", e.Kind, e.Offset)
	}
	return fmt.Sprintf("contains %s %s", e.Kind, CodePoint(e.Rune))
}

func (e *Error) Unwrap() error { return ErrInvisible }

// CodePoint formats r as U+XXXX.
func CodePoint(r rune) string { return fmt.Sprintf("U+%04X", r) }

// CheckVisible checks a one-line field (a name, a title, a file name): it
// returns a *Error naming field and the first refused character, or nil.
func CheckVisible(field, s string) error { return check(field, s, false) }

// CheckVisibleText checks a field that may hold several lines (a
// description, a reason): as CheckVisible, but TAB, LF and CR are allowed.
func CheckVisibleText(field, s string) error { return check(field, s, true) }

func check(field, s string, multiline bool) error {
	for i, r := range s { // ranging over a string decodes UTF-8; a bad byte gives RuneError of width 1
		if r < utf8.RuneSelf && r >= 0x20 && r != 0x7f {
			continue // printable ASCII: the common case
		}
		if k := classify(r, multiline); k != 0 {
			return &Error{Field: field, Rune: r, Offset: i, Kind: k}
		}
	}
	return nil
}

func classify(r rune, multiline bool) Kind {
	switch {
	case multiline && (r == '\t' || r == '\n' || r == '\r'):
		return 0
	case unicode.Is(unicode.Cc, r):
		return Control
	case unicode.Is(unicode.Cf, r):
		return Format
	case r == '\u2028' || r == '\u2029':
		return Separator
	case r == utf8.RuneError:
		return NotUTF8
	}
	return 0
}

// Validation tags.
const (
	Tag     = "visible"     // a one-line field (CheckVisible)
	TagText = "visibletext" // a multi-line field (CheckVisibleText)
)

// RegisterValidation adds the tags Tag and TagText to v. A field's error
// message is (*Error).Message of FieldError(fe).
func RegisterValidation(v *validator.Validate) error {
	if err := v.RegisterValidation(Tag, func(fl validator.FieldLevel) bool {
		return CheckVisible("", fl.Field().String()) == nil
	}); err != nil {
		return err
	}
	return v.RegisterValidation(TagText, func(fl validator.FieldLevel) bool {
		return CheckVisibleText("", fl.Field().String()) == nil
	})
}

// FieldError returns the *Error behind a validator error of one of the
// tags, named by its field (fe.Field()), or nil for any other error.
func FieldError(fe validator.FieldError) *Error {
	s, ok := fe.Value().(string)
	if !ok {
		return nil
	}
	var err error
	switch fe.Tag() {
	case Tag:
		err = CheckVisible(fe.Field(), s)
	case TagText:
		err = CheckVisibleText(fe.Field(), s)
	default:
		return nil
	}
	var te *Error
	errors.As(err, &te)
	return te
}
