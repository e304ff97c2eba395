package receipt

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkVerify verifies the golden receipt (1 token, 5 events, 4
// validators) without its file, with one Verifier, on one goroutine: what
// one core sustains for receipts that share a checkpoint (the
// checkpoint's signatures are checked once; the token, events and proofs
// every time).
func BenchmarkVerify(b *testing.B) {
	r, tr, _ := golden(b)
	v, err := NewVerifier(tr)
	check(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, nil, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached is BenchmarkVerify with the checkpoint checked
// every time: receipts that each have their own checkpoint.
func BenchmarkVerifyUncached(b *testing.B) {
	r, tr, _ := golden(b)
	v, err := NewVerifier(tr)
	check(b, err)
	v.checkpoints.disabled = true
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, nil, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFile adds the evidence file (small) to BenchmarkVerify.
func BenchmarkVerifyFile(b *testing.B) {
	r, tr, art := golden(b)
	v, err := NewVerifier(tr)
	check(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, bytes.NewReader(art), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVerify includes parsing the receipt bytes and building the
// Verifier: the cost of one `custos verify` without process start.
func BenchmarkParseVerify(b *testing.B) {
	r, tr, _ := golden(b)
	raw, err := r.Encode()
	check(b, err)
	b.ReportAllocs()
	for b.Loop() {
		r, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Verify(r, nil, tr, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckCheckpoint is step checkpoint alone, uncached (decode,
// header and validator set hashes, 4 signatures), and the same with the
// CometBFT types reference it replaced, for comparison.
func BenchmarkCheckCheckpoint(b *testing.B) {
	r, tr, _ := golden(b)
	v, err := NewVerifier(tr)
	check(b, err)
	ref := newRefVerifier(tr)
	b.Run("impl=receipt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.checkCheckpoint(&r.Checkpoint); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=cometbft", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ref.refCheckCheckpoint(&r.Checkpoint); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkECDSAP256Verify is the floor of BenchmarkVerify: one bare
// P-256 ECDSA verification (crypto/ecdsa.VerifyASN1 over a SHA-256
// digest), which every receipt costs at least once (its token's CMS
// signature). docs/performance.md reports BenchmarkVerify as a ratio to it,
// both measured in the same run.
func BenchmarkECDSAP256Verify(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(b, err)
	digest := sha256.Sum256([]byte("a receipt's signed attributes"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	check(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
			b.Fatal("signature does not verify")
		}
	}
}

// BenchmarkTransitions verifies the transition vectors' era-10 checkpoint,
// 10 transitions from the genesis bundle (issue 16: at most 10 ms on one
// core), and, as its baseline, their era-0 checkpoint, signed by the
// genesis set itself. The checkpoint cache is off. docs/performance.md
// reports the ratio; run with -cpu 1.
func BenchmarkTransitions(b *testing.B) {
	var cases []transitionCase
	check(b, json.Unmarshal(must(os.ReadFile(filepath.Join(transitionDir, "cases.json"))), &cases))
	tr, err := ParseTrust(must(os.ReadFile(filepath.Join(transitionDir, "trust.json"))))
	check(b, err)
	v, err := NewVerifier(tr)
	check(b, err)
	v.checkpoints.disabled = true
	for _, name := range []string{"era0", "era10"} {
		var cp *Checkpoint
		for i := range cases {
			if cases[i].Name == name {
				cp = &cases[i].Checkpoint
			}
		}
		b.Run(fmt.Sprintf("transitions=%d", len(cp.Transitions)), func(b *testing.B) {
			for b.Loop() {
				if _, err := v.VerifyCheckpoint(cp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
