package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strings"
	"time"

	"github.com/custos-project/custos/internal/strictjson"
	"github.com/custos-project/custos/internal/text"

	"github.com/go-playground/validator/v10"
)

// MaxMetaBytes bounds the JSON metadata of one upload.
const MaxMetaBytes = 64 << 10

// Meta is the client-supplied description of an upload. Everything else
// about a record is computed by the server.
type Meta struct {
	Title       string     `json:"title,omitempty" validate:"omitempty,max=512,visible"`
	Description string     `json:"description,omitempty" validate:"omitempty,max=8192,visibletext"`
	CaseRef     string     `json:"case_ref,omitempty" validate:"omitempty,max=128,visible"`
	CapturedAt  *time.Time `json:"captured_at,omitempty"`
	MediaType   string     `json:"media_type,omitempty" validate:"omitempty,max=255,visible,mediatype"`
	FileName    string     `json:"file_name,omitempty" validate:"omitempty,max=255,visible,filename"`
	// Matter files the evidence into one of the uploader's matters: in a
	// request, its ID or its title (the API resolves a title to the ID);
	// in a record, always the ID (Upload.Finish refuses anything else).
	Matter string `json:"matter,omitempty" validate:"omitempty,max=512,visible"`
	// Unlisted keeps the deposit out of the consortium's digest index and
	// out of this node's public lookup: only those who may read the item
	// find it, on its home node (Prover.LookupSHA256 with their org). Nil
	// in an upload's metadata takes its organization's default
	// (Upload.UnlistedByDefault); a stored record has true or nil.
	Unlisted *bool `json:"unlisted,omitempty"`
}

// IsUnlisted reports whether m keeps its item unlisted.
func (m *Meta) IsUnlisted() bool { return m.Unlisted != nil && *m.Unlisted }

var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		return name
	})
	// "visible" and "visibletext": no invisible, direction-changing or
	// control character (internal/text), the one rule for every name.
	must(text.RegisterValidation(v))
	must(v.RegisterValidation("mediatype", func(fl validator.FieldLevel) bool {
		return validMediaType(fl.Field().String())
	}))
	must(v.RegisterValidation("date", func(fl validator.FieldLevel) bool {
		_, err := time.Parse(time.DateOnly, fl.Field().String())
		return err == nil
	}))
	must(v.RegisterValidation("filename", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		return !strings.ContainsAny(s, `/\`) && s != "." && s != ".."
	}))
	return v
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func validMediaType(s string) bool {
	mt, _, err := mime.ParseMediaType(s)
	typ, sub, ok := strings.Cut(mt, "/")
	return err == nil && ok && typ != "" && sub != ""
}

// ParseMeta decodes upload metadata strictly (unknown fields, such as an
// attempt to set "sha256" or "owner", are refused) and validates it.
// Errors wrap ErrBadMetadata and are a *MetadataError when fields are named.
func ParseMeta(b []byte) (Meta, error) {
	var m Meta
	if len(bytes.TrimSpace(b)) == 0 {
		return m, nil
	}
	if len(b) > MaxMetaBytes {
		return m, &MetadataError{Fields: []FieldError{{Field: "metadata", Message: fmt.Sprintf("is %d bytes; the limit is %d", len(b), MaxMetaBytes)}}}
	}
	switch err := strictjson.Decode(b, &m); {
	case errors.Is(err, strictjson.ErrTrailing):
		return Meta{}, &MetadataError{Fields: []FieldError{{Field: "metadata", Message: "has data after the JSON object"}}}
	case err != nil:
		return Meta{}, &MetadataError{Fields: []FieldError{{Field: "metadata", Message: jsonMessage(err)}}}
	}
	return m, m.Validate(time.Now())
}

// Validate checks m's fields; now bounds captured_at.
func (m *Meta) Validate(now time.Time) error {
	// Most uploads carry no metadata but the Content-Type's media type.
	// Checking that one field here spares them the reflection-based
	// validator (1.5% of the server's CPU under small-ingest load); a media
	// type that fails goes through the validator for its error message.
	if *m == (Meta{MediaType: m.MediaType}) && (m.MediaType == "" || len(m.MediaType) <= 255 && validMediaType(m.MediaType) && text.CheckVisible("media_type", m.MediaType) == nil) {
		return nil
	}
	var fields []FieldError
	if err := validateStruct(m); err != nil {
		var me *MetadataError
		if !errors.As(err, &me) {
			return err
		}
		fields = me.Fields
	}
	if m.CapturedAt != nil && m.CapturedAt.After(now.Add(5*time.Minute)) {
		fields = append(fields, FieldError{Field: "captured_at", Message: "is in the future"})
	}
	if len(fields) > 0 {
		return &MetadataError{Fields: fields}
	}
	return nil
}

// validateStruct runs the validator over v and reports every invalid field
// in words a person can act on.
func validateStruct(v any) error {
	err := validate.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return &MetadataError{Fields: []FieldError{{Field: "metadata", Message: err.Error()}}}
	}
	var fields []FieldError
	for _, fe := range verrs {
		f := FieldError{Field: fe.Field(), Message: fieldMessage(fe)}
		if f.char = text.FieldError(fe); f.char != nil {
			f.Message = f.char.Message()
		}
		fields = append(fields, f)
	}
	return &MetadataError{Fields: fields}
}

func fieldMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "max":
		if fe.Kind() == reflect.Slice {
			return "must have at most " + fe.Param() + " entries"
		}
		return "must be at most " + fe.Param() + " characters long"
	case "min":
		return "must have at least " + fe.Param() + " entries"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "date":
		return "must be a date such as 2026-03-01 (YYYY-MM-DD)"
	case "mediatype":
		return "must be a media type such as application/pdf"
	case "filename":
		return "must be a plain file name without path separators"
	case "required":
		return "is required"
	case "len", "alphanum":
		return "must be an ID as returned by the server"
	}
	return "is invalid (" + fe.Tag() + ")"
}

func jsonMessage(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("is not valid JSON (at byte %d: %v)", syn.Offset, syn)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be a %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ") + " (allowed: title, description, case_ref, captured_at, media_type, file_name, matter, unlisted)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "is incomplete JSON"
	}
	return err.Error()
}

// decodeStrict decodes one JSON object into v, refusing unknown fields
// (allowed lists the known ones for the message) and trailing data; what
// names the object in errors.
func decodeStrict(b []byte, v any, what, allowed string) error {
	switch err := strictjson.Decode(b, v); {
	case errors.Is(err, strictjson.ErrTrailing):
		return &MetadataError{Fields: []FieldError{{Field: what, Message: "has data after the JSON object"}}}
	case err != nil:
		msg := jsonMessage(err)
		if strings.HasPrefix(err.Error(), "json: unknown field") || strings.HasPrefix(err.Error(), "json: duplicate field") {
			msg = strings.TrimPrefix(err.Error(), "json: ") + " (allowed: " + allowed + ")"
		}
		return &MetadataError{Fields: []FieldError{{Field: "body", Message: msg}}}
	}
	return nil
}
