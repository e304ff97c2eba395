package rfc3161

import (
	"crypto"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/digitorus/timestamp"
)

// BenchmarkCheckSignature is step 2 of Check on the tokens of testdata,
// with certificates parsed every time (no cache).
func BenchmarkCheckSignature(b *testing.B) {
	tokens := seedTokens(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := CheckSignature(tokens[i%len(tokens)], nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckerSignature is steps 1 to 3 of Checker.Check on a token of
// testdata, the certificates parsed once (a verifier's steady state);
// only the chain step is left out, which needs the token's roots.
func BenchmarkCheckerSignature(b *testing.B) {
	files, err := filepath.Glob(filepath.Join("testdata", "reply-*.tsr"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no replies in testdata: %v", err)
	}
	reply, err := os.ReadFile(files[0])
	if err != nil {
		b.Fatal(err)
	}
	token, err := CheckStatus(reply)
	if err != nil {
		b.Fatal(err)
	}
	ts, _, err := CheckSignature(token, nil)
	if err != nil {
		b.Fatal(err)
	}
	digest := ts.HashedMessage
	var certs certCache
	b.ReportAllocs()
	for b.Loop() {
		_, err := checkSteps(reply, crypto.SHA256, digest, nil, &certs, func(*x509.Certificate, *timestamp.Timestamp) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}
