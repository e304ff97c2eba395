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

// FuzzDecode checks that whatever Decode accepts, encoding/json accepts
// into the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"title":"a","parties":["x"]}`, `{"pArties":[]}`, `{"pub":{"date":"d"},"labels":{"k":{"date":"x"}}}`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var strict, loose doc
		if Decode(b, &strict) != nil {
			return
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
