package notary

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/digitorus/timestamp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it under
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: DER differs from the golden file (%d bytes, want %d); openssl asn1parse -inform DER shows both", name, len(got), len(want))
	}
}

// TestGoldenReplies pins the exact DER the built-in TSA writes, for fixed
// keys, clock and randomness (testing/cryptotest makes crypto/rand, and with
// it key generation, serial numbers and ECDSA signatures, deterministic): a
// change of the encoder that changes one byte of a token fails here.
func TestGoldenReplies(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 3161)
	now := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)
	p := newTestPKI(t, now.Add(-time.Hour))
	for _, tc := range []struct {
		name     string
		leaf     *certs.Leaf
		accuracy time.Duration
	}{
		{"p256", p.tsa, 0},
		{"p256-1500ms", p.tsa, 1500 * time.Millisecond},
		{"p256-250us", p.tsa, 250 * time.Microsecond},
		{"rsa", rsaTSA(t, p, now.Add(-time.Hour)), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tsa, err := NewTSA(TSAConfig{Cert: tc.leaf.Cert, Chain: tc.leaf.Chain, Signer: tc.leaf.Signer, Now: fixedClock(now), Accuracy: tc.accuracy})
			if err != nil {
				t.Fatal(err)
			}
			var all []byte
			for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
				tok, err := tsa.Stamp(context.Background(), h, hashOf(h, "golden"))
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, tok.Reply...)
			}
			for _, q := range []string{"query.tsq", "query-nonce.tsq"} {
				query, err := os.ReadFile(filepath.Join("testdata", q))
				if err != nil {
					t.Fatal(err)
				}
				reply, err := tsa.Respond(query)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, reply...)
			}
			for _, info := range []timestamp.FailureInfo{timestamp.BadAlgorithm, timestamp.BadDataFormat,
				timestamp.UnacceptedPolicy, timestamp.UnacceptedExtension, timestamp.SystemFailure} {
				all = append(all, tsa.reject(info)...)
			}
			golden(t, "tsa-"+tc.name+".der", all)
		})
	}
}

// rsaTSA issues an RSA-2048 TSA certificate under p's org CA.
func rsaTSA(t *testing.T, p *testPKI, now time.Time) *certs.Leaf {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{certs.OIDTimeStamping})
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(2048),
		Subject:         pkix.Name{CommonName: "RSA TSA"},
		NotBefore:       now,
		NotAfter:        now.AddDate(1, 0, 0),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: certs.OIDExtKeyUsage, Critical: true, Value: eku}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.org.Cert, key.Public(), p.org.Signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &certs.Leaf{Cert: cert, Signer: key, Chain: p.tsa.Chain}
}
