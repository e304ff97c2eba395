package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/custos-project/custos/internal/problem"
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
	// find it, on its home node (proofs.Prover.LookupSHA256 with their
	// org). Nil in an upload's metadata takes its organization's default
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
		return m, &MetadataError{Fields: []FieldError{NewFieldError("metadata", "field.too-big", "size", len(b), "limit", MaxMetaBytes)}}
	}
	switch err := strictjson.Decode(b, &m); {
	case errors.Is(err, strictjson.ErrTrailing):
		return Meta{}, &MetadataError{Fields: []FieldError{NewFieldError("metadata", "field.trailing")}}
	case err != nil:
		return Meta{}, &MetadataError{Fields: []FieldError{jsonFieldError("metadata", err, metaFields)}}
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
		fields = append(fields, NewFieldError("captured_at", "field.future"))
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
		return &MetadataError{Fields: []FieldError{NewFieldError("metadata", "field.json-bad")}}
	}
	var fields []FieldError
	for _, fe := range verrs {
		id, kv := fieldMessage(fe)
		f := NewFieldError(fe.Field(), id, kv...)
		if f.char = text.FieldError(fe); f.char != nil {
			f.Message = f.char.Message()
		}
		fields = append(fields, f)
	}
	return &MetadataError{Fields: fields}
}

func fieldMessage(fe validator.FieldError) (id string, kv []any) {
	switch fe.Tag() {
	case "max":
		if fe.Kind() == reflect.Slice {
			return "field.max-entries", []any{"n", fe.Param()}
		}
		return "field.max-chars", []any{"n", fe.Param()}
	case "min":
		return "field.min-entries", []any{"n", fe.Param()}
	case "oneof":
		return "field.oneof", []any{"values", problem.List(strings.Fields(fe.Param()))}
	case "date":
		return "field.date", nil
	case "mediatype":
		return "field.mediatype", nil
	case "filename":
		return "field.filename", nil
	case "required":
		return "field.required", nil
	case "len", "alphanum":
		return "field.id", nil
	}
	return "field.invalid", []any{"rule", fe.Tag()}
}

// metaFields lists the fields of upload metadata, for the message that
// refuses an unknown one.
const metaFields = "title, description, case_ref, captured_at, media_type, file_name, matter, unlisted"

// jsonFieldError says, in words a person can act on, why the JSON of
// field could not be decoded; allowed lists its known fields. The text of
// the decoder's error (with Go type names and byte dumps) is not shown.
func jsonFieldError(field string, err error, allowed string) FieldError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var te *time.ParseError
	switch {
	case errors.Is(err, strictjson.ErrNotObject), errors.As(err, &typ) && typ.Field == "":
		return NewFieldError(field, "field.json-object")
	case errors.As(err, &syn):
		return NewFieldError(field, "field.json-syntax", "offset", syn.Offset)
	case errors.As(err, &te):
		return NewFieldError(field, "field.json-time")
	case errors.As(err, &typ):
		return NewFieldError(field, "field.json-type", "field", strconv.Quote(typ.Field), "kind", JSONKind(typ.Type))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return NewFieldError(field, "field.json-incomplete")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return NewFieldError(field, "field.json-unknown", "field", name, "allowed", allowed)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: duplicate field "); ok {
		return NewFieldError(field, "field.json-duplicate", "field", name)
	}
	return NewFieldError(field, "field.json-bad")
}

// JSONKind names, as a catalog message, the kind of JSON value a Go type
// is decoded from ("kind.…" in internal/problem).
func JSONKind(t reflect.Type) problem.Msg {
	if t == nil {
		return problem.M("kind.value")
	}
	if t == reflect.TypeFor[time.Time]() {
		return problem.M("kind.time")
	}
	switch t.Kind() {
	case reflect.String:
		return problem.M("kind.string")
	case reflect.Bool:
		return problem.M("kind.boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return problem.M("kind.integer")
	case reflect.Float32, reflect.Float64:
		return problem.M("kind.number")
	case reflect.Slice, reflect.Array:
		return problem.M("kind.array")
	case reflect.Map, reflect.Struct:
		return problem.M("kind.object")
	case reflect.Pointer:
		return JSONKind(t.Elem())
	}
	return problem.M("kind.value")
}

// decodeStrict decodes one JSON object into v, refusing unknown fields
// (allowed lists the known ones for the message) and trailing data; what
// names the object in errors.
func decodeStrict(b []byte, v any, what, allowed string) error {
	switch err := strictjson.Decode(b, v); {
	case errors.Is(err, strictjson.ErrTrailing):
		return &MetadataError{Fields: []FieldError{NewFieldError(what, "field.trailing")}}
	case err != nil:
		return &MetadataError{Fields: []FieldError{jsonFieldError("body", err, allowed)}}
	}
	return nil
}
