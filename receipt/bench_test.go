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
	"slices"
	"testing"
	"time"
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
// genesis set itself, on a Verifier whose caches are off: first each
// alone (transitions=0, transitions=10), then alternating in one loop
// ("uncached", each reported as its median, so that a busy machine slows
// both alike and a verification the scheduler interrupted is one of
// hundreds). The "cached" run is issue 16's "at the normal rate once the
// verifier has cached those transitions": the era-10 checkpoint on a
// Verifier that has followed the transitions once (its era cache warm)
// but checks the checkpoint itself every time, alternating with the
// normal rate for that set: the same checkpoint without transitions, on a
// Verifier of the version-2 bundle that already includes them (case
// era10-bundle2; 5 validators sign, against era 0's 4). docs/performance.md
// reports the ratios; run with -cpu 1.
func BenchmarkTransitions(b *testing.B) {
	var cases []transitionCase
	check(b, json.Unmarshal(must(os.ReadFile(filepath.Join(transitionDir, "cases.json"))), &cases))
	verifier := func(bundle string) *Verifier {
		tr, err := ParseTrust(must(os.ReadFile(filepath.Join(transitionDir, bundle))))
		check(b, err)
		v, err := NewVerifier(tr)
		check(b, err)
		return v
	}
	checkpoint := func(name string) *Checkpoint {
		for i := range cases {
			if cases[i].Name == name {
				return &cases[i].Checkpoint
			}
		}
		b.Fatalf("no case %s", name)
		return nil
	}
	uncached := verifier("trust.json")
	uncached.checkpoints.disabled = true
	era0, era10 := checkpoint("era0"), checkpoint("era10")
	for _, cp := range []*Checkpoint{era0, era10} {
		b.Run(fmt.Sprintf("transitions=%d", len(cp.Transitions)), func(b *testing.B) {
			for b.Loop() {
				if _, err := uncached.VerifyCheckpoint(cp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("uncached", func(b *testing.B) {
		alternate(b, [2]verification{{uncached, era10}, {uncached, era0}}, "10-transitions", "none")
	})
	cached := verifier("trust.json")
	if _, err := cached.VerifyCheckpoint(era10); err != nil { // follows the transitions once, keeps their era
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		alternate(b, [2]verification{{cached, era10}, {verifier("bundle-v2.json"), checkpoint("era10-bundle2")}}, "cached-10", "bundle2-0")
	})
}

// verification is a checkpoint to verify, and the Verifier to verify it.
type verification struct {
	v  *Verifier
	cp *Checkpoint
}

// alternate verifies the two checkpoints in turn in b's loop, each
// checked anew (the checkpoint results forgotten, the eras kept), and
// reports each one's median time as NAME-ms and the ratio of the first to
// the second (x-SECOND: of the medians; x-SECOND-mean: of the sums).
func alternate(b *testing.B, vs [2]verification, name0, name1 string) {
	var took [2][]time.Duration
	var spent [2]time.Duration
	for b.Loop() {
		for i, c := range vs {
			c.v.checkpoints.mu.Lock()
			c.v.checkpoints.results = nil
			c.v.checkpoints.mu.Unlock()
			start := time.Now()
			if _, err := c.v.VerifyCheckpoint(c.cp); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			spent[i] += d
			took[i] = append(took[i], d)
		}
	}
	for i := range took {
		slices.Sort(took[i])
	}
	med := func(i int) float64 { return float64(took[i][len(took[i])/2].Nanoseconds()) / 1e6 }
	b.ReportMetric(med(0), name0+"-ms")
	b.ReportMetric(med(1), name1+"-ms")
	b.ReportMetric(med(0)/med(1), "x-"+name1)
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "x-"+name1+"-mean")
}
