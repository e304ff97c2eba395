package cms

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/oids"
)

// readTestdata returns the files of testdata named.
func readTestdata(t testing.TB, names ...string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// seedTokens are the DER TimeStampTokens of testdata (a token of the
// built-in TSA, alone and in its reply).
func seedTokens(t testing.TB) [][]byte {
	t.Helper()
	out := readTestdata(t, "token.der", "reply.der")
	if token, err := DecodeReply(out[1]); err == nil {
		out[1] = token
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

// TestEncodeTSTInfo checks that what EncodeTSTInfo writes decodes, on the
// fast path, to its parts.
func TestEncodeTSTInfo(t *testing.T) {
	genTime := time.Date(2026, 12, 5, 23, 30, 1, 250_000_000, time.UTC)
	imprint := ImprintOf(crypto.SHA256, make([]byte, 32))
	accuracy := TLV(TagSequence, Int(1))
	tsa := TLV(TagContext0, TLV(TagContext4, TLV(TagSequence)))
	der := EncodeTSTInfo(MustOID(oids.TSTInfo), imprint, []byte{0x40, 1}, genTime, accuracy, Int(7), tsa)
	inf, ok := fastTSTInfo(der)
	if !ok {
		t.Fatalf("fastTSTInfo(EncodeTSTInfo()) left it to asn1: %x", der)
	}
	checkTSTInfoAgrees(t, der)
	if inf.Version != 1 || !inf.Policy.Equal(oids.TSTInfo) || !inf.Time.Equal(genTime) || inf.SerialNumber.Int64() != 0x4001 ||
		inf.Nonce.Int64() != 7 || inf.Accuracy.Seconds != 1 || inf.MessageImprint.HashAlgorithm.Algorithm.String() != oids.SHA256.String() {
		t.Errorf("DecodeTSTInfo(EncodeTSTInfo()) = %+v", inf)
	}
	if got := string(GeneralizedTime(genTime)[2:]); got != "20261205233001.25Z" {
		t.Errorf("GeneralizedTime(%v) = %q, want 20261205233001.25Z", genTime, got)
	}
}
