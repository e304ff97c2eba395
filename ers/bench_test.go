package ers

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
)

// benchHashes returns n distinct SHA-256 hashes standing for items.
func benchHashes(n int) [][]byte {
	out := make([][]byte, n)
	var buf [8]byte
	for i := range out {
		binary.BigEndian.PutUint64(buf[:], uint64(i))
		s := sha256.Sum256(buf[:])
		out[i] = s[:]
	}
	return out
}

// BenchmarkHashPerItem is the baseline: one SHA-256 of 64 bytes per item,
// the cost of one node of a hash tree.
func BenchmarkHashPerItem(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			var buf [64]byte
			for b.Loop() {
				for i := range n {
					binary.BigEndian.PutUint64(buf[:], uint64(i))
					s := sha256.Sum256(buf[:])
					buf[8] = s[0]
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkBuild builds one batch of n items with the built-in TSA and
// encodes every item's evidence record.
func BenchmarkBuild(b *testing.B) {
	p := newTestPKI(b)
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			x := p.tsa(b, "TSA A", t0)
			hs := benchHashes(n)
			var buf []byte
			for b.Loop() {
				batch, err := Build(context.Background(), crypto.SHA256, hs, x.stamper())
				if err != nil {
					b.Fatal(err)
				}
				for i := range n {
					buf = batch.AppendRecord(buf[:0], i)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(x.tokens)/float64(n*b.N), "tokens/item")
			b.ReportMetric(float64(len(buf)), "record-bytes")
		})
	}
}

// BenchmarkRenew renews the records of one batch of n items: their
// time-stamps (RFC 4998 §5.2), then their hash trees with SHA-512 (§5.3;
// not for 10^6 records, whose renewed copies alone would take about 5 GB
// here).
func BenchmarkRenew(b *testing.B) {
	p := newTestPKI(b)
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		a := p.tsa(b, "TSA A", t0)
		hs := benchHashes(n)
		batch, err := Build(context.Background(), crypto.SHA256, hs, a.stamper())
		if err != nil {
			b.Fatal(err)
		}
		recs := records(batch)
		new512 := make([][]byte, n)
		for i, h := range hs {
			new512[i] = sum(crypto.SHA512, h) // stands for the item's SHA-512
		}
		b.Run(fmt.Sprintf("timestamp/items=%d", n), func(b *testing.B) {
			x := p.tsa(b, "TSA B", t0)
			for b.Loop() {
				if _, err := RenewTimeStamps(context.Background(), recs, x.stamper()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(x.tokens)/float64(n*b.N), "tokens/item")
		})
		if n > 100_000 {
			continue
		}
		b.Run(fmt.Sprintf("hashtree/items=%d", n), func(b *testing.B) {
			x := p.tsa(b, "TSA B", t0)
			for b.Loop() {
				if _, err := RenewHashTree(context.Background(), crypto.SHA512, recs, new512, x.stamper()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(x.tokens)/float64(n*b.N), "tokens/item")
		})
	}
}

// BenchmarkVerify verifies one fresh record of a batch of 10^6 items.
func BenchmarkVerify(b *testing.B) {
	p := newTestPKI(b)
	x := p.tsa(b, "TSA A", t0)
	hs := benchHashes(1 << 20)
	batch, err := Build(context.Background(), crypto.SHA256, hs, x.stamper())
	if err != nil {
		b.Fatal(err)
	}
	r := batch.Record(12345)
	data := Hashes{crypto.SHA256: hs[12345]}
	for b.Loop() {
		if _, err := Verify(r, data, VerifyOptions{Roots: p.roots}); err != nil {
			b.Fatal(err)
		}
	}
}
