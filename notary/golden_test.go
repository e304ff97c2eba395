package notary

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/testenv"
	"github.com/digitorus/timestamp"
)

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
			testenv.Golden(t, filepath.Join("testdata", "golden", "tsa-"+tc.name+".der"), all)
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
	return issueTSA(t, p, key, 2048, "RSA TSA", now, now.AddDate(1, 0, 0))
}
