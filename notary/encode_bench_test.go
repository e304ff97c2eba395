package notary

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/certs"
)

// The Token benchmarks decide whether the hand-written DER encoder stays:
// each turns the same RFC 3161 query (SHA-256 imprint, nonce, certReq) into
// a signed TimeStampResp, in-process, on all cores, with the dev PKI's
// hierarchy (root → org CA → TSA, ECDSA P-256), parsing included.
//
//   - Ours: TSA.Respond, embedding the TSA certificate and its chain;
//   - Digitorus: timestamp.ParseRequest and CreateResponseWithOpts with
//     AddTSACertificate and Certificates = the chain, the same token content;
//   - DigitorusTSAOnly: the same, embedding the TSA certificate only.

type encodeBench struct {
	leaf  *certs.Leaf
	query []byte
}

func newEncodeBench(b *testing.B) *encodeBench {
	b.Helper()
	now := time.Now()
	root, err := certs.NewRoot("Bench Root", now)
	if err != nil {
		b.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "Bench Notary", now)
	if err != nil {
		b.Fatal(err)
	}
	leaf, err := org.IssueTSA("Bench TSA", now)
	if err != nil {
		b.Fatal(err)
	}
	d := sha256.Sum256([]byte("bench"))
	query, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: d[:], Certificates: true,
		Nonce: big.NewInt(0x5eed_cafe)}).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return &encodeBench{leaf: leaf, query: query}
}

// run measures respond on all cores after checking one reply: it parses,
// its CMS signature verifies, and it embeds wantCerts certificates.
func (e *encodeBench) run(b *testing.B, wantCerts int, respond func([]byte) ([]byte, error)) {
	b.Helper()
	reply, err := respond(e.query)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := timestamp.ParseResponse(reply)
	if err != nil || len(ts.Certificates) != wantCerts {
		b.Fatalf("ParseResponse(reply) = %d certificates, %v; want %d", len(ts.Certificates), err, wantCerts)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := respond(e.query); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tokens/s")
	b.ReportMetric(float64(len(reply)), "bytes/token")
}

func BenchmarkTokenOurs(b *testing.B) {
	e := newEncodeBench(b)
	tsa, err := NewTSA(TSAConfig{Cert: e.leaf.Cert, Chain: e.leaf.Chain, Signer: e.leaf.Signer})
	if err != nil {
		b.Fatal(err)
	}
	e.run(b, 3, tsa.Respond)
}

func BenchmarkTokenDigitorus(b *testing.B) {
	e := newEncodeBench(b)
	e.run(b, 3, digitorusResponder(e.leaf, e.leaf.Chain))
}

func BenchmarkTokenDigitorusTSAOnly(b *testing.B) {
	e := newEncodeBench(b)
	e.run(b, 1, digitorusResponder(e.leaf, nil))
}

// digitorusResponder answers a query as a digitorus-based server does.
func digitorusResponder(leaf *certs.Leaf, chain []*x509.Certificate) func([]byte) ([]byte, error) {
	return func(query []byte) ([]byte, error) {
		req, err := timestamp.ParseRequest(query)
		if err != nil {
			return nil, err
		}
		ts := timestamp.Timestamp{
			HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage,
			Time: time.Now().UTC(), Accuracy: time.Second, Policy: DefaultPolicy, Nonce: req.Nonce,
			AddTSACertificate: req.Certificates, Certificates: chain,
		}
		return ts.CreateResponseWithOpts(leaf.Cert, leaf.Signer, crypto.SHA256)
	}
}
