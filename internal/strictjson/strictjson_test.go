package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Date string `json:"date"`
}

type embedded struct {
	Title string `json:"title,omitempty"`
}

type doc struct {
	embedded
	Parties []string          `json:"parties"`
	When    *time.Time        `json:"when,omitempty"`
	Pub     *inner            `json:"pub,omitempty"`
	List    []inner           `json:"list,omitempty"`
	Labels  map[string]inner  `json:"labels,omitempty"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Any     any               `json:"any,omitempty"`
	Ignored string            `json:"-"`
	Free    map[string]string `json:"free,omitempty"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in, err string // err: substring of the error, "" for success
	}{
		{`{"title":"a","parties":["x"]}`, ""},
		{`{"parties":[],"when":"2026-01-02T03:04:05Z","pub":{"date":"d"},"list":[{"date":"e"}],"labels":{"K":{"date":"f"}}}`, ""},
		{`{"parties":null,"raw":{"Date":1,"date":2},"any":{"A":1},"free":{"Title":"x"}}`, ""},
		{`{"pArties":["x"]}`, `unknown field "pArties"`},
		{`{"Title":"a"}`, `unknown field "Title"`},
		{`{"pub":{"Date":"d"}}`, `unknown field "Date"`},
		{`{"list":[{"date":"d"},{"DATE":"d"}]}`, `unknown field "DATE"`},
		{`{"labels":{"k":{"Date":"x"}}}`, `unknown field "Date"`},
		{`{"title":"a","title":"b"}`, `duplicate field "title"`},
		{`{"pub":{"date":"a","date":"b"}}`, `duplicate field "date"`},
		{`{"any":{"a":1,"a":2}}`, `duplicate field "a"`},
		{`{"Ignored":"x"}`, `unknown field`},
		{`{"embedded":{}}`, `unknown field`},
		{`{"nope":1}`, `unknown field "nope"`},
		{`{} {}`, "data after the value"},
		{`{"parties":"x"}`, "cannot unmarshal"},
	} {
		var d doc
		err := Decode([]byte(tc.in), &d)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("Decode(%s) = %v, want success", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Decode(%s) = %v, want an error with %q", tc.in, err, tc.err)
		}
	}
	var d doc
	if err := Decode([]byte(`{}x`), &d); !errors.Is(err, ErrTrailing) {
		t.Errorf("Decode with trailing garbage = %v, want ErrTrailing", err)
	}
}

// A document decoded into a struct or a map must be an object: null (which
// encoding/json takes as "leave it as it is") and every other value are
// refused, and the target is left as it was.
func TestDecodeNotObject(t *testing.T) {
	for _, in := range []string{`null`, ` null `, `[]`, `[{"title":"a"}]`, `3`, `-1.5e3`, `"x"`, `true`, `false`, "\n\tnull\n"} {
		d := doc{Ignored: "kept"}
		if err := Decode([]byte(in), &d); !errors.Is(err, ErrNotObject) {
			t.Errorf("Decode(%q, *doc) = %v, want ErrNotObject", in, err)
		}
		if d.Ignored != "kept" || d.Parties != nil {
			t.Errorf("Decode(%q, *doc) changed the target: %+v", in, d)
		}
		var m map[string]string
		if err := Decode([]byte(in), &m); !errors.Is(err, ErrNotObject) {
			t.Errorf("Decode(%q, *map) = %v, want ErrNotObject", in, err)
		}
		var pd *doc
		if err := Decode([]byte(in), &pd); !errors.Is(err, ErrNotObject) || pd != nil {
			t.Errorf("Decode(%q, **doc) = %v, %v; want ErrNotObject, nil", in, err, pd)
		}
	}
	// Not JSON, or nothing: the decoder's errors, as before.
	for _, in := range []string{``, `  `, `nul`, `{`, `]`, `x`} {
		var d doc
		if err := Decode([]byte(in), &d); err == nil || errors.Is(err, ErrNotObject) {
			t.Errorf("Decode(%q) = %v, want the decoder's error", in, err)
		}
	}
	// Targets that are not objects take any value, null included.
	var a any
	var s []string
	var raw json.RawMessage
	var tm *time.Time
	for _, c := range []struct {
		in string
		v  any
	}{{`null`, &a}, {`3`, &a}, {`null`, &s}, {`["a"]`, &s}, {`null`, &raw}, {`null`, &tm}} {
		if err := Decode([]byte(c.in), c.v); err != nil {
			t.Errorf("Decode(%s, %T) = %v, want success", c.in, c.v, err)
		}
	}
	if err := CheckObject([]byte(` {"a":1}`)); err != nil {
		t.Errorf("CheckObject(object) = %v, want nil", err)
	}
}

// FuzzDecode checks that whatever Decode accepts is an object that
// encoding/json accepts into the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"title":"a","parties":["x"]}`, `{"pArties":[]}`, `{"pub":{"date":"d"},"labels":{"k":{"date":"x"}}}`, `{"a":1,"a":2}`, `null`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var strict, loose doc
		if Decode(b, &strict) != nil {
			return
		}
		if CheckObject(b) != nil {
			t.Fatalf("strict accepted a document that is not an object: %q", b)
		}
		if err := json.Unmarshal(b, &loose); err != nil {
			t.Fatalf("strict accepted what encoding/json refuses: %v", err)
		}
		x, _ := json.Marshal(strict)
		y, _ := json.Marshal(loose)
		if string(x) != string(y) {
			t.Fatalf("strict %s, loose %s", x, y)
		}
	})
}
