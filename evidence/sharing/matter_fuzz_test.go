package sharing

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/custos-project/custos/evidence"
)

// FuzzParseMatterInput: the matter body parser never panics, refuses with
// a *MetadataError, and what it accepts is valid and survives a round
// trip through its JSON encoding unchanged.
func FuzzParseMatterInput(f *testing.F) {
	f.Add([]byte(`{"title":"Copyright: photo series","parties":["A Ltd","B"],"case_number":"(2026) Zhe 0192 Min Chu 1"}`))
	f.Add([]byte(`{"title":"t","org":"x"}`))
	f.Add([]byte(`{"title":"t"} {}`))
	f.Add([]byte(`{"title":""}`))
	f.Add([]byte(`{"title":"a\u0000b"}`))
	f.Add([]byte(`{"title":"t","parties":[""]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := ParseMatterInput(b)
		if err != nil {
			var me *evidence.MetadataError
			if !errors.As(err, &me) {
				t.Fatalf("ParseMatterInput(%q) = %v, want a *MetadataError", b, err)
			}
			return
		}
		if err := evidence.ValidateStruct(&in); err != nil {
			t.Fatalf("ParseMatterInput(%q) accepted an invalid matter: %v", b, err)
		}
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		in2, err := ParseMatterInput(again)
		// "parties":[] and no parties are the same matter (omitempty).
		if len(in.Parties) == 0 {
			in.Parties = nil
		}
		if err != nil || !reflect.DeepEqual(in, in2) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", again, in2, err, in)
		}
	})
}
