package receipt

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseTrust: ParseTrust never panics, every refusal wraps
// ErrBadTrust, and a bundle it accepts survives a round trip: encoded
// again and parsed, it is the same bundle (white space and member order
// are free, the content is not).
func FuzzParseTrust(f *testing.F) {
	good, err := os.ReadFile(goldenTrust)
	check(f, err)
	s := string(good)
	f.Add(good)
	f.Add([]byte(strings.Replace(s, `"version": 1,`, `"version": 1, "x": 1,`, 1)))
	f.Add([]byte(s + "{}"))
	f.Add([]byte(strings.Replace(s, `"power": 10`, `"power": 9223372036854775807`, 1)))
	f.Add([]byte(strings.Replace(s, `"chain_id": "custos-test-1"`, `"chain_id": ""`, 1)))
	f.Add([]byte(`{"version":1,"chain_id":"c","root_pem":"","validators":[]}`))
	f.Add([]byte(`null`))
	v2, err := os.ReadFile("testdata/transitions/bundle-v2.json")
	check(f, err)
	f.Add(v2)
	f.Add([]byte(strings.Replace(string(v2), `"version": 2,`, `"version": 2, "transitions": [],`, 1)))
	suites := `"suites": {"certificates": "sm", "tokens": "sm", "pdfs": "sm", "consensus": "ed25519"},`
	f.Add([]byte(strings.Replace(s, `"version": 1,`, `"version": 3, `+suites, 1)))
	f.Add([]byte(strings.Replace(s, `"version": 1,`, `"version": 1, `+suites, 1)))
	f.Add([]byte(strings.Replace(s, `"version": 1,`, `"version": 3,`, 1)))
	f.Add([]byte(strings.Replace(string(v2), `"version": 2,`, `"version": 3, `+strings.Replace(suites, `"pdfs": "sm"`, `"pdfs": "rsa"`, 1), 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseTrust(b)
		if err != nil {
			if !errors.Is(err, ErrBadTrust) {
				t.Fatalf("ParseTrust() = %v, want ErrBadTrust", err)
			}
			return
		}
		again, err := json.Marshal(tr)
		if err != nil {
			t.Fatalf("json.Marshal(accepted bundle) = %v", err)
		}
		tr2, err := ParseTrust(again)
		if err != nil {
			t.Fatalf("ParseTrust(re-encoded %s) = %v", again, err)
		}
		if !reflect.DeepEqual(tr, tr2) {
			t.Fatalf("round trip changed the bundle:\n%+v\n%+v", tr, tr2)
		}
	})
}
