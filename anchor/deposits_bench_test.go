package anchor

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// BenchmarkDepositLookup measures the digest index's answer on a member
// that received none of the deposits (issue 15: p99 ≤ 10 ms at 10⁶
// deposits): one member's batches of 5,000 uploads, each with its deposit,
// are applied to a state at the latest version as FinalizeBlock and Commit apply
// them, then App.Deposit is asked for random digests, half of them filed
// and half not. It reports the p50 and p99 of one lookup, and the time the
// state took to apply the deposits, per deposit, beside the same leaves
// without deposits (the log alone at version 1) in the same run.
//
// Run: go test -run '^$' -bench DepositLookup -benchtime 1x ./anchor/
func BenchmarkDepositLookup(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("deposits=%d", n), func(b *testing.B) {
			_, base, baseCPU := applyUploads(b, StateV1, n)
			app, with, withCPU := applyUploads(b, LatestState, n)
			lat := make([]time.Duration, 0, 20_000)
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				for i := 0; i < 20_000; i++ {
					k := rng.IntN(2 * n)
					sum := uploadDigest(k)
					start := time.Now()
					_, found, err := app.Deposit(sum)
					lat = append(lat, time.Since(start))
					if err != nil || found != (k < n) {
						b.Fatalf("Deposit(upload %d) = %v, %v", k, found, err)
					}
				}
			}
			slices.Sort(lat)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(with.Nanoseconds())/float64(n)/1000, "apply-µs/deposit")
			b.ReportMetric(float64(base.Nanoseconds())/float64(n)/1000, "log-alone-µs/leaf")
			b.ReportMetric(float64(with)/float64(base), "x-log-alone")
			b.ReportMetric(float64(withCPU.Nanoseconds())/float64(n)/1000, "apply-cpu-µs/deposit")
			b.ReportMetric(float64(baseCPU.Nanoseconds())/float64(n)/1000, "log-alone-cpu-µs/leaf")
			b.ReportMetric(float64(withCPU)/float64(baseCPU), "x-log-alone-cpu")
		})
	}
}

func uploadDigest(i int) [32]byte {
	var d [32]byte
	binary.BigEndian.PutUint64(d[:], uint64(i))
	copy(d[8:], "bench deposit digest")
	return d
}

// applyUploads applies n uploads (a leaf each, and from version 4 a deposit
// each) in batches of 5,000 to a fresh state at version, and returns the
// app, the time FinalizeBlock and Commit took, and the process CPU time
// (user and system) they used, which moves less than the time when other
// processes share the machine.
func applyUploads(b *testing.B, version, n int) (*App, time.Duration, time.Duration) {
	b.Helper()
	node := newTestNode(b, nil)
	app, err := NewApp(AppConfig{DB: openDB(b, filepath.Join(b.TempDir(), "app.db")), ChainID: testChainID, Root: node.root.Cert})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := &abci.RequestInitChain{AppStateBytes: GenesisState(node.root.Cert, version),
		Validators: []abci.ValidatorUpdate{abci.Ed25519ValidatorUpdate(node.key.Public().(ed25519.PublicKey), 10)}}
	if _, err := app.InitChain(ctx, req); err != nil {
		b.Fatal(err)
	}
	const per = 5000
	var spent, cpu time.Duration
	for seq := uint64(1); int(seq-1)*per < n; seq++ {
		from := int(seq-1) * per
		count := min(per, n-from)
		leaves := testLeaves(uint64(from), uint64(count))
		var raw []byte
		if version >= StateV4 {
			ds := make([]Deposit, count)
			for i := range ds {
				ds[i] = Deposit{Batch: seq, Offset: uint32(i), SHA256: uploadDigest(from + i)}
			}
			raw, err = newDepositBatch(batchVersion(version), testChainID, node.cert, node.org.Cert, node.key, seq, leaves, nil, ds)
		} else {
			raw, err = NewTx(testChainID, node.cert, node.org.Cert, node.key, seq, leaves)
		}
		if err != nil {
			b.Fatal(err)
		}
		var ru0, ru1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		start := time.Now()
		res, err := app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: int64(seq), Time: txNow, Txs: [][]byte{raw}})
		if err == nil {
			_, err = app.Commit(ctx, &abci.RequestCommit{})
		}
		spent += time.Since(start)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu += time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		if err != nil || res.TxResults[0].Code != CodeOK {
			b.Fatalf("block %d: %v %+v", seq, err, res.TxResults)
		}
	}
	return app, spent, cpu
}
