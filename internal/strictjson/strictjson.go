// Package strictjson decodes JSON from outside the node with one spelling
// for each document: besides encoding/json's own checks it refuses unknown
// fields, object keys that match a field only case-insensitively (which
// encoding/json accepts), a key given twice (where encoding/json keeps the
// last), anything after the value, and a document decoded into a struct or
// a map that is not an object (encoding/json takes null as "leave it
// unchanged"). It uses only the standard library, so the browser verifier
// can use it too.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// ErrTrailing means data follows the JSON value.
var ErrTrailing = errors.New("json: data after the value")

// ErrNotObject means a document that must be a JSON object is another
// JSON value: null, an array, a string, a number, true or false.
var ErrNotObject = errors.New("json: the document is not an object")

// Decode decodes b, which must hold exactly one JSON value, into v.
// Errors about keys read `json: unknown field "k"` or
// `json: duplicate field "k"`. When v decodes from an object (a struct or
// a map without a decoding of its own), b must be an object (CheckObject):
// encoding/json would take null as "nothing to do" and leave v as it was,
// so that "null" would pass for "{}".
func Decode(b []byte, v any) error {
	if objectType(reflect.TypeOf(v)) {
		if err := CheckObject(b); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailing
	}
	// encoding/json has accepted the value; now check its keys exactly.
	keys := json.NewDecoder(bytes.NewReader(b))
	keys.UseNumber()
	return walk(keys, reflect.TypeOf(v))
}

// CheckObject returns an error wrapping ErrNotObject, which names the
// value found, if b starts with a JSON value other than an object. It
// returns nil for an object, for nothing but white space and for what is
// not JSON: those are the decoder's to refuse, with its own errors.
func CheckObject(b []byte) error {
	tok, err := json.NewDecoder(bytes.NewReader(b)).Token()
	if err != nil || tok == json.Delim('{') {
		return nil
	}
	kind := "a number"
	switch tok := tok.(type) {
	case nil:
		kind = "null"
	case bool:
		kind = "a boolean"
	case string:
		kind = "a string"
	case json.Delim:
		if tok != '[' {
			return nil // a closing delimiter: not JSON
		}
		kind = "an array"
	}
	return fmt.Errorf("%w: %s", ErrNotObject, kind)
}

// objectType reports whether encoding/json decodes a value of type t (a
// pointer, as given to Decode) from a JSON object only: a struct or a map
// that has no decoding of its own.
func objectType(t reflect.Type) bool {
	if t == nil || t.Kind() != reflect.Pointer {
		return false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textType) {
		return false
	}
	return t.Kind() == reflect.Struct || t.Kind() == reflect.Map
}

var (
	rawType         = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walk reads one value from dec, checking the keys of every object against
// t, the Go type it decodes into. A nil t (an interface, a raw message, a
// type with its own decoding) checks only for duplicate keys.
func walk(dec *json.Decoder, t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t == rawType || t.Kind() == reflect.Interface ||
		reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textType)) {
		t = nil
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walk(dec, elem); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	case json.Delim('{'):
		var fields map[string]reflect.Type
		var elem reflect.Type
		switch {
		case t != nil && t.Kind() == reflect.Struct:
			fields = map[string]reflect.Type{}
			collect(t, fields)
		case t != nil && t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("json: duplicate field %q", key)
			}
			seen[key] = true
			sub := elem
			if fields != nil {
				ft, ok := fields[key]
				if !ok {
					return fmt.Errorf("json: unknown field %q", key)
				}
				sub = ft
			}
			if err := walk(dec, sub); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	return nil
}

// collect adds the JSON names of t's fields, as encoding/json names them,
// with their types; fields of embedded structs without a name are promoted.
func collect(t reflect.Type, out map[string]reflect.Type) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collect(ft, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := out[name]; !dup {
			out[name] = f.Type
		}
	}
}
