package notary

import (
	"bytes"
	"crypto"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/internal/rfc3161"
)

// FuzzClientCheck feeds arbitrary replies to the check an external TSA's
// reply must pass (Client.check, after the HTTP layer). It must never
// panic; a refusal wraps ErrBadReply; an accepted reply carries the
// request's imprint and nonce, and the offline checks (Check, Checker)
// accept it too, so what Custos stores from an outside TSA later verifies.
func FuzzClientCheck(f *testing.F) {
	p := newTestPKI(f, time.Now())
	tsa := newTestTSA(f, p, nil)
	digest, nonce := digestOf("evidence"), big.NewInt(0x5eed)
	reply := func(r timestamp.Request) []byte {
		q, err := r.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		out, err := tsa.Respond(q)
		if err != nil {
			f.Fatal(err)
		}
		return out
	}
	req := timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Nonce: nonce, Certificates: true}
	good := reply(req)
	f.Add(good)
	// Each refused for one reason: another imprint, no nonce, no
	// certificates, a rejection (unknown policy).
	for _, mod := range []func(r *timestamp.Request){
		func(r *timestamp.Request) { r.HashedMessage = digestOf("other") },
		func(r *timestamp.Request) { r.Nonce = nil },
		func(r *timestamp.Request) { r.Certificates = false },
		func(r *timestamp.Request) { r.TSAPolicyOID = []int{1, 2, 3} },
	} {
		r := req
		mod(&r)
		f.Add(reply(r))
	}
	f.Add(good[:len(good)/2])
	flipped := bytes.Clone(good)
	flipped[len(flipped)-10] ^= 1 // in the signature
	f.Add(flipped)
	f.Add(append(bytes.Clone(good), 0))
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})

	c := &Client{Roots: p.roots}
	checker := rfc3161.NewChecker(p.roots)
	f.Fuzz(func(t *testing.T, reply []byte) {
		ts, err := c.check(reply, crypto.SHA256, digest, nonce)
		if err != nil {
			if !errors.Is(err, ErrBadReply) {
				t.Fatalf("check() = %v, want ErrBadReply", err)
			}
			return
		}
		if !bytes.Equal(ts.HashedMessage, digest) || ts.Nonce.Cmp(nonce) != 0 {
			t.Fatalf("check() accepted imprint %x nonce %v, want %x %v", ts.HashedMessage, ts.Nonce, digest, nonce)
		}
		if _, err := Check(reply, crypto.SHA256, digest, p.roots, nil); err != nil {
			t.Fatalf("check() accepted a reply Check refuses: %v", err)
		}
		if _, err := checker.Check(reply, crypto.SHA256, digest, nil); err != nil {
			t.Fatalf("check() accepted a reply Checker.Check refuses: %v", err)
		}
	})
}
