// Package strictjson decodes JSON from outside the node with one spelling
// for each document: besides encoding/json's own checks it refuses unknown
// fields, object keys that match a field only case-insensitively (which
// encoding/json accepts), a key given twice (where encoding/json keeps the
// last), and anything after the value. It uses only the standard library,
// so the browser verifier can use it too.
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

// Decode decodes b, which must hold exactly one JSON value, into v.
// Errors about keys read `json: unknown field "k"` or
// `json: duplicate field "k"`.
func Decode(b []byte, v any) error {
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
