package receipt

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/custos-project/custos/internal/strictjson"
)

// fastSeeds are the receipts and trust bundles of testdata: the vectors,
// valid and invalid, the golden files and the transition bundles.
func fastSeeds(t testing.TB) [][]byte {
	t.Helper()
	var files []string
	for _, glob := range []string{"testdata/*.json", "testdata/vectors/*.json", "testdata/vectors/*/*.json", "testdata/transitions/*.json"} {
		m, err := filepath.Glob(glob)
		check(t, err)
		files = append(files, m...)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		check(t, err)
		out = append(out, b)
	}
	return out
}

// checkFastParse fails t unless parseFast(b), when it accepts b, gives what
// the encoding/json path gives.
func checkFastParse(t *testing.T, b []byte) (accepted bool) {
	fast, ok := parseFast(b)
	if !ok {
		return false
	}
	slow, err := parseJSON(b)
	if err != nil {
		t.Fatalf("parseFast(%q) accepted what parseJSON refuses: %v", b, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("parseFast(%q) = %+v, parseJSON = %+v", b, fast, slow)
	}
	return true
}

func checkFastParseTrust(t *testing.T, b []byte) (accepted bool) {
	fast, ok := parseTrustFast(b)
	if !ok {
		return false
	}
	slow, err := parseTrustJSON(b)
	if err != nil {
		t.Fatalf("parseTrustFast(%q) accepted what parseTrustJSON refuses: %v", b, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("parseTrustFast(%q) = %+v, parseTrustJSON = %+v", b, fast, slow)
	}
	return true
}

// TestFastPathTakesTheVectors: the fast paths accept every valid receipt
// vector and trust bundle (else the browser would not gain from them), and
// agree with encoding/json on every file of testdata.
func TestFastPathTakesTheVectors(t *testing.T) {
	for _, b := range fastSeeds(t) {
		checkFastParse(t, b)
		checkFastParseTrust(t, b)
	}
	valid, err := filepath.Glob("testdata/vectors/valid/*.json")
	check(t, err)
	for _, f := range append(valid, goldenReceipt) {
		b, err := os.ReadFile(f)
		check(t, err)
		if !checkFastParse(t, b) {
			t.Errorf("parseFast(%s) declined a valid receipt", f)
		}
	}
	for _, f := range []string{goldenTrust, "testdata/vectors/trust.json", "testdata/transitions/bundle-v2.json"} {
		b, err := os.ReadFile(f)
		check(t, err)
		if !checkFastParseTrust(t, b) {
			t.Errorf("parseTrustFast(%s) declined a valid bundle", f)
		}
	}
}

// TestFastPathFields: the fast paths know every JSON field of the types
// they decode. A field added to one of them must be added to fastdecode.go
// too (its decoding and, for receipts, its canonical encoding), and then
// here; until then the fast path declines every document that has it,
// which is safe only if the field is omitempty.
func TestFastPathFields(t *testing.T) {
	known := map[reflect.Type]string{
		reflect.TypeFor[Receipt]():       "version evidence timestamps events custody checkpoint evidence_record",
		reflect.TypeFor[Evidence]():      "id sha256 sm3 size media_type",
		reflect.TypeFor[AnchoredEvent](): "event leaf_index proof item_proof",
		reflect.TypeFor[CustodyProof]():  "head proof other",
		reflect.TypeFor[Checkpoint]():    "chain_id height tree_size root state_root heads_since signed_header validator_set transitions",
		reflect.TypeFor[Transition]():    "height signed_header next_validator_set validator_set",
		reflect.TypeFor[Trust]():         "version chain_id root_pem validators tsa_chain_pem tsa tsa_roots_pem transitions validators_current transitions_through suites",
		reflect.TypeFor[Validator]():     "name kind pub_key power cert_pem",
		reflect.TypeFor[Suites]():        "certificates tokens pdfs consensus",
	}
	for typ, want := range known {
		got, w := strictjson.FieldNames(typ), strings.Fields(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s has JSON fields %v, fastdecode.go knows %v: teach it the new ones", typ, got, w)
		}
	}
}

// FuzzFastParseIsParse: whatever parseFast accepts, the encoding/json path
// accepts too, with the same result; what it declines goes to that path.
func FuzzFastParseIsParse(f *testing.F) {
	for _, b := range fastSeeds(f) {
		f.Add(b)
	}
	good, err := os.ReadFile(goldenReceipt)
	check(f, err)
	s := string(good)
	f.Add([]byte(strings.Replace(s, `"media_type":"text/plain"`, `"media_type":"text/plain; name=\"a<b>&\u2028\""`, 1)))
	f.Add([]byte(strings.Replace(s, `{"version":1,`, `{"version":1.0,`, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFastParse(t, b)
	})
}

// FuzzFastParseTrustIsParseTrust is FuzzFastParseIsParse for trust bundles.
func FuzzFastParseTrustIsParseTrust(f *testing.F) {
	for _, b := range fastSeeds(f) {
		f.Add(b)
	}
	good, err := os.ReadFile(goldenTrust)
	check(f, err)
	s := string(good)
	f.Add([]byte(strings.Replace(s, `"version": 1,`, `"vers\u0069on": 1,`, 1)))
	f.Add([]byte(strings.Replace(s, `"version": 1,`, `"Version": 1,`, 1)))
	f.Add([]byte(strings.Replace(s, `"version": 1,`, `"version": -0,`, 1)))
	f.Add([]byte(strings.Replace(s, `"version": 1,`, `"version": 1, "transitions": [], "validators_current": [],`, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFastParseTrust(t, b)
	})
}
