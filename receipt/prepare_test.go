package receipt

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestParseVerifier: ParseVerifier gives ParseTrust's bundle and a
// Verifier that verifies as Verify does; a bundle ParseTrust refuses is
// refused with its error, and one NewVerifier refuses comes back with the
// bundle.
func TestParseVerifier(t *testing.T) {
	r, tr, art := golden(t)
	tb, err := os.ReadFile(goldenTrust)
	check(t, err)
	v, got, err := ParseVerifier(tb)
	if err != nil || !reflect.DeepEqual(got, tr) {
		t.Fatalf("ParseVerifier(golden) = %+v, %v; want %+v", got, err, tr)
	}
	want, err := Verify(r, bytes.NewReader(art), tr, Options{})
	check(t, err)
	res, err := v.Verify(r, bytes.NewReader(art), Options{})
	if err != nil || !reflect.DeepEqual(res, want) {
		t.Errorf("ParseVerifier(golden).Verify = %+v, %v; want %+v", res, err, want)
	}
	if _, _, err := ParseVerifier(tb[:10]); !errors.Is(err, ErrBadTrust) {
		t.Errorf("ParseVerifier(truncated) = %v, want ErrBadTrust", err)
	}
	v2, err := os.ReadFile("testdata/transitions/bundle-v2.json")
	check(t, err)
	if _, tr2, err := ParseVerifier(v2); err != nil || tr2 == nil {
		t.Errorf("ParseVerifier(bundle-v2) = %v", err)
	}
	// A version-2 bundle whose current validators are not where its
	// transitions lead: it parses, NewVerifier refuses it.
	i := bytes.Index(v2, []byte(`"validators_current"`))
	bad := append(append([]byte{}, v2[:i]...), strings.Replace(string(v2[i:]), `"power": 10`, `"power": 11`, 1)...)
	_, tr2, err := ParseVerifier(bad)
	if _, want := NewVerifier(tr2); tr2 == nil || err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("ParseVerifier(bundle-v2 with another current power) = %v, %v; want the bundle and NewVerifier's error", tr2, err)
	}
}
