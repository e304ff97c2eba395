package receipt

import (
	"encoding/base64"
	"math/rand/v2"
	"regexp"
	"testing"
)

// refDecodeBase64 and refHex64 are the checks decodeBase64 and hex64
// replaced (decode, then compare with the re-encoding; a regexp).
func refDecodeBase64(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

var refHex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestCanonicalChecksMatchReference checks decodeBase64 and hex64 against
// the reference on systematic and random strings over the alphabets that
// matter (base64, padding, CR/LF, space, hex, upper case, other bytes).
func TestCanonicalChecksMatchReference(t *testing.T) {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	alphabet := b64 + "=\r\n -_.\x00\xff" + "Gg"
	var inputs []string
	for _, s := range []string{"", "=", "==", "A", "AA", "AA=", "AA==", "AAA", "AAA=", "AAAA", "AB==", "AQ==", "AR==", "AAE=", "AAF=",
		"AA==\n", "AA\n==", "\nAA==", "AA\r\n==", "AAAA\n", "AA==AA==", "AAAA====", " AA=="} {
		inputs = append(inputs, s)
	}
	for _, n := range []int{1, 2, 3, 10, 31, 32, 33, 64, 100} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 37)
		}
		enc := base64.StdEncoding.EncodeToString(b)
		inputs = append(inputs, enc, enc+"\n", enc[:len(enc)-1], enc+"=")
		for i := 0; i <= len(enc); i++ {
			inputs = append(inputs, enc[:i]+"\n"+enc[i:], enc[:i]+"\r"+enc[i:])
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		n := rng.IntN(13)
		b := make([]byte, n)
		for i := range b {
			if rng.IntN(8) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = b64[rng.IntN(len(b64))]
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		want, wantOK := refDecodeBase64(s)
		got, err := decodeBase64(s)
		if (err == nil) != wantOK || string(got) != string(want) {
			t.Fatalf("decodeBase64(%q) = %x, %v; reference %x, %v", s, got, err, want, wantOK)
		}
		if cerr := checkBase64(s); (cerr == nil) != wantOK || (cerr != nil && err != nil && cerr.Error() != err.Error()) {
			t.Fatalf("checkBase64(%q) = %v; reference ok %v", s, cerr, wantOK)
		}
	}
	hexInputs := []string{"", "0", string(make([]byte, 64))}
	const hexAlpha = "0123456789abcdefABCDEFgG \n/:`@"
	for range 100000 {
		n := 62 + rng.IntN(5)
		b := make([]byte, n)
		for i := range b {
			if rng.IntN(64) == 0 {
				b[i] = hexAlpha[rng.IntN(len(hexAlpha))]
			} else {
				b[i] = hexAlpha[rng.IntN(16)]
			}
		}
		hexInputs = append(hexInputs, string(b))
	}
	for _, s := range hexInputs {
		if hex64.MatchString(s) != refHex64.MatchString(s) {
			t.Fatalf("hex64.MatchString(%q) = %v, reference %v", s, hex64.MatchString(s), refHex64.MatchString(s))
		}
	}
}
