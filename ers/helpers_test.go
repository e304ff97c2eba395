package ers

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/notary"
)

// t0 is when the test PKI is made; the TSAs' clocks are set from it, never
// read from the wall clock.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testPKI is an in-memory root → notary CA hierarchy that issues TSAs.
type testPKI struct {
	root, org *certs.Authority
	roots     *x509.CertPool
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	root, err := certs.NewRoot("ERS Test Root", t0)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "ERS Test Notary", t0)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	return &testPKI{root: root, org: org, roots: roots}
}

// testTSA is the project's built-in TSA on a certificate of its own, with
// a clock the test sets, counting the time-stamps it issues.
type testTSA struct {
	*notary.TSA
	leaf   *certs.Leaf
	now    time.Time
	tokens int
	noCert bool // answer through Respond without embedded certificates
}

// tsa issues a TSA certificate valid from issued for certs.TSAValidity,
// whose clock starts at issued plus an hour.
func (p *testPKI) tsa(t testing.TB, name string, issued time.Time) *testTSA {
	t.Helper()
	leaf, err := p.org.IssueTSA(name, issued)
	if err != nil {
		t.Fatal(err)
	}
	x := &testTSA{leaf: leaf, now: issued.Add(time.Hour)}
	x.TSA, err = notary.NewTSA(notary.TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer, Now: func() time.Time { return x.now }})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// stamper is the Stamper a caller wires for the built-in TSA.
func (x *testTSA) stamper() Stamper {
	return func(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
		x.tokens++
		if x.noCert {
			q, err := (&cms.Request{Version: 1, Imprint: cms.ImprintOf(h, digest)}).Encode()
			if err != nil {
				return nil, err
			}
			return x.Respond(q)
		}
		tok, err := x.Stamp(ctx, h, digest)
		if err != nil {
			return nil, err
		}
		return tok.Reply, nil
	}
}

// items returns n distinct data objects.
func items(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "evidence item %d", i)
	}
	return out
}

// hashesOf returns the hash h of each data object.
func hashesOf(h crypto.Hash, data [][]byte) [][]byte {
	out := make([][]byte, len(data))
	for i, d := range data {
		out[i] = sum(h, d)
	}
	return out
}

// hashes are the SHA-256 and SHA-512 hashes of d.
func hashes(d []byte) Hashes {
	return Hashes{crypto.SHA256: sum(crypto.SHA256, d), crypto.SHA512: sum(crypto.SHA512, d)}
}

// build builds a batch over data with SHA-256.
func build(t testing.TB, x *testTSA, data [][]byte) *Batch {
	t.Helper()
	b, err := Build(context.Background(), crypto.SHA256, hashesOf(crypto.SHA256, data), x.stamper())
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	return b
}

// records returns the batch's records.
func records(b *Batch) []*Record {
	out := make([]*Record, b.Len())
	for i := range out {
		out[i] = b.Record(i)
	}
	return out
}

// roundTrip encodes r, decodes it and checks that it encodes again to the
// same bytes; it returns the decoded record.
func roundTrip(t testing.TB, r *Record) *Record {
	t.Helper()
	der := r.Encode()
	got, err := Decode(der)
	if err != nil {
		t.Fatalf("Decode(Encode()) = %v", err)
	}
	if again := got.Encode(); string(again) != string(der) {
		t.Fatalf("Encode(Decode(x)) differs from x")
	}
	return got
}
