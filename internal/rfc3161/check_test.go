package rfc3161

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/digitorus/timestamp"
)

// checkFastAgrees fails t when CheckSignatureDER accepts token but the
// pkcs7 path, which decides whatever the fast path leaves, refuses it or
// gives another token or signer. It reports whether the fast path took
// the token.
func checkFastAgrees(t testing.TB, token []byte) bool {
	t.Helper()
	fast, fastSigner, ok := CheckSignatureDER(token, nil, nil)
	if !ok {
		return false
	}
	slow, slowSigner, err := checkSignaturePKCS7(token, nil)
	if err != nil {
		t.Fatalf("CheckSignatureDER accepted what the pkcs7 path refuses (%v): %x", err, token)
	}
	if !bytes.Equal(fastSigner.Raw, slowSigner.Raw) {
		t.Fatalf("CheckSignatureDER and the pkcs7 path found different signers in %x", token)
	}
	fc, fr := certsApart(fast)
	sc, sr := certsApart(slow)
	if !reflect.DeepEqual(fr, sr) || (fast.Certificates == nil) != (slow.Certificates == nil) || !reflect.DeepEqual(fc, sc) {
		t.Fatalf("CheckSignatureDER and the pkcs7 path differ on %x:\nfast  %+v\npkcs7 %+v", token, fast, slow)
	}
	return true
}

// certsApart returns a copy of ts without its certificates, and their DER:
// parsed twice, equal certificates are distinct objects.
func certsApart(ts *timestamp.Timestamp) (timestamp.Timestamp, [][]byte) {
	c := *ts
	var raw [][]byte
	for _, cert := range c.Certificates {
		raw = append(raw, cert.Raw)
	}
	c.Certificates = nil
	return c, raw
}

// TestCheckSignatureDERTakesTokens checks that real tokens take the fast
// path (else it would save nothing) and that the pkcs7 path agrees.
func TestCheckSignatureDERTakesTokens(t *testing.T) {
	for _, token := range seedTokens(t) {
		if !checkFastAgrees(t, token) {
			t.Errorf("CheckSignatureDER left a real token to pkcs7")
		}
	}
}

// TestCheckSignatureDERMutations runs the fuzz property on seeded random
// mutations of the real tokens, so that it is checked on every test run.
// Few mutations keep a valid signature: most show that what the fast path
// refuses goes on to the pkcs7 path.
func TestCheckSignatureDERMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, token := range seedTokens(t) {
		for range 300 {
			b := bytes.Clone(token)
			for range 1 + r.IntN(2) {
				b[r.IntN(len(b))] ^= byte(1 << r.IntN(8))
			}
			if r.IntN(8) == 0 {
				b = b[:r.IntN(len(b))]
			}
			checkFastAgrees(t, b)
		}
	}
}

// FuzzCheckSignatureDER: whatever the DER fast path accepts, the pkcs7
// path accepts with the same token and signer.
func FuzzCheckSignatureDER(f *testing.F) {
	for _, token := range seedTokens(f) {
		f.Add(token)
	}
	f.Fuzz(func(t *testing.T, token []byte) { checkFastAgrees(t, token) })
}
