package records

import (
	"context"
	"crypto"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
)

// BenchmarkEvidenceRecords builds the evidence records of 10,000 final
// items: "ers.Build" is the baseline, the hash tree and the one token over
// the same hashes in memory; "store" is Build, which also
// scans the records, decodes their hashes and writes the token and every
// item's tree in one transaction. It reports the bytes stored per item.
func BenchmarkEvidenceRecords(b *testing.B) {
	const n = 10_000
	tsa, _ := devTSA(b)
	db, err := bolt.Open(filepath.Join(b.TempDir(), "b.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ev, err := evidence.New(context.Background(), evidence.Config{DB: db, Blobs: evidencetest.NewBlobs(), TSA: tsa})
	if err != nil {
		b.Fatal(err)
	}
	k, err := New(ev, Config{TSA: tsa, Batch: n})
	if err != nil {
		b.Fatal(err)
	}
	var hashes [][]byte
	var first, last uint64
	for i := range n {
		r := evidencetest.File(b, ev, "bench", fmt.Sprintf("bench item %d", i))
		h, _ := evidence.DecodeDigest(r.SHA256)
		hashes = append(hashes, h)
		ev.View(func(tx *bolt.Tx) error {
			last, _ = evidence.EventLeaf(tx, r.Seq, 0)
			return nil
		})
		if i == 0 {
			first = last
		}
	}
	if err := ev.MarkFinal([]anchor.Batch{{From: first, Count: int(last - first + 1), Height: 2, Final: true}}); err != nil {
		b.Fatal(err)
	}
	stamper := func(ctx context.Context, h crypto.Hash, d []byte) ([]byte, error) {
		tok, err := tsa.Stamp(ctx, h, d)
		if err != nil {
			return nil, err
		}
		return tok.Reply, nil
	}
	b.Run("ers.Build", func(b *testing.B) {
		for range b.N {
			if _, err := ers.Build(context.Background(), crypto.SHA256, hashes, stamper); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	})
	b.Run("store", func(b *testing.B) {
		var itemBytes, tokenBytes int
		for range b.N {
			b.StopTimer()
			err := db.Update(func(tx *bolt.Tx) error {
				for _, name := range ersBuckets {
					if err := tx.DeleteBucket(name); err != nil {
						return err
					}
					if _, err := tx.CreateBucket(name); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if got, err := k.Build(context.Background()); err != nil || got != n {
				b.Fatalf("Build = %d, %v; want %d", got, err, n)
			}
		}
		b.StopTimer()
		db.View(func(tx *bolt.Tx) error {
			itemBytes, tokenBytes = 0, 0
			tx.Bucket(bERSItem).ForEach(func(_, v []byte) error { itemBytes += len(v); return nil })
			tx.Bucket(bERSBatch).ForEach(func(_, v []byte) error { tokenBytes += len(v); return nil })
			return nil
		})
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
		b.ReportMetric(float64(itemBytes)/n, "tree-bytes/item")
		b.ReportMetric(float64(tokenBytes), "token-bytes/batch")
	})
}
