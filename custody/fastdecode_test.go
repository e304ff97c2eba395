package custody

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/custos-project/custos/internal/strictjson"
)

// checkFastDecode fails t unless decodeFast and decodeHeadFast, when they
// accept b, give what the encoding/json paths give.
func checkFastDecode(t *testing.T, b []byte) (event, head bool) {
	if fast, ok := decodeFast(b); ok {
		event = true
		slow, err := decodeJSON(b)
		if err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("decodeFast(%q) = %+v; decodeJSON = %+v, %v", b, fast, slow, err)
		}
	}
	if fast, ok := decodeHeadFast(b); ok {
		head = true
		slow, err := decodeHeadJSON(b)
		if err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("decodeHeadFast(%q) = %+v; decodeHeadJSON = %+v, %v", b, fast, slow, err)
		}
	}
	return event, head
}

// TestFastPathTakesTheGolden: the fast paths accept the golden events and
// the test head, with encoding/json's results.
func TestFastPathTakesTheGolden(t *testing.T) {
	for _, e := range goldenEvents() {
		b, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if ev, _ := checkFastDecode(t, b); !ev {
			t.Errorf("decodeFast(%s) declined a canonical event", b)
		}
	}
	b, err := testHead().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, head := checkFastDecode(t, b); !head {
		t.Errorf("decodeHeadFast(%s) declined a canonical head", b)
	}
}

// TestFastPathFields: the fast paths know every JSON field of Event and
// Head; a new field must be taught to fastdecode.go, then listed here.
func TestFastPathFields(t *testing.T) {
	known := map[reflect.Type]string{
		reflect.TypeFor[Event](): "v evidence seq type time actor prev sha256 sm3 size media_type tokens subject reads since",
		reflect.TypeFor[Head]():  "v evidence count root types",
	}
	for typ, want := range known {
		got, w := strictjson.FieldNames(typ), strings.Fields(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s has JSON fields %v, fastdecode.go knows %v: teach it the new ones", typ, got, w)
		}
	}
}

// FuzzFastDecodeIsDecode: whatever the fast paths accept, the encoding/json
// paths accept too, with the same result.
func FuzzFastDecodeIsDecode(f *testing.F) {
	for _, e := range goldenEvents() {
		b, _ := e.Encode()
		f.Add(b)
	}
	b, _ := testHead().Encode()
	f.Add(b)
	f.Add([]byte(strings.Replace(string(b), `"v":1`, `"V":1`, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFastDecode(t, b)
	})
}
