package records

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
)

// renewBenchItems is the store size of BenchmarkRenewal:
// $CUSTOS_BENCH_RENEW_ITEMS, default 100,000 (docs/performance.md gives
// the figure for 10⁶).
func renewBenchItems(b *testing.B) int {
	if v := os.Getenv("CUSTOS_BENCH_RENEW_ITEMS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("CUSTOS_BENCH_RENEW_ITEMS=%q", v)
		}
		return n
	}
	return 100_000
}

// BenchmarkRenewal renews the evidence records of n anchored items (a
// store written directly: records, their created events, their bytes in
// memory), in batches of 10,000: "build" is the baseline, the node's
// build of their first records (Build); "timestamp" a
// time-stamp renewal of every batch after a TSA rotation (Renew, with
// its custody events); "hashtree" a hash-tree renewal to SHA-512 of every
// item from its stored bytes. Each reports items/s and tokens per
// 10,000 items. One iteration each: the store changes.
func BenchmarkRenewal(b *testing.B) {
	n := renewBenchItems(b)
	p := newRenewPKI(b)
	tsa1, _ := p.tsa(b, "TSA 1", r0, r0.Add(time.Hour))
	clock := r0.Add(time.Hour)
	counting := &countingTSA{tsa: tsa1}
	blobs := evidencetest.NewBlobs()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "b.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	renewal := RenewalConfig{}
	ev, err := evidence.New(context.Background(), evidence.Config{DB: db, Blobs: blobs, TSA: counting, Now: func() time.Time { return clock }})
	if err != nil {
		b.Fatal(err)
	}
	open := func() *Keeper {
		k, err := New(ev, Config{TSA: counting, Renewal: renewal})
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	k := open()
	fillAnchored(b, db, blobs, n)
	measure := func(name string, run func() int) {
		b.Run(name, func(b *testing.B) {
			if b.N > 1 {
				b.Skip("one iteration: the store changes")
			}
			before := counting.calls.Load()
			start := time.Now()
			got := run()
			el := time.Since(start)
			if got != n {
				b.Fatalf("%s renewed %d items, want %d", name, got, n)
			}
			b.ReportMetric(float64(n)/el.Seconds(), "items/s")
			b.ReportMetric(float64(counting.calls.Load()-before)*10_000/float64(n), "tokens/10k-items")
		})
	}
	measure("build", func() int {
		got, err := k.Build(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return got
	})
	// TSA 1's certificate nears its expiry; the operator has rotated it.
	clock = r0.Add(5*365*24*time.Hour - 100*24*time.Hour)
	counting.tsa, _ = p.tsa(b, "TSA 2", clock.Add(-time.Hour), clock)
	measure("timestamp", func() int {
		run, err := k.Renew(context.Background(), RenewOptions{Actor: "node:bench"})
		if err != nil || len(run.Errors) > 0 {
			b.Fatalf("Renew = %+v, %v", run, err)
		}
		return run.TimeStamp.Items
	})
	renewal.RetiredHashes = []string{"SHA-256"}
	k = open()
	measure("hashtree", func() int {
		run, err := k.Renew(context.Background(), RenewOptions{Actor: "node:bench"})
		if err != nil || len(run.Errors) > 0 {
			b.Fatalf("Renew = %+v, %v", run, err)
		}
		return run.HashTree.Items
	})
}

// fillAnchored writes n anchored items straight into the store, as
// filing and anchoring would leave them for the evidence records: a
// record (ID, SHA-256, size), a created event, the anchored height (in
// evidence's buckets, as evidencetest names them), and the bytes in
// blobs.
func fillAnchored(b *testing.B, db *bolt.DB, blobs *evidencetest.Blobs, n int) {
	b.Helper()
	const per = 10_000
	for from := 0; from < n; from += per {
		err := db.Update(func(tx *bolt.Tx) error {
			for i := from; i < min(from+per, n); i++ {
				seq := uint64(i + 1)
				body := []byte("benchmark item " + strconv.Itoa(i))
				sum := sha256.Sum256(body)
				r := evidence.Record{ID: evidence.NewID(), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body))}
				v, _ := json.Marshal(r)
				if err := tx.Bucket(evidencetest.RecordsBucket).Put(u64(seq), v); err != nil {
					return err
				}
				e := custody.Event{V: custody.EventVersion, Evidence: r.ID, Type: custody.EventCreated, Time: custody.FormatTime(r0), Actor: "bench",
					SHA256: r.SHA256, Size: r.Size, MediaType: "text/plain", Tokens: []string{r.SHA256}}
				eb, err := e.Encode()
				if err != nil {
					return err
				}
				if err := tx.Bucket(evidencetest.EventsBucket).Put(binary.BigEndian.AppendUint32(u64(seq), 0), eb); err != nil {
					return err
				}
				if err := tx.Bucket(evidencetest.AnchoredBucket).Put(u64(seq), u64(2)); err != nil {
					return err
				}
				blobs.Set(r.BlobKey(), body)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
