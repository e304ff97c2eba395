package rfc3161

import (
	"bytes"
	"encoding/asn1"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// seedTokens are the DER TimeStampTokens of the replies in testdata (the
// golden receipt's and the receipt vectors' tokens).
func seedTokens(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "reply-*.tsr"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no replies in testdata: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		reply, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		token, err := CheckStatus(reply)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, token)
	}
	return out
}

// tstContent is the TSTInfo DER inside token.
func tstContent(t testing.TB, token []byte) []byte {
	t.Helper()
	sd, err := unmarshalContentInfo(token)
	if err != nil {
		t.Fatal(err)
	}
	var octets asn1.RawValue
	if _, err := asn1.Unmarshal(sd.ContentInfo.Content.Bytes, &octets); err != nil {
		t.Fatal(err)
	}
	return octets.Bytes
}

// TestFastDecodersTakeTokens checks that real tokens take the fast path
// (else it would save nothing) and decode as encoding/asn1 decodes them.
func TestFastDecodersTakeTokens(t *testing.T) {
	for _, token := range seedTokens(t) {
		if _, signed, ok := fastContentInfo(token); !ok || signed == nil {
			t.Errorf("fastContentInfo left a real token to asn1 (ok %v, signed attributes known %v)", ok, signed != nil)
		}
		if _, ok := fastTSTInfo(tstContent(t, token)); !ok {
			t.Error("fastTSTInfo left a real TSTInfo to asn1")
		}
		checkContentInfoAgrees(t, token)
		checkTSTInfoAgrees(t, tstContent(t, token))
	}
}

// TestFastDecodersRefuse checks a few shapes the fast decoders must leave
// to encoding/asn1, which then decides.
func TestFastDecodersRefuse(t *testing.T) {
	token := seedTokens(t)[0]
	content := tstContent(t, token)
	cases := map[string][]byte{
		"trailing byte":  append(bytes.Clone(token), 0),
		"truncated":      token[:len(token)-1],
		"empty":          nil,
		"not a sequence": append([]byte{0x31}, token[1:]...),
	}
	for name, b := range cases {
		if _, _, ok := fastContentInfo(b); ok {
			t.Errorf("%s: fastContentInfo accepted it", name)
		}
		checkContentInfoAgrees(t, b)
	}
	if _, ok := fastTSTInfo(append(bytes.Clone(content), 0)); ok {
		t.Error("fastTSTInfo accepted a trailing byte")
	}
}

// checkContentInfoAgrees fails t when fastContentInfo accepts b but
// encoding/asn1 does not, or decodes it differently, or when the signed
// attributes it gives are not the ones asn1.Marshal writes.
func checkContentInfoAgrees(t testing.TB, b []byte) {
	t.Helper()
	fast, signed, ok := fastContentInfo(b)
	if !ok {
		return
	}
	slow, err := unmarshalContentInfo(b)
	if err != nil {
		t.Fatalf("fastContentInfo accepted what asn1 refuses (%v): %x", err, b)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fastContentInfo and asn1 differ on %x:\nfast %+v\nasn1 %+v", b, fast, slow)
	}
	if signed != nil {
		want, err := marshalAttributes(slow.SignerInfos[0].AuthenticatedAttributes)
		if err != nil || !bytes.Equal(signed, want) {
			t.Fatalf("signed attributes differ from asn1.Marshal (%v) on %x:\nfast %x\nasn1 %x", err, b, signed, want)
		}
	}
}

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

// FuzzFastContentInfo: whatever fastContentInfo accepts, encoding/asn1
// accepts and decodes to the same value.
func FuzzFastContentInfo(f *testing.F) {
	for _, token := range seedTokens(f) {
		f.Add(token)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkContentInfoAgrees(t, b) })
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
// mutations of the real tokens and TSTInfos (one to four bytes changed,
// or a cut), so that it is checked on every test run, not only when
// fuzzing.
func TestFastDecodersMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fastTaken := 0
	for _, token := range seedTokens(t) {
		for _, in := range [][]byte{token, tstContent(t, token)} {
			for range 3000 {
				b := bytes.Clone(in)
				for range 1 + r.IntN(4) {
					b[r.IntN(len(b))] = byte(r.IntN(256))
				}
				if r.IntN(8) == 0 {
					b = b[:r.IntN(len(b))]
				}
				if _, _, ok := fastContentInfo(b); ok {
					fastTaken++
				}
				checkContentInfoAgrees(t, b)
				checkTSTInfoAgrees(t, b)
				checkAttributeAgrees(t, b)
				if len(b) > 40 {
					checkAttributeAgrees(t, b[r.IntN(40):])
				}
			}
		}
	}
	if fastTaken == 0 {
		t.Error("no mutated token took the fast path: the property was never exercised")
	}
}

// checkAttributeAgrees fails t when fastAttribute accepts b but asn1
// decodes it otherwise.
func checkAttributeAgrees(t testing.TB, b []byte) {
	t.Helper()
	var fo, so asn1.ObjectIdentifier
	if fastAttribute(b, &fo) {
		if _, err := asn1.Unmarshal(b, &so); err != nil || !fo.Equal(so) {
			t.Fatalf("fastAttribute OID %v, asn1 %v, %v on %x", fo, so, err, b)
		}
	}
	var fb, sb []byte
	if fastAttribute(b, &fb) {
		if _, err := asn1.Unmarshal(b, &sb); err != nil || !bytes.Equal(fb, sb) {
			t.Fatalf("fastAttribute OCTET STRING %x, asn1 %x, %v on %x", fb, sb, err, b)
		}
	}
}

// FuzzFastAttribute: whatever fastAttribute accepts, asn1 decodes alike.
func FuzzFastAttribute(f *testing.F) {
	f.Add([]byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03})
	f.Add([]byte{0x04, 0x02, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) { checkAttributeAgrees(t, b) })
}
