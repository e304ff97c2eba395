package cms

import (
	"bytes"
	"encoding/asn1"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// seedTokens are the DER TimeStampTokens of testdata (a token of the
// built-in TSA, alone and in its reply).
func seedTokens(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, name := range []string{"token.der", "reply.der"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if token, err := DecodeReply(b); err == nil {
			b = token
		}
		out = append(out, b)
	}
	return out
}

// tstContent is the TSTInfo DER inside token.
func tstContent(t testing.TB, token []byte) []byte {
	t.Helper()
	sd, err := Decode(token)
	if err != nil {
		t.Fatal(err)
	}
	return sd.Content
}

// TestFastDecodersTakeTokens checks that real TSTInfos take the fast path
// (else it would save nothing) and decode as encoding/asn1 decodes them.
func TestFastDecodersTakeTokens(t *testing.T) {
	for _, token := range seedTokens(t) {
		if _, ok := fastTSTInfo(tstContent(t, token)); !ok {
			t.Error("fastTSTInfo left a real TSTInfo to asn1")
		}
		checkTSTInfoAgrees(t, tstContent(t, token))
	}
}

// TestFastDecodersRefuse checks a shape fastTSTInfo must leave to
// encoding/asn1, which then decides.
func TestFastDecodersRefuse(t *testing.T) {
	content := tstContent(t, seedTokens(t)[0])
	if _, ok := fastTSTInfo(append(bytes.Clone(content), 0)); ok {
		t.Error("fastTSTInfo accepted a trailing byte")
	}
}

// checkTSTInfoAgrees fails t when fastTSTInfo accepts b but encoding/asn1
// does not, or decodes it differently.
func checkTSTInfoAgrees(t testing.TB, b []byte) {
	t.Helper()
	fast, ok := fastTSTInfo(b)
	if !ok {
		return
	}
	var slow tstInfo
	if _, err := asn1.Unmarshal(b, &slow); err != nil {
		t.Fatalf("fastTSTInfo accepted what asn1 refuses (%v): %x", err, b)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fastTSTInfo and asn1 differ on %x:\nfast %+v\nasn1 %+v", b, fast, slow)
	}
}

// FuzzFastTSTInfo: whatever fastTSTInfo accepts, encoding/asn1 accepts and
// decodes to the same value.
func FuzzFastTSTInfo(f *testing.F) {
	for _, token := range seedTokens(f) {
		f.Add(tstContent(f, token))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkTSTInfoAgrees(t, b) })
}

// TestFastDecodersMutations runs the fuzz property on seeded random
// mutations of the real TSTInfos (one to four bytes changed, or a cut), so
// that it is checked on every test run, not only when fuzzing.
func TestFastDecodersMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, token := range seedTokens(t) {
		in := tstContent(t, token)
		for range 3000 {
			b := bytes.Clone(in)
			for range 1 + r.IntN(4) {
				b[r.IntN(len(b))] = byte(r.IntN(256))
			}
			if r.IntN(8) == 0 {
				b = b[:r.IntN(len(b))]
			}
			checkTSTInfoAgrees(t, b)
		}
	}
}
